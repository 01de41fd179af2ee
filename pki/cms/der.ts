/**
 * A minimal DER writer and reader for the few structures signing emits on its hot path.
 * pkijs builds the same CMS correctly but takes about 2.5 ms per signature to encode
 * (it re-parses every certificate), ten times the RSA-2048 signing itself; writing the
 * bytes directly keeps signing near the cost of the private-key operation. Everything
 * written here is checked by OpenSSL, pdfsig and pyHanko in the tests.
 */
import { PkiError } from '../errors';

export type Der = Uint8Array;

export function tlv(tag: number, ...contents: readonly Der[]): Der {
  let length = 0;
  for (const c of contents) length += c.length;
  const header = lengthBytes(length);
  const out = new Uint8Array(1 + header.length + length);
  out[0] = tag;
  out.set(header, 1);
  let at = 1 + header.length;
  for (const c of contents) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function lengthBytes(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

export const sequence = (...items: readonly Der[]): Der => tlv(0x30, ...items);
export const set = (...items: readonly Der[]): Der => tlv(0x31, ...items);
export const octetString = (bytes: Uint8Array): Der => tlv(0x04, bytes);
export const nullValue = (): Der => Uint8Array.of(0x05, 0x00);
/** Context-specific constructed tag [n] (EXPLICIT, or IMPLICIT over a constructed type). */
export const contextConstructed = (n: number, ...items: readonly Der[]): Der => tlv(0xa0 | n, ...items);

export function smallInteger(value: number): Der {
  if (value < 0 || value > 0x7fff) throw new PkiError('internal', 'DER integer out of range.');
  return value < 0x80 ? Uint8Array.of(0x02, 1, value) : Uint8Array.of(0x02, 2, value >> 8, value & 0xff);
}

const oidCache = new Map<string, Der>();

export function oid(dotted: string): Der {
  let der = oidCache.get(dotted);
  if (!der) {
    const arcs = dotted.split('.').map(Number);
    const body: number[] = [arcs[0]! * 40 + arcs[1]!];
    for (const arc of arcs.slice(2)) {
      const chunk: number[] = [arc & 0x7f];
      for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift(0x80 | (n & 0x7f));
      body.push(...chunk);
    }
    der = tlv(0x06, Uint8Array.from(body));
    oidCache.set(dotted, der);
  }
  return der;
}

/** DER SET OF: elements sorted by their encodings (X.690 §11.6). */
export function setOf(elements: readonly Der[]): Der {
  const sorted = [...elements].sort((a, b) => Buffer.compare(a, b));
  return set(...sorted);
}

/** Replaces the tag byte of an encoding (e.g. SET → [0] IMPLICIT), keeping its contents. */
export function retag(der: Der, tag: number): Der {
  const out = Uint8Array.from(der);
  out[0] = tag;
  return out;
}

export interface Element {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the contents. */
  contentStart: number;
  /** Offset just past the element. */
  end: number;
}

/** Reads the element at `offset` (definite lengths only, as DER requires). */
export function readElement(der: Uint8Array, offset: number, limit = der.length): Element {
  const fail = (): never => {
    throw new PkiError('invalid_input', 'A DER structure is malformed.');
  };
  if (offset + 2 > limit) fail();
  const tag = der[offset]!;
  if ((tag & 0x1f) === 0x1f) fail(); // high tag numbers never occur in what we read
  let length = der[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || offset + 2 + count > limit) fail();
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[offset + 2 + i]!;
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) fail();
  return { tag, start: offset, contentStart, end };
}

/** The children of a constructed element. */
export function children(der: Uint8Array, parent: Element): Element[] {
  const result: Element[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readElement(der, at, parent.end);
    result.push(child);
    at = child.end;
  }
  return result;
}

export const bytesOf = (der: Uint8Array, e: Element): Uint8Array => der.subarray(e.start, e.end);
export const contentOf = (der: Uint8Array, e: Element): Uint8Array => der.subarray(e.contentStart, e.end);
