/**
 * The PDF object model shared by the reader, the incremental writer and the verifier:
 * just enough to read a document's structure and to write new objects, nothing for
 * rendering. Numbers are plain JS numbers.
 */

/**
 * A name. Common names are shared instances, but the table is bounded: the parser reads
 * untrusted files in a long-running process, whose names must not pile up for ever. So
 * compare `.value`, never identity.
 */
export class PdfName {
  private static readonly MAX_INTERNED = 4096;
  private static readonly interned = new Map<string, PdfName>();
  private constructor(readonly value: string) {}

  static of(value: string): PdfName {
    let name = PdfName.interned.get(value);
    if (!name) {
      name = new PdfName(value);
      if (PdfName.interned.size < PdfName.MAX_INTERNED) PdfName.interned.set(value, name);
    }
    return name;
  }

  toString(): string {
    return `/${this.value}`;
  }
}

/** An indirect reference `num gen R`. */
export class PdfRef {
  constructor(
    readonly num: number,
    readonly gen: number,
  ) {}

  equals(other: PdfValue | undefined): boolean {
    return other instanceof PdfRef && other.num === this.num && other.gen === this.gen;
  }

  toString(): string {
    return `${this.num} ${this.gen} R`;
  }
}

/**
 * A string object: raw bytes, and whether it was (or should be) written as hex. A parsed
 * string also remembers where it sits in its source buffer, because the verifier must
 * locate a signature's /Contents to the byte to check its /ByteRange.
 */
export class PdfString {
  constructor(
    readonly bytes: Uint8Array,
    readonly hex = false,
    /** Offset of the opening `<` or `(` in the buffer it was parsed from; -1 when not parsed. */
    readonly start = -1,
    /** Offset just after the closing `>` or `)`; -1 when not parsed. */
    readonly end = -1,
  ) {}

  /** Text string (PDF 32000-1 §7.9.2.2): ASCII stays one byte a character, anything else UTF-16BE. */
  static fromText(text: string): PdfString {
    if (/^[\x20-\x7e]*$/.test(text)) return new PdfString(Buffer.from(text, 'latin1'));
    const bytes = Buffer.alloc(2 + text.length * 2);
    bytes[0] = 0xfe;
    bytes[1] = 0xff;
    for (let i = 0; i < text.length; i++) bytes.writeUInt16BE(text.charCodeAt(i), 2 + i * 2);
    return new PdfString(bytes);
  }

  /** Decodes a text string: UTF-16BE or UTF-8 with BOM, otherwise PDFDocEncoding (read as Latin-1). */
  toText(): string {
    const b = this.bytes;
    if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
      let out = '';
      for (let i = 2; i + 1 < b.length; i += 2) out += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
      return out;
    }
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
      return Buffer.from(b.subarray(3)).toString('utf8');
    }
    return Buffer.from(b).toString('latin1');
  }
}

/** A dictionary; keys are name values without the slash. Insertion order is kept. */
export class PdfDict {
  readonly entries: Map<string, PdfValue>;

  constructor(entries?: Iterable<[string, PdfValue]>) {
    this.entries = new Map(entries);
  }

  get(key: string): PdfValue | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: PdfValue): this {
    this.entries.set(key, value);
    return this;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** A shallow copy, so an object read from the file can be changed for a new revision. */
  clone(): PdfDict {
    return new PdfDict(this.entries);
  }

  /** The value of a name entry (e.g. /Type), or undefined. */
  name(key: string): string | undefined {
    const value = this.entries.get(key);
    return value instanceof PdfName ? value.value : undefined;
  }
}

/** A stream: its dictionary and its data exactly as stored (still encoded by /Filter). */
export class PdfStream {
  constructor(
    readonly dict: PdfDict,
    readonly data: Uint8Array,
  ) {}
}

/**
 * A fixed-width slot the writer fills with spaces/zeros and whose byte offset it reports,
 * so a signature's /ByteRange and /Contents can be patched in place after writing.
 */
export class PdfPlaceholder {
  constructor(
    /** 'hex': `<00…>` holding `size` bytes; 'byterange': `[0 … … …]` with room for 3 offsets. */
    readonly kind: 'hex' | 'byterange',
    readonly size: number,
  ) {}

  /** Length in bytes of the placeholder's text in the file. */
  get width(): number {
    return this.kind === 'hex' ? this.size * 2 + 2 : BYTERANGE_WIDTH;
  }
}

/** `[0 ` + three 10-digit slots separated by spaces + `]`. */
export const BYTERANGE_WIDTH = 3 + 10 + 1 + 10 + 1 + 10 + 1;

/** Already serialised PDF text (a trusted literal such as an operator-free token). */
export class PdfRaw {
  constructor(readonly text: string) {}
}

export type PdfValue =
  | null
  | boolean
  | number
  | PdfName
  | PdfString
  | PdfRef
  | PdfValue[]
  | PdfDict
  | PdfStream
  | PdfPlaceholder
  | PdfRaw;

export const name = (value: string): PdfName => PdfName.of(value);

export function dict(entries: Record<string, PdfValue | undefined>): PdfDict {
  const d = new PdfDict();
  for (const [key, value] of Object.entries(entries)) if (value !== undefined) d.set(key, value);
  return d;
}

/** An object read from a file: where it came from matters for signature dictionaries. */
export interface IndirectObject {
  readonly num: number;
  readonly gen: number;
  readonly value: PdfValue;
  /** Byte offset of `num gen obj` in the file, or -1 when it was read from an object stream. */
  readonly offset: number;
}

/** Structural equality of two values as parsed (formatting and string notation ignored). */
export function sameValue(a: PdfValue | undefined, b: PdfValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (a instanceof PdfName) return b instanceof PdfName && a.value === b.value;
  if (a instanceof PdfRef) return a.equals(b);
  if (a instanceof PdfString) return b instanceof PdfString && sameString(a, b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof PdfDict) return b instanceof PdfDict && sameDict(a, b);
  if (a instanceof PdfStream) {
    return (
      b instanceof PdfStream && Buffer.compare(a.data, b.data) === 0 && sameDict(a.dict, b.dict, 'Length')
    );
  }
  return false;
}

function sameDict(a: PdfDict, b: PdfDict, ignore?: string): boolean {
  const keysA = [...a.entries.keys()].filter((k) => k !== ignore);
  const keysB = [...b.entries.keys()].filter((k) => k !== ignore);
  if (keysA.length !== keysB.length) return false;
  for (const k of keysA)
    if (!b.entries.has(k) || !sameValue(a.entries.get(k), b.entries.get(k))) return false;
  return true;
}

/**
 * Byte-equal, or the same text written once as UTF-16BE and once as plain ASCII: tools
 * re-encode text strings (e.g. a field name) when they rewrite an object, which changes
 * nothing a reader sees.
 */
function sameString(a: PdfString, b: PdfString): boolean {
  if (Buffer.compare(a.bytes, b.bytes) === 0) return true;
  const utf16 = (s: PdfString) => s.bytes.length >= 2 && s.bytes[0] === 0xfe && s.bytes[1] === 0xff;
  const ascii = (s: PdfString) => s.bytes.every((c) => c >= 0x20 && c <= 0x7e);
  if ((utf16(a) && ascii(b)) || (utf16(b) && ascii(a))) return a.toText() === b.toText();
  return false;
}
