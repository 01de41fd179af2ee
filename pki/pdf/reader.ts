/**
 * A lean PDF reader: finds `startxref`, follows the cross-reference chain (classic tables,
 * xref streams, hybrid files) and parses objects on demand, from their byte offset or
 * from an object stream. It never walks the whole file, so opening a 10 MB document costs
 * about as much as opening a 1-page one. Damaged, encrypted or oversized input is refused
 * with a PkiError before anything else happens.
 */
import { PkiError } from '../errors';
import { decodeStream } from './filters';
import { PdfDict, PdfName, PdfRef, PdfStream, type PdfValue } from './objects';
import { damaged, indexOfAscii, isWhitespace, lastIndexOfAscii, PdfParser } from './parser';

export const DEFAULT_MAX_PDF_BYTES = 50 * 1024 * 1024;

export interface PdfReadOptions {
  /** Refuse input larger than this many bytes (default 50 MB). */
  maxBytes?: number;
}

export type XrefEntry =
  | { kind: 'offset'; offset: number; gen: number }
  | { kind: 'compressed'; stream: number; index: number }
  | { kind: 'free' };

/** One cross-reference section of the chain, newest first in `PdfReader.sections`. */
export interface XrefSection {
  /** Byte offset of the section (`xref` keyword or xref stream object). */
  offset: number;
  kind: 'table' | 'stream';
  trailer: PdfDict;
}

interface ObjectStream {
  first: number;
  data: Uint8Array;
  offsets: Map<number, number>;
}

const MAX_SECTIONS = 4096;

export class PdfReader {
  readonly sections: XrefSection[] = [];
  private readonly entries = new Map<number, XrefEntry>();
  private readonly cache = new Map<number, PdfValue>();
  private readonly objectStreams = new Map<number, ObjectStream>();
  private readonly resolving = new Set<number>();
  private maxObjectNumber = 0;

  private constructor(
    readonly bytes: Uint8Array,
    readonly startxref: number,
  ) {}

  /** Opens `bytes` as a PDF, or throws a PkiError saying exactly why it cannot. */
  static open(bytes: Uint8Array, options: PdfReadOptions = {}): PdfReader {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_PDF_BYTES;
    if (bytes.length > maxBytes) {
      throw new PkiError(
        'pdf_too_large',
        `The PDF is ${formatSize(bytes.length)}, over the limit of ${formatSize(maxBytes)}.`,
      );
    }
    const header = indexOfAscii(bytes.subarray(0, 1024), '%PDF-');
    if (header < 0) throw new PkiError('not_a_pdf', 'The file is not a PDF (no %PDF- header).');
    if (header !== 0)
      throw damaged('The PDF has data before its %PDF- header, which this reader does not accept.');

    const tail = Math.max(0, bytes.length - 2048);
    const eof = lastIndexOfAscii(bytes, '%%EOF');
    if (eof < tail || !onlyWhitespace(bytes, eof + 5)) {
      throw damaged('The PDF is truncated: it does not end with an %%EOF marker.');
    }
    const sx = lastIndexOfAscii(bytes, 'startxref', eof);
    if (sx < 0 || sx < tail - 64) throw damaged('The PDF is truncated: no startxref before the final %%EOF.');
    const parser = new PdfParser(bytes, sx + 9);
    const startxref = parser.tryInteger();
    if (startxref === undefined || startxref >= bytes.length) {
      throw damaged('The cross-reference table is broken: startxref does not point inside the file.');
    }

    const reader = new PdfReader(bytes, startxref);
    reader.readChain(startxref);
    const trailer = reader.trailer;
    if (trailer.has('Encrypt')) {
      throw new PkiError(
        'pdf_encrypted',
        'The PDF is encrypted; remove the password protection before signing.',
      );
    }
    const root = trailer.get('Root');
    if (!(root instanceof PdfRef)) throw damaged('The PDF trailer has no /Root (document catalog).');
    const catalog = reader.resolve(root);
    if (!(catalog instanceof PdfDict)) throw damaged('The document catalog is missing or not a dictionary.');
    return reader;
  }

  /** Newest trailer (for an xref stream, its dictionary). */
  get trailer(): PdfDict {
    return this.sections[0]!.trailer;
  }

  /** True when the newest cross-reference section is a stream, so an update should write one too. */
  get usesXrefStream(): boolean {
    return this.sections[0]!.kind === 'stream';
  }

  /** The smallest object number not in use: trailer /Size, or more if the table says so. */
  get size(): number {
    const declared = this.trailer.get('Size');
    return Math.max(typeof declared === 'number' ? declared : 0, this.maxObjectNumber + 1);
  }

  get catalogRef(): PdfRef {
    return this.trailer.get('Root') as PdfRef;
  }

  catalog(): PdfDict {
    return this.resolve(this.catalogRef) as PdfDict;
  }

  entry(num: number): XrefEntry | undefined {
    return this.entries.get(num);
  }

