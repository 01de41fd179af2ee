/**
 * A small, strict-where-it-matters DER/BER reader. Verification needs the exact bytes of
 * the structures it hashes (signed attributes, TBS parts, names, keys), so it walks
 * tag-length-value triples over the original buffer instead of re-encoding parsed
 * objects. BER indefinite lengths are accepted for the outer CMS layers that some signers
 * stream; every read is bounds-checked and nesting is limited.
 */
import { PkiError } from '../../errors';

export interface Tlv {
  /** Identifier octet (class, constructed bit, tag number below 31). */
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly contentEnd: number;
  readonly end: number;
  readonly buf: Buffer;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
} as const;

const MAX_DEPTH = 40;

export class DerError extends PkiError {
  constructor(message: string) {
    super('signature_damaged', message);
  }
}

export function readTlv(buf: Buffer, pos: number, limit = buf.length, depth = 0): Tlv {
  if (depth > MAX_DEPTH) throw new DerError('ASN.1 structure is nested too deeply.');
  if (pos + 2 > limit) throw new DerError('ASN.1 structure is truncated.');
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('ASN.1 high tag numbers are not supported here.');
  // Tag 0 is only the end-of-contents marker, which the indefinite-length loop consumes itself.
  if (tag === 0) throw new DerError('ASN.1 structure holds an unexpected end-of-contents marker.');
  let p = pos + 1;
  const first = buf[p++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    if ((tag & 0x20) === 0) throw new DerError('ASN.1 indefinite length on a primitive value.');
    // Indefinite length: children until an end-of-contents marker.
    let q = p;
    for (;;) {
      if (q + 2 > limit) throw new DerError('ASN.1 indefinite-length value is not terminated.');
      if (buf[q] === 0 && buf[q + 1] === 0) break;
      q = readTlv(buf, q, limit, depth + 1).end;
    }
    return { tag, start: pos, contentStart: p, contentEnd: q, end: q + 2, buf };
  } else {
    const n = first & 0x7f;
    if (n > 4 || p + n > limit) throw new DerError('ASN.1 length is invalid.');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[p++]!;
  }
  if (p + length > limit) throw new DerError('ASN.1 structure is truncated.');
  return { tag, start: pos, contentStart: p, contentEnd: p + length, end: p + length, buf };
}

/** Parses the whole buffer as one value (trailing bytes are returned via `end`). */
export function parseDer(buf: Buffer, pos = 0): Tlv {
  return readTlv(buf, pos);
}

export function children(t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let p = t.contentStart;
  while (p < t.contentEnd) {
    const c = readTlv(t.buf, p, t.contentEnd);
    out.push(c);
    p = c.end;
  }
  return out;
}

export function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new DerError(`${what} is malformed.`);
  return t;
}

export function raw(t: Tlv): Buffer {
  return t.buf.subarray(t.start, t.end);
}

export function content(t: Tlv): Buffer {
  return t.buf.subarray(t.contentStart, t.contentEnd);
}

/** The only child of an EXPLICIT-tagged wrapper. */
export function explicit(t: Tlv): Tlv {
  const c = children(t);
  if (c.length !== 1) throw new DerError('ASN.1 explicit tag does not wrap exactly one value.');
  return c[0]!;
}

const oidCache = new Map<string, string>();

export function oid(t: Tlv): string {
  if (t.tag !== TAG.OID) throw new DerError('ASN.1 object identifier expected.');
  const b = content(t);
  if (b.length === 0 || b.length > 128 || (b[b.length - 1]! & 0x80) !== 0) {
    throw new DerError('ASN.1 object identifier is malformed.');
  }
  // The same few OIDs recur in every signature: decode each distinct encoding once.
  const key = b.toString('latin1');
  const hit = oidCache.get(key);
  if (hit !== undefined) return hit;
  // Arcs may exceed 2^53 (e.g. UUID-based 2.25.<128 bits> policy OIDs), hence BigInt.
  const parts: string[] = [];
  let v = 0n;
  for (let i = 0; i < b.length; i++) {
    v = (v << 7n) | BigInt(b[i]! & 0x7f);
    if ((b[i]! & 0x80) === 0) {
      if (parts.length === 0) {
        const first = v < 80n ? v / 40n : 2n;
        parts.push(first.toString(), (v - first * 40n).toString());
      } else parts.push(v.toString());
      v = 0n;
    }
  }
  const text = parts.join('.');
  if (oidCache.size < 4096) oidCache.set(key, text);
  return text;
}

/** INTEGER content bytes with redundant leading zeros removed (for serial comparison). */
export function integerBytes(t: Tlv): Buffer {
  if (t.tag !== TAG.INTEGER) throw new DerError('ASN.1 integer expected.');
  let b = content(t);
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  return b;
}

export function smallInteger(t: Tlv): number {
  const b = integerBytes(t);
  if (b.length > 6) throw new DerError('ASN.1 integer is too large.');
  let v = 0;
  for (const x of b) v = v * 256 + x;
  return (b[0]! & 0x80) !== 0 ? v - 2 ** (8 * b.length) : v;
}

export function octets(t: Tlv): Buffer {
  if (t.tag !== TAG.OCTET_STRING) throw new DerError('ASN.1 octet string expected.');
  return content(t);
}

export function bitStringBytes(t: Tlv): Buffer {
  if (t.tag !== TAG.BIT_STRING) throw new DerError('ASN.1 bit string expected.');
  const c = content(t);
  if (c.length < 1) throw new DerError('ASN.1 bit string is empty.');
  return c.subarray(1);
}

export function time(t: Tlv): Date {
  const s = content(t).toString('latin1');
  let date: Date | undefined;
  if (t.tag === TAG.UTC_TIME) {
    const m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?Z$/.exec(s);
    if (m) {
      const yy = Number(m[1]);
      const year = yy < 50 ? 2000 + yy : 1900 + yy;
      date = new Date(Date.UTC(year, Number(m[2]) - 1, +m[3]!, +m[4]!, +m[5]!, Number(m[6] ?? 0)));
    }
  } else if (t.tag === TAG.GENERALIZED_TIME) {
    const m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:[.,](\d{1,9}))?Z$/.exec(s);
    if (m) {
      const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
      date = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms));
    }
  }
  if (!date || Number.isNaN(date.getTime())) throw new DerError('ASN.1 time value is malformed.');
  return date;
}

export function isContext(t: Tlv | undefined, n: number): boolean {
  return t !== undefined && (t.tag & 0xc0) === 0x80 && (t.tag & 0x1f) === n;
}
