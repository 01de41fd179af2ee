/**
 * Object syntax parser (PDF 32000-1 §7.2–7.3), shared by the reader, the writer and the
 * verifier. It works on bytes in place, parses one value or one indirect object at an
 * offset and never scans the whole file, which keeps signing fast on large documents. It
 * is defensive: nesting depth and the search for a lost `endstream` are bounded, so
 * hostile input cannot make it recurse or search without limit, and anything it cannot
 * make sense of fails with `pdf_damaged`.
 */
import { PkiError } from '../errors';
import { PdfDict, PdfName, PdfRef, PdfStream, PdfString, type PdfValue } from './objects';

const MAX_DEPTH = 64;
/** How far past a wrong /Length we look for `endstream` before giving up. */
const MAX_ENDSTREAM_SCAN = 64 * 1024 * 1024;
/** Longer digit runs are not integers here: they would lose precision as JS numbers. */
const MAX_INTEGER_DIGITS = 16;

// Character classes by byte value: 1 whitespace, 2 delimiter.
const CLASS = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32]) CLASS[c] = 1;
for (const c of '()<>[]{}/%') CLASS[c.charCodeAt(0)] = 2;

export const isWhitespace = (c: number | undefined): boolean => c !== undefined && CLASS[c] === 1;
const isRegular = (c: number | undefined): boolean => c !== undefined && CLASS[c] === 0;
const PLAIN_HEX = /^[0-9A-Fa-f]*$/;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

export function damaged(message: string, cause?: unknown): PkiError {
  return new PkiError('pdf_damaged', message, cause === undefined ? undefined : { cause });
}

/** `num gen obj … endobj` as parsed (see `IndirectObject` for one placed in a file). */
export interface ParsedObject {
  num: number;
  gen: number;
  value: PdfValue;
  /** Offset just after `endobj` (or where it should have been). */
  end: number;
}

/** Resolves an indirect /Length of a stream; returns undefined when it cannot. */
export type LengthResolver = (ref: PdfRef) => number | undefined;

