/**
 * PDF objects as the verifier reads them. Unlike a general model, strings remember where
 * they sit in their source buffer, because a signature's /Contents must be located to the
 * byte to check its ByteRange.
 */

export class PdfName {
  constructor(readonly value: string) {}
}

export class PdfRef {
  constructor(
    readonly num: number,
    readonly gen: number,
  ) {}
}

export class PdfString {
  constructor(
    readonly bytes: Buffer,
    readonly hex: boolean,
    /** Offset of the opening `<` or `(` in the buffer it was parsed from. */
    readonly start: number,
    /** Offset just after the closing `>` or `)`. */
    readonly end: number,
  ) {}

  /** Text string (PDF 32000-1 §7.9.2.2): UTF-16BE or UTF-8 with a BOM, else PDFDocEncoding (read as Latin-1). */
  text(): string {
    const b = this.bytes;
    if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
      let out = '';
      for (let i = 2; i + 1 < b.length; i += 2) out += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
      return out;
    }
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf)
      return b.subarray(3).toString('utf8');
    return b.toString('latin1');
  }
}

export class PdfDict {
  constructor(readonly entries: Map<string, PdfValue>) {}

  get(key: string): PdfValue | undefined {
    return this.entries.get(key);
  }

  /** The value of `key` when it is a name, without the slash. */
  name(key: string): string | undefined {
    const v = this.entries.get(key);
    return v instanceof PdfName ? v.value : undefined;
  }
}

export class PdfStream {
  constructor(
    readonly dict: PdfDict,
    /** The stream's bytes as stored (still encoded). */
    readonly raw: Buffer,
  ) {}
}

export type PdfValue =
  | null
  | boolean
  | number
  | PdfName
  | PdfString
  | PdfRef
  | PdfDict
  | PdfStream
  | PdfValue[];

/** An object read from the file: where it came from matters for signature dictionaries. */
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
  if (a instanceof PdfRef) return b instanceof PdfRef && a.num === b.num && a.gen === b.gen;
  if (a instanceof PdfString) return b instanceof PdfString && sameString(a, b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof PdfDict) return b instanceof PdfDict && sameDict(a, b);
  if (a instanceof PdfStream) {
    return b instanceof PdfStream && a.raw.equals(b.raw) && sameDict(a.dict, b.dict, 'Length');
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
  if (a.bytes.equals(b.bytes)) return true;
  const utf16 = (s: PdfString) => s.bytes.length >= 2 && s.bytes[0] === 0xfe && s.bytes[1] === 0xff;
  const ascii = (s: PdfString) => s.bytes.every((c) => c >= 0x20 && c <= 0x7e);
  if ((utf16(a) && ascii(b)) || (utf16(b) && ascii(a))) return a.text() === b.text();
  return false;
}
