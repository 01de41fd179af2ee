/**
 * A defensive parser for PDF object syntax (ISO 32000-1 §7.2–7.3). It reads one value or
 * one indirect object at a given offset and fails with `pdf_damaged` on anything it cannot
 * make sense of; nesting depth and scan distances are bounded so hostile input cannot make
 * it recurse or search without limit.
 */
import { PkiError } from '../../errors';
import { PdfDict, PdfName, PdfRef, PdfStream, PdfString, type PdfValue } from './objects';

const MAX_DEPTH = 64;
/** How far past a wrong /Length we look for `endstream` before giving up. */
const MAX_ENDSTREAM_SCAN = 64 * 1024 * 1024;

const WHITE = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32]) WHITE[c] = 1;
const DELIM = new Uint8Array(256);
for (const c of '()<>[]{}/%') DELIM[c.charCodeAt(0)] = 1;

export function isWhite(c: number | undefined): boolean {
  return c !== undefined && WHITE[c] === 1;
}

function isRegular(c: number | undefined): boolean {
  return c !== undefined && WHITE[c] === 0 && DELIM[c] === 0;
}

const PLAIN_HEX = /^[0-9A-Fa-f]*$/;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

export function damaged(message: string): PkiError {
  return new PkiError('pdf_damaged', message);
}

/** Resolves an indirect /Length of a stream; undefined when it cannot be found. */
export type LengthResolver = (ref: PdfRef) => number | undefined;

export class PdfParser {
  pos: number;

  constructor(
    readonly buf: Buffer,
    pos = 0,
    private readonly resolveLength?: LengthResolver,
  ) {
    this.pos = pos;
  }

  skipWhitespace(): void {
    const buf = this.buf;
    let p = this.pos;
    for (;;) {
      const c = buf[p];
      if (c === undefined) break;
      if (WHITE[c] === 1) {
        p++;
      } else if (c === 0x25 /* % */) {
        while (p < buf.length && buf[p] !== 0x0a && buf[p] !== 0x0d) p++;
      } else break;
    }
    this.pos = p;
  }

  /** Reads a bare keyword or number token (a run of regular characters). */
  readToken(): string {
    this.skipWhitespace();
    const start = this.pos;
    while (isRegular(this.buf[this.pos])) this.pos++;
    return this.buf.toString('latin1', start, this.pos);
  }

  expectKeyword(word: string): void {
    const at = this.pos;
    const token = this.readToken();
    if (token !== word) throw damaged(`Expected "${word}" at byte ${at} but found "${token.slice(0, 20)}".`);
  }

  /** Reads a non-negative integer token, or returns undefined and leaves the position unchanged. */
  tryInteger(): number | undefined {
    const save = this.pos;
    this.skipWhitespace();
    let p = this.pos;
    let n = 0;
    const start = p;
    while (p < this.buf.length && this.buf[p]! >= 0x30 && this.buf[p]! <= 0x39 && p - start < 16) {
      n = n * 10 + (this.buf[p]! - 0x30);
      p++;
    }
    if (p === start || isRegular(this.buf[p])) {
      this.pos = save;
      return undefined;
    }
    this.pos = p;
    return n;
  }

