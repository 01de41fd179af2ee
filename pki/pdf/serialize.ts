/**
 * Writes PDF objects as bytes, keeping track of offsets so placeholders (a signature's
 * /ByteRange and /Contents) can be found and patched after writing. Text parts are
 * accumulated as Latin-1 strings and binary stream data as byte chunks: one copy at the end.
 */
import {
  BYTERANGE_WIDTH,
  PdfDict,
  PdfName,
  PdfPlaceholder,
  PdfRaw,
  PdfRef,
  PdfStream,
  PdfString,
  type PdfValue,
} from './objects';

const HEX = '0123456789abcdef';

// Bytes that may appear unescaped in a name: regular printable characters other than '#'.
const NAME_PLAIN = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) NAME_PLAIN[c] = 1;
for (const c of '()<>[]{}/%#') NAME_PLAIN[c.charCodeAt(0)] = 0;

export class PdfSerializer {
  private readonly chunks: Uint8Array[] = [];
  private text = '';
  private flushed = 0;
  /** Byte offset (from the start of this output) of each placeholder written. */
  readonly marks = new Map<PdfPlaceholder, number>();

  /** Bytes written so far. */
  get length(): number {
    return this.flushed + this.text.length;
  }

  writeText(text: string): void {
    this.text += text;
  }

  writeBytes(bytes: Uint8Array): void {
    this.flushText();
    this.chunks.push(bytes);
    this.flushed += bytes.length;
  }

  writeObject(ref: PdfRef, value: PdfValue): void {
    this.text += `${ref.num} ${ref.gen} obj\n`;
    this.writeValue(value);
    this.text += '\nendobj\n';
  }

  writeValue(value: PdfValue): void {
    if (value === null) this.text += 'null';
    else if (typeof value === 'boolean') this.text += value ? 'true' : 'false';
    else if (typeof value === 'number') this.text += formatNumber(value);
    else if (value instanceof PdfName) this.text += formatName(value.value);
    else if (value instanceof PdfRef) this.text += `${value.num} ${value.gen} R`;
    else if (value instanceof PdfString) this.text += formatString(value);
    else if (Array.isArray(value)) {
      this.text += '[';
      for (let i = 0; i < value.length; i++) {
        if (i > 0) this.text += ' ';
        this.writeValue(value[i]!);
      }
      this.text += ']';
    } else if (value instanceof PdfDict) this.writeDict(value);
    else if (value instanceof PdfStream) {
      const d = value.dict.clone().set('Length', value.data.length);
      this.writeDict(d);
      this.text += '\nstream\n';
      this.writeBytes(value.data);
      this.text += '\nendstream';
    } else if (value instanceof PdfPlaceholder) {
      this.marks.set(value, this.length);
      this.text +=
        value.kind === 'hex' ? `<${'0'.repeat(value.size * 2)}>` : `[0${' '.repeat(BYTERANGE_WIDTH - 3)}]`;
    } else if (value instanceof PdfRaw) this.text += value.text;
  }

  private writeDict(d: PdfDict): void {
    this.text += '<< ';
    for (const [key, v] of d.entries) {
      if (v === undefined) continue;
      this.text += `${formatName(key)} `;
      this.writeValue(v);
      this.text += ' ';
    }
    this.text += '>>';
  }

  private flushText(): void {
    if (this.text.length === 0) return;
    this.chunks.push(Buffer.from(this.text, 'latin1'));
    this.flushed += this.text.length;
    this.text = '';
  }

  toBytes(): Buffer {
    this.flushText();
    return Buffer.concat(this.chunks, this.flushed);
  }
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '0';
  if (Number.isInteger(n)) return String(n);
  const s = String(n);
  if (!s.includes('e')) return s;
  return n.toFixed(12).replace(/0+$/, '').replace(/\.$/, '');
}

export function formatName(value: string): string {
  let out = '/';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 256 && NAME_PLAIN[c]) out += value[i];
    else out += `#${HEX[(c >> 4) & 15]}${HEX[c & 15]}`;
  }
  return out;
}

export function formatString(s: PdfString): string {
  const b = s.bytes;
  if (s.hex) {
    let out = '<';
    for (let i = 0; i < b.length; i++) out += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
    return `${out}>`;
  }
  let out = '(';
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x28 || c === 0x29 || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c >= 0x20 && c <= 0x7e) out += String.fromCharCode(c);
    else out += `\\${c.toString(8).padStart(3, '0')}`;
  }
  return `${out})`;
}