  /** Object `num` (or the one a reference names), parsed on first use and cached. */
  get(target: number | PdfRef): PdfValue {
    const num = typeof target === 'number' ? target : target.num;
    const cached = this.cache.get(num);
    if (cached !== undefined) return cached;
    const value = this.load(num);
    this.cache.set(num, value);
    return value;
  }

  /** Follows a reference; other values are returned as they are. */
  resolve(value: PdfValue | undefined): PdfValue {
    if (value === undefined) return null;
    return value instanceof PdfRef ? this.get(value) : value;
  }

  /** The dictionary a value is or refers to (a stream's dictionary counts), else undefined. */
  dict(value: PdfValue | undefined): PdfDict | undefined {
    const v = this.resolve(value);
    if (v instanceof PdfDict) return v;
    if (v instanceof PdfStream) return v.dict;
    return undefined;
  }

  /** The array a value is or refers to, else undefined. */
  array(value: PdfValue | undefined): PdfValue[] | undefined {
    const v = this.resolve(value);
    return Array.isArray(v) ? v : undefined;
  }

  /** Number of pages according to the page tree root. */
  pageCount(): number {
    const pages = this.dict(this.catalog().get('Pages'));
    const count = pages?.get('Count');
    return typeof count === 'number' ? count : 0;
  }

  /** Reference of page `index` (0-based), descending the page tree by /Count. */
  pageRef(index: number): PdfRef {
    let node = this.catalog().get('Pages');
    let skip = index;
    for (let depth = 0; depth < 64; depth++) {
      const d = this.dict(node);
      if (!d) break;
      const kids = this.array(d.get('Kids'));
      if (!kids) break;
      let descended = false;
      for (const kid of kids) {
        const kd = this.dict(kid);
        if (!kd || !(kid instanceof PdfRef)) continue;
        if (kd.name('Type') === 'Pages' || kd.has('Kids')) {
          const count = kd.get('Count');
          const n = typeof count === 'number' ? count : 0;
          if (skip < n) {
            node = kid;
            descended = true;
            break;
          }
          skip -= n;
        } else {
          if (skip === 0) return kid;
          skip--;
        }
      }
      if (!descended) break;
    }
    throw new PkiError('invalid_input', `The PDF has no page ${index + 1}.`);
  }

  private readChain(start: number): void {
    const seen = new Set<number>();
    let offset: number | undefined = start;
    while (offset !== undefined) {
      if (seen.has(offset) || seen.size >= MAX_SECTIONS) {
        throw damaged('The cross-reference chain loops back on itself.');
      }
      seen.add(offset);
      const section = this.readSection(offset);
      this.sections.push(section);
      const prev = section.trailer.get('Prev');
      if (prev !== undefined && (typeof prev !== 'number' || prev < 0 || prev >= this.bytes.length)) {
        throw damaged('The cross-reference table is broken: /Prev points outside the file.');
      }
      offset = prev;
    }
  }

  private readSection(offset: number): XrefSection {
    const parser = new PdfParser(this.bytes, offset);
    parser.skipWhitespace();
    if (parser.startsWith('xref')) {
      parser.pos += 4;
      const trailer = this.readTable(parser);
      const xrefStm = trailer.get('XRefStm');
      // Hybrid file: the table wins, the stream adds compressed objects, then /Prev.
      if (typeof xrefStm === 'number') this.readXrefStream(xrefStm);
      return { offset, kind: 'table', trailer };
    }
    return { offset, kind: 'stream', trailer: this.readXrefStream(offset) };
  }

  private readTable(parser: PdfParser): PdfDict {
    const b = this.bytes;
    for (;;) {
      parser.skipWhitespace();
      if (parser.startsWith('trailer')) {
        parser.pos += 7;
        const trailer = parser.parseValue();
        if (!(trailer instanceof PdfDict)) throw damaged('The trailer is not a dictionary.');
        return trailer;
      }
      const first = parser.tryInteger();
      const count = first === undefined ? undefined : parser.tryInteger();
      if (first === undefined || count === undefined) {
        throw damaged(`The cross-reference table is broken near byte ${parser.pos}.`);
      }
      for (let i = 0; i < count; i++) {
        const field1 = parser.tryInteger();
        const gen = field1 === undefined ? undefined : parser.tryInteger();
        parser.skipWhitespace();
        const type = b[parser.pos];
        if (field1 === undefined || gen === undefined || (type !== 0x6e && type !== 0x66)) {
          throw damaged(`The cross-reference table is broken near byte ${parser.pos}.`);
        }
        parser.pos++;
        const num = first + i;
        if (this.entries.has(num)) continue;
        if (type === 0x6e /* n */) {
          if (field1 >= b.length) {
            throw damaged(`The cross-reference table is broken: object ${num} points outside the file.`);
          }
          this.setEntry(num, { kind: 'offset', offset: field1, gen });
        } else this.setEntry(num, { kind: 'free' });
      }
    }
  }