  parseValue(depth = 0): PdfValue {
    if (depth > MAX_DEPTH) throw damaged('Objects are nested too deeply.');
    this.skipWhitespace();
    const buf = this.buf;
    const c = buf[this.pos];
    if (c === undefined) throw damaged('Unexpected end of file inside an object.');
    switch (c) {
      case 0x2f /* / */:
        return this.parseName();
      case 0x28 /* ( */:
        return this.parseLiteralString();
      case 0x3c /* < */:
        if (buf[this.pos + 1] === 0x3c) return this.parseDict(depth);
        return this.parseHexString();
      case 0x5b /* [ */:
        {
          this.pos++;
          const items: PdfValue[] = [];
          for (;;) {
            this.skipWhitespace();
            const d = buf[this.pos];
            if (d === undefined) throw damaged('Unterminated array.');
            if (d === 0x5d) {
              this.pos++;
              return items;
            }
            items.push(this.parseValue(depth + 1));
          }
        }
      default:
        break;
    }
    if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) return this.parseNumberOrRef();
    const at = this.pos;
    const word = this.readToken();
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null') return null;
    throw damaged(`Unexpected token "${word.slice(0, 20) || String.fromCharCode(c)}" at byte ${at}.`);
  }

  private parseNumberOrRef(): number | PdfRef {
    const at = this.pos;
    const token = this.readToken();
    const value = Number(token);
    if (token === '' || !Number.isFinite(value)) {
      // Lenient like other readers for oddities such as "--5" or "5."; anything else is damage.
      const cleaned = Number.parseFloat(token.replace(/^[-+]+/, (s) => (s.includes('-') ? '-' : '')));
      if (!Number.isFinite(cleaned)) throw damaged(`Bad number "${token.slice(0, 20)}" at byte ${at}.`);
      return cleaned;
    }
    if (!/^\d+$/.test(token)) return value;
    const save = this.pos;
    const gen = this.tryInteger();
    if (gen !== undefined) {
      this.skipWhitespace();
      if (this.buf[this.pos] === 0x52 /* R */ && !isRegular(this.buf[this.pos + 1])) {
        this.pos++;
        return new PdfRef(value, gen);
      }
    }
    this.pos = save;
    return value;
  }

  private parseName(): PdfName {
    const buf = this.buf;
    this.pos++;
    const start = this.pos;
    while (isRegular(buf[this.pos])) this.pos++;
    let raw = buf.toString('latin1', start, this.pos);
    if (raw.includes('#')) {
      raw = raw.replace(/#([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    }
    return new PdfName(raw);
  }

  private parseHexString(): PdfString {
    const buf = this.buf;
    const start = this.pos;
    this.pos++;
    const close = buf.indexOf(0x3e, this.pos);
    if (close < 0) throw damaged(`Unterminated hex string at byte ${start}.`);
    // Fast path for the common case (signature values are long runs of plain hex digits).
    const text = buf.toString('latin1', this.pos, close);
    if (text.length % 2 === 0 && PLAIN_HEX.test(text)) {
      this.pos = close + 1;
      return new PdfString(Buffer.from(text, 'hex'), true, start, this.pos);
    }
    const out = Buffer.allocUnsafe((close - this.pos + 1) >>> 1);
    let n = 0;
    let high = -1;
    for (;;) {
      const c = buf[this.pos++];
      if (c === undefined) throw damaged(`Unterminated hex string at byte ${start}.`);
      if (c === 0x3e) break;
      if (WHITE[c] === 1) continue;
      const v = hexValue(c);
      if (v < 0) throw damaged(`Bad character in hex string at byte ${this.pos - 1}.`);
      if (high < 0) high = v;
      else {
        out[n++] = (high << 4) | v;
        high = -1;
      }
    }
    if (high >= 0) out[n++] = high << 4;
    return new PdfString(Buffer.from(out.subarray(0, n)), true, start, this.pos);
  }

  private parseLiteralString(): PdfString {
    const buf = this.buf;
    const start = this.pos;
    this.pos++;
    const out: number[] = [];
    let nesting = 1;
    for (;;) {
      let c = buf[this.pos++];
      if (c === undefined) throw damaged(`Unterminated string at byte ${start}.`);
      if (c === 0x5c /* \ */) {
        c = buf[this.pos++];
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
            if (buf[this.pos] === 0x0a) this.pos++;
            break;
          case 0x0a:
            break;
          default:
            if (c >= 0x30 && c <= 0x37) {
              let v = c - 0x30;
              for (let i = 0; i < 2; i++) {
                const d = buf[this.pos];
                if (d === undefined || d < 0x30 || d > 0x37) break;
                v = v * 8 + (d - 0x30);
                this.pos++;
              }
              out.push(v & 0xff);
            } else out.push(c);
        }
        continue;
      }
      if (c === 0x28) nesting++;
      else if (c === 0x29 && --nesting === 0) break;
      if (c === 0x0d) {
        if (buf[this.pos] === 0x0a) this.pos++;
        c = 0x0a;
      }
      out.push(c);
    }
    return new PdfString(Buffer.from(out), false, start, this.pos);
  }

  private parseDict(depth: number): PdfDict | PdfStream {
    const buf = this.buf;
    this.pos += 2;
    const entries = new Map<string, PdfValue>();
    for (;;) {
      this.skipWhitespace();
      const c = buf[this.pos];
      if (c === undefined) throw damaged('Unterminated dictionary.');
      if (c === 0x3e && buf[this.pos + 1] === 0x3e) {
        this.pos += 2;
        break;
      }
      if (c !== 0x2f) throw damaged(`Dictionary key expected at byte ${this.pos}.`);
      const key = this.parseName().value;
      entries.set(key, this.parseValue(depth + 1));
    }
    const dict = new PdfDict(entries);
    if (depth === 0) {
      const save = this.pos;
      this.skipWhitespace();
      if (buf.toString('latin1', this.pos, this.pos + 6) === 'stream' && !isRegular(buf[this.pos + 6])) {
        this.pos += 6;
        return this.parseStreamBody(dict);
      }
      this.pos = save;
    }
    return dict;
  }

  private parseStreamBody(dict: PdfDict): PdfStream {
    const buf = this.buf;
    if (buf[this.pos] === 0x0d) this.pos++;
    if (buf[this.pos] === 0x0a) this.pos++;
    const dataStart = this.pos;
    const lengthValue = dict.get('Length');
    let length: number | undefined;
    if (typeof lengthValue === 'number') length = lengthValue;
    else if (lengthValue instanceof PdfRef && this.resolveLength) length = this.resolveLength(lengthValue);
    if (length !== undefined && Number.isInteger(length) && length >= 0 && dataStart + length <= buf.length) {
      const after = new PdfParser(buf, dataStart + length);
      after.skipWhitespace();
      if (buf.toString('latin1', after.pos, after.pos + 9) === 'endstream') {
        this.pos = after.pos + 9;
        return new PdfStream(dict, buf.subarray(dataStart, dataStart + length));
      }
    }
    // /Length missing or wrong: fall back to the `endstream` keyword, as other readers do.
    const limit = Math.min(buf.length, dataStart + MAX_ENDSTREAM_SCAN);
    const end = buf.indexOf('endstream', dataStart, 'latin1');
    if (end < 0 || end > limit) throw damaged(`Stream at byte ${dataStart} has no end.`);
    let dataEnd = end;
    if (buf[dataEnd - 1] === 0x0a) dataEnd--;
    if (buf[dataEnd - 1] === 0x0d) dataEnd--;
    this.pos = end + 9;
    return new PdfStream(dict, buf.subarray(dataStart, Math.max(dataStart, dataEnd)));
  }

  /** Reads `num gen obj <value> endobj` at the current position. */
  parseIndirectObject(): { num: number; gen: number; value: PdfValue } {
    const at = this.pos;
    const num = this.tryInteger();
    const gen = num === undefined ? undefined : this.tryInteger();
    if (num === undefined || gen === undefined) throw damaged(`No object header at byte ${at}.`);
    this.skipWhitespace();
    if (this.buf.toString('latin1', this.pos, this.pos + 3) !== 'obj') {
      throw damaged(`No object header at byte ${at}.`);
    }
    this.pos += 3;
    const value = this.parseValue(0);
    // `endobj` is checked leniently: many writers are sloppy, and the value is already complete.
    return { num, gen, value };
  }
}