export class PdfParser {
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    pos = 0,
    private readonly resolveLength?: LengthResolver,
  ) {
    this.pos = pos;
  }

  /** Skips whitespace and comments. */
  skipWhitespace(): void {
    const b = this.bytes;
    let p = this.pos;
    while (p < b.length) {
      const c = b[p]!;
      if (CLASS[c] === 1) p++;
      else if (c === 0x25 /* % */) {
        while (p < b.length && b[p] !== 0x0a && b[p] !== 0x0d) p++;
      } else break;
    }
    this.pos = p;
  }

  /** Reads a run of regular characters (a keyword or number) without consuming delimiters. */
  readToken(): string {
    this.skipWhitespace();
    const b = this.bytes;
    const start = this.pos;
    while (this.pos < b.length && isRegular(b[this.pos]!)) this.pos++;
    return latin1(b, start, this.pos);
  }

  /** Consumes `keyword` (after whitespace) or throws. */
  expectKeyword(keyword: string): void {
    const at = this.pos;
    const token = this.readToken();
    if (token !== keyword)
      throw damaged(`Expected "${keyword}" at byte ${at}, found "${token.slice(0, 20)}".`);
  }

  /** Reads an unsigned integer token, or returns undefined and restores the position. */
  tryInteger(): number | undefined {
    const save = this.pos;
    this.skipWhitespace();
    const b = this.bytes;
    const start = this.pos;
    let value = 0;
    while (
      this.pos < b.length &&
      b[this.pos]! >= 0x30 &&
      b[this.pos]! <= 0x39 &&
      this.pos - start < MAX_INTEGER_DIGITS
    ) {
      value = value * 10 + (b[this.pos]! - 0x30);
      this.pos++;
    }
    if (this.pos === start || isRegular(b[this.pos])) {
      this.pos = save;
      return undefined;
    }
    return value;
  }

  parseValue(depth = 0): PdfValue {
    if (depth > MAX_DEPTH) throw damaged('Objects are nested too deeply.');
    this.skipWhitespace();
    const b = this.bytes;
    if (this.pos >= b.length) throw damaged('Unexpected end of file inside an object.');
    const c = b[this.pos]!;
    switch (c) {
      case 0x2f /* / */:
        return this.parseName();
      case 0x28 /* ( */:
        return this.parseLiteralString();
      case 0x3c /* < */:
        if (b[this.pos + 1] === 0x3c) return this.parseDict(depth);
        return this.parseHexString();
      case 0x5b /* [ */:
        {
          this.pos++;
          const items: PdfValue[] = [];
          for (;;) {
            this.skipWhitespace();
            if (this.pos >= b.length) throw damaged('Unterminated array.');
            if (b[this.pos] === 0x5d /* ] */) {
              this.pos++;
              return items;
            }
            items.push(this.parseValue(depth + 1));
          }
        }
      default: {
        if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)
          return this.parseNumberOrRef();
        const at = this.pos;
        const token = this.readToken();
        if (token === 'true') return true;
        if (token === 'false') return false;
        if (token === 'null') return null;
        throw damaged(`Unexpected token "${token.slice(0, 20) || String.fromCharCode(c)}" at byte ${at}.`);
      }
    }
  }

  private parseNumberOrRef(): PdfValue {
    const at = this.pos;
    const token = this.readToken();
    const value = Number(token);
    if (!Number.isFinite(value)) {
      // Tolerate the common "--5" style oddities by reading what parses; otherwise fail.
      const lenient = Number.parseFloat(token.replace(/^[-+]+/, (s) => (s.includes('-') ? '-' : '')));
      if (!Number.isFinite(lenient)) throw damaged(`Bad number "${token.slice(0, 20)}" at byte ${at}.`);
      return lenient;
    }
    if (!/^\d+$/.test(token)) return value;
    // An integer may start "num gen R".
    const save = this.pos;
    const gen = this.tryInteger();
    if (gen !== undefined) {
      this.skipWhitespace();
      if (this.bytes[this.pos] === 0x52 /* R */ && !isRegular(this.bytes[this.pos + 1])) {
        this.pos++;
        return new PdfRef(value, gen);
      }
    }
    this.pos = save;
    return value;
  }

  private parseName(): PdfName {
    const b = this.bytes;
    this.pos++; // '/'
    const start = this.pos;
    let hasEscape = false;
    while (this.pos < b.length && isRegular(b[this.pos]!)) {
      if (b[this.pos] === 0x23 /* # */) hasEscape = true;
      this.pos++;
    }
    let text = latin1(b, start, this.pos);
    if (hasEscape) {
      const bytes: number[] = [];
      for (let i = 0; i < text.length; i++) {
        const hex = text.slice(i + 1, i + 3);
        if (text[i] === '#' && /^[0-9a-fA-F]{2}$/.test(hex)) {
          bytes.push(Number.parseInt(hex, 16));
          i += 2;
        } else bytes.push(text.charCodeAt(i));
      }
      text = Buffer.from(bytes).toString('latin1');
    }
    return PdfName.of(text);
  }

  private parseLiteralString(): PdfString {
    const b = this.bytes;
    const start = this.pos;
    this.pos++; // '('
    const out: number[] = [];
    let nesting = 1;
    for (;;) {
      let c = b[this.pos++];
      if (c === undefined) throw damaged(`Unterminated string at byte ${start}.`);
      if (c === 0x5c /* \ */) {
        c = b[this.pos++];
        if (c === undefined) throw damaged(`Unterminated string at byte ${start}.`);
        switch (c) {
          case 0x6e:
            out.push(0x0a);
            break;
          case 0x72:
            out.push(0x0d);
            break;
          case 0x74:
            out.push(0x09);
            break;
          case 0x62:
            out.push(0x08);
            break;
          case 0x66:
            out.push(0x0c);
            break;
          case 0x0d:
            if (b[this.pos] === 0x0a) this.pos++;
            break;
          case 0x0a:
            break;
          default:
            if (c >= 0x30 && c <= 0x37) {
              let code = c - 0x30;
              for (let k = 0; k < 2; k++) {
                const d = b[this.pos];
                if (d === undefined || d < 0x30 || d > 0x37) break;
                code = code * 8 + (d - 0x30);
                this.pos++;
              }
              out.push(code & 0xff);
            } else out.push(c);
        }
        continue;
      }
      if (c === 0x28) nesting++;
      else if (c === 0x29 && --nesting === 0) break;
      // An unescaped end-of-line (CR, LF or CRLF) reads as one LF (PDF 32000-1 §7.3.4.2).
      if (c === 0x0d) {
        if (b[this.pos] === 0x0a) this.pos++;
        c = 0x0a;
      }
      out.push(c);
    }
    return new PdfString(Buffer.from(out), false, start, this.pos);
  }

  private parseHexString(): PdfString {
    const b = this.bytes;
    const start = this.pos;
    this.pos++; // '<'
    const close = b.indexOf(0x3e /* > */, this.pos);
    if (close < 0) throw damaged(`Unterminated hex string at byte ${start}.`);
    // Fast path for the common case (signature values are long runs of plain hex digits).
    const text = latin1(b, this.pos, close);
    if (text.length % 2 === 0 && PLAIN_HEX.test(text)) {
      this.pos = close + 1;
      return new PdfString(Buffer.from(text, 'hex'), true, start, this.pos);
    }
    const out = Buffer.allocUnsafe((close - this.pos + 1) >>> 1);
    let n = 0;
    let high = -1;
    for (; this.pos < close; this.pos++) {
      const c = b[this.pos]!;
      if (isWhitespace(c)) continue;
      const v = hexValue(c);
      if (v < 0) throw damaged(`Bad character in hex string at byte ${this.pos}.`);
      if (high < 0) high = v;
      else {
        out[n++] = (high << 4) | v;
        high = -1;
      }
    }
    // An odd final digit counts as followed by 0 (PDF 32000-1 §7.3.4.3).
    if (high >= 0) out[n++] = high << 4;
    this.pos = close + 1;
    return new PdfString(Buffer.from(out.subarray(0, n)), true, start, this.pos);
  }

  private parseDict(depth: number): PdfDict {
    const b = this.bytes;
    this.pos += 2; // '<<'
    const d = new PdfDict();
    for (;;) {
      this.skipWhitespace();
      if (this.pos >= b.length) throw damaged('Unterminated dictionary.');
      if (b[this.pos] === 0x3e && b[this.pos + 1] === 0x3e) {
        this.pos += 2;
        return d;
      }
      if (b[this.pos] !== 0x2f) throw damaged(`Dictionary key expected at byte ${this.pos}.`);
      const key = this.parseName().value;
      d.set(key, this.parseValue(depth + 1));
    }
  }

  /**
   * Parses `num gen obj … endobj` at `offset`. With `expected`, the header must name that
   * object (a cross-reference entry pointing elsewhere means the table is broken).
   */
  parseIndirectObject(offset = this.pos, expected?: { num: number; gen: number }): ParsedObject {
    this.pos = offset;
    const num = this.tryInteger();
    const gen = num === undefined ? undefined : this.tryInteger();
    const keyword = gen === undefined ? '' : this.readToken();
    if (num === undefined || gen === undefined || keyword !== 'obj') {
      throw damaged(
        expected
          ? `The cross-reference table is broken: object ${expected.num} is not at byte ${offset}.`
          : `No object at byte ${offset}.`,
      );
    }
    if (expected && (expected.num !== num || expected.gen !== gen)) {
      throw damaged(
        `The cross-reference table is broken: byte ${offset} holds object ${num}, not ${expected.num}.`,
      );
    }
    let value = this.parseValue();
    this.skipWhitespace();
    if (value instanceof PdfDict && this.startsWith('stream') && !isRegular(this.bytes[this.pos + 6])) {
      value = this.parseStreamBody(value);
    }
    this.skipWhitespace();
    if (this.startsWith('endobj')) this.pos += 6;
    return { num, gen, value, end: this.pos };
  }

  private parseStreamBody(dictionary: PdfDict): PdfStream {
    const b = this.bytes;
    this.pos += 6; // 'stream'
    if (b[this.pos] === 0x0d) this.pos++;
    if (b[this.pos] === 0x0a) this.pos++;
    const start = this.pos;
    let length: number | undefined;
    const raw = dictionary.get('Length');
    if (typeof raw === 'number') length = raw;
    else if (raw instanceof PdfRef) length = this.resolveLength?.(raw);
    if (length !== undefined && Number.isInteger(length) && length >= 0 && start + length <= b.length) {
      this.pos = start + length;
      this.skipWhitespace();
      if (this.startsWith('endstream')) {
        this.pos += 9;
        return new PdfStream(dictionary, b.subarray(start, start + length));
      }
    }
    // /Length missing or wrong: find the keyword instead, as every reader does, but only
    // so far: a hostile file must not make every object read search the whole file.
    const window = b.subarray(0, Math.min(b.length, start + MAX_ENDSTREAM_SCAN + 9));
    const end = indexOfAscii(window, 'endstream', start);
    if (end < 0) throw damaged(`Stream at byte ${start} has no end.`);
    let dataEnd = end;
    if (b[dataEnd - 1] === 0x0a) dataEnd--;
    if (b[dataEnd - 1] === 0x0d) dataEnd--;
    this.pos = end + 9;
    return new PdfStream(dictionary, b.subarray(start, Math.max(start, dataEnd)));
  }

  startsWith(keyword: string): boolean {
    for (let i = 0; i < keyword.length; i++)
      if (this.bytes[this.pos + i] !== keyword.charCodeAt(i)) return false;
    return true;
  }
}

export function latin1(bytes: Uint8Array, start: number, end: number): string {
  // String.fromCharCode on small slices is much faster than Buffer decoding for short tokens.
  if (end - start < 64) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

export function indexOfAscii(bytes: Uint8Array, text: string, from = 0): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(text, from, 'latin1');
}

export function lastIndexOfAscii(bytes: Uint8Array, text: string, from?: number): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).lastIndexOf(
    text,
    from ?? bytes.length,
    'latin1',
  );
}