  private readXrefStream(offset: number): PdfDict {
    const parser = new PdfParser(this.bytes, offset, (ref) => {
      const v = this.get(ref.num);
      return typeof v === 'number' ? v : undefined;
    });
    const { value } = parser.parseIndirectObject(offset);
    if (!(value instanceof PdfStream) || value.dict.name('Type') !== 'XRef') {
      throw damaged(`The cross-reference table is broken: no xref table or stream at byte ${offset}.`);
    }
    const d = value.dict;
    const w = d.get('W');
    if (!Array.isArray(w) || w.length < 3 || !w.every((x) => typeof x === 'number' && x >= 0 && x <= 8)) {
      throw damaged('The cross-reference stream has a malformed /W entry.');
    }
    const [w1, w2, w3] = w as number[];
    const size = d.get('Size');
    const index = d.get('Index') ?? [0, typeof size === 'number' ? size : 0];
    if (!Array.isArray(index) || index.length % 2 !== 0 || !index.every((x) => typeof x === 'number')) {
      throw damaged('The cross-reference stream has a malformed /Index entry.');
    }
    const data = decodeStream(value, (v) => v);
    const rowLength = w1! + w2! + w3!;
    let row = 0;
    const field = (at: number, width: number, fallback: number): number => {
      if (width === 0) return fallback;
      let n = 0;
      for (let i = 0; i < width; i++) n = n * 256 + data[at + i]!;
      return n;
    };
    for (let k = 0; k < index.length; k += 2) {
      const first = index[k] as number;
      const count = index[k + 1] as number;
      for (let i = 0; i < count; i++, row++) {
        const at = row * rowLength;
        if (at + rowLength > data.length)
          throw damaged('The cross-reference stream is shorter than its /Index says.');
        const num = first + i;
        if (this.entries.has(num)) continue;
        const type = field(at, w1!, 1);
        const f2 = field(at + w1!, w2!, 0);
        const f3 = field(at + w1! + w2!, w3!, 0);
        if (type === 1) {
          if (f2 >= this.bytes.length) {
            throw damaged(`The cross-reference stream is broken: object ${num} points outside the file.`);
          }
          this.setEntry(num, { kind: 'offset', offset: f2, gen: f3 });
        } else if (type === 2) this.setEntry(num, { kind: 'compressed', stream: f2, index: f3 });
        else if (type === 0) this.setEntry(num, { kind: 'free' });
        // Unknown types are to be ignored (PDF 32000-1 §7.5.8.3).
      }
    }
    return d;
  }

  private setEntry(num: number, entry: XrefEntry): void {
    this.entries.set(num, entry);
    if (entry.kind !== 'free' && num > this.maxObjectNumber) this.maxObjectNumber = num;
  }

  private load(num: number): PdfValue {
    const entry = this.entries.get(num);
    if (!entry || entry.kind === 'free') return null;
    if (this.resolving.has(num)) throw damaged(`Object ${num} refers to itself while being read.`);
    this.resolving.add(num);
    try {
      if (entry.kind === 'offset') {
        const parser = new PdfParser(this.bytes, entry.offset, (ref) => {
          const v = this.get(ref.num);
          return typeof v === 'number' ? v : undefined;
        });
        return parser.parseIndirectObject(entry.offset, { num, gen: entry.gen }).value;
      }
      const objStm = this.objectStream(entry.stream);
      const at = objStm.offsets.get(num);
      if (at === undefined) throw damaged(`Object ${num} is missing from object stream ${entry.stream}.`);
      const parser = new PdfParser(objStm.data, objStm.first + at);
      return parser.parseValue();
    } finally {
      this.resolving.delete(num);
    }
  }

  private objectStream(num: number): ObjectStream {
    const cached = this.objectStreams.get(num);
    if (cached) return cached;
    const stream = this.get(num);
    if (!(stream instanceof PdfStream)) throw damaged(`Object stream ${num} is missing.`);
    const first = stream.dict.get('First');
    const n = stream.dict.get('N');
    if (typeof first !== 'number' || typeof n !== 'number')
      throw damaged(`Object stream ${num} is malformed.`);
    const data = decodeStream(stream, (v) => this.resolve(v));
    const parser = new PdfParser(data, 0);
    const offsets = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const objNum = parser.tryInteger();
      const objOffset = objNum === undefined ? undefined : parser.tryInteger();
      if (objNum === undefined || objOffset === undefined)
        throw damaged(`Object stream ${num} has a bad header.`);
      offsets.set(objNum, objOffset);
    }
    const result = { first, data, offsets };
    this.objectStreams.set(num, result);
    return result;
  }
}

function onlyWhitespace(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (!isWhitespace(bytes[i]!)) return false;
  return true;
}

export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${bytes} bytes`;
}

export const isName = (value: PdfValue | undefined, name: string): boolean =>
  value instanceof PdfName && value.value === name;
