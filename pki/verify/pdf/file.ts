/**
 * A PDF file seen as its revisions. Verification needs every revision, not just the
 * newest: a signature covers one revision, and what changed afterwards is judged by
 * comparing later revisions with it. Objects are read lazily and cached, so checking one
 * signature of a large file touches only the trailer, the catalog and the form.
 */
import { PkiError } from '../../errors';
import { decodeStream } from '../../pdf/filters';
import { type IndirectObject, PdfDict, PdfRef, PdfStream, type PdfValue } from '../../pdf/objects';
import { damaged, PdfParser } from '../../pdf/parser';

/** type 0 free; type 1 at byte `a` with generation `b`; type 2 in object stream `a` at index `b`. */
export interface XrefEntry {
  readonly type: 0 | 1 | 2;
  readonly a: number;
  readonly b: number;
}

interface XrefSection {
  readonly offset: number;
  readonly entries: Map<number, XrefEntry>;
  readonly trailer: PdfDict;
  /** Object number of the cross-reference stream itself, when the section is one. */
  readonly streamNum?: number;
}

export interface Revision {
  /** 0 for the original document, then one per incremental update. */
  readonly index: number;
  /** Cross-reference sections of this revision, newest first (usually exactly one). */
  readonly sections: readonly XrefSection[];
  readonly trailer: PdfDict;
  /** Offset just after this revision's `%%EOF` marker. */
  readonly eofEnd: number;
  /** Offset after the end-of-line that follows `%%EOF`, if any (else equal to eofEnd). */
  readonly end: number;
}

const MAX_SECTIONS = 10_000;
const MAX_XREF_ENTRIES = 10_000_000;
const MAX_REF_CHAIN = 32;

export class PdfFile {
  readonly revisions: readonly Revision[];
  private readonly objectCache = new Map<string, IndirectObject>();
  private readonly objStmCache = new Map<
    number,
    { data: Buffer; offsets: Map<number, number>; first: number }
  >();
  private readonly mergedCache = new Map<number, Map<number, XrefEntry>>();
  private lengthDepth = 0;

  private constructor(
    readonly bytes: Buffer,
    revisions: Revision[],
  ) {
    this.revisions = revisions;
  }

  /** Reads the revision structure; throws `pdf_damaged`, `pdf_encrypted` with a clear message. */
  static open(bytes: Buffer): PdfFile {
    const sections = readSectionChain(bytes);
    // Sections that end at the same %%EOF form one revision (linearized files have two).
    const byEnd = new Map<number, XrefSection[]>();
    for (const section of sections) {
      const eof = bytes.indexOf('%%EOF', section.offset, 'latin1');
      if (eof < 0) throw damaged('The file is truncated: a cross-reference section has no %%EOF after it.');
      const list = byEnd.get(eof) ?? [];
      list.push(section);
      byEnd.set(eof, list);
    }
    const revisions: Revision[] = [...byEnd.entries()]
      .sort((x, y) => x[0] - y[0])
      .map(([eof, list], index) => {
        const eofEnd = eof + 5;
        let end = eofEnd;
        if (bytes[end] === 0x0d) end++;
        if (bytes[end] === 0x0a) end++;
        return { index, sections: list, trailer: list[0]!.trailer, eofEnd, end };
      });
    for (const revision of revisions) {
      if (revision.trailer.get('Encrypt') !== undefined) {
        throw new PkiError('pdf_encrypted', 'The PDF is encrypted; encrypted documents cannot be verified.');
      }
    }
    return new PdfFile(bytes, revisions);
  }

  get lastRevision(): number {
    return this.revisions.length - 1;
  }

  trailer(rev = this.lastRevision): PdfDict {
    return this.revisions[rev]!.trailer;
  }

  /** All cross-reference entries visible in revision `rev` (later sections win). */
  entriesAt(rev: number): Map<number, XrefEntry> {
    const cached = this.mergedCache.get(rev);
    if (cached) return cached;
    const merged = new Map(rev > 0 ? this.entriesAt(rev - 1) : undefined);
    const sections = this.revisions[rev]!.sections;
    for (let i = sections.length - 1; i >= 0; i--)
      for (const [n, e] of sections[i]!.entries) merged.set(n, e);
    this.mergedCache.set(rev, merged);
    return merged;
  }

  /** Entries written by revision `rev` itself (what that incremental update touched). */
  entriesWrittenIn(rev: number): Map<number, XrefEntry> {
    const out = new Map<number, XrefEntry>();
    const sections = this.revisions[rev]!.sections;
    for (let i = sections.length - 1; i >= 0; i--) for (const [n, e] of sections[i]!.entries) out.set(n, e);
    return out;
  }

  /** Object numbers of the cross-reference streams of revision `rev` (structure, not content). */
  xrefStreamsOf(rev: number): Set<number> {
    const out = new Set<number>();
    for (const s of this.revisions[rev]!.sections) if (s.streamNum !== undefined) out.add(s.streamNum);
    return out;
  }

  entry(num: number, rev: number): XrefEntry | undefined {
    for (let r = rev; r >= 0; r--) {
      for (const section of this.revisions[r]!.sections) {
        const e = section.entries.get(num);
        if (e) return e;
      }
    }
    return undefined;
  }

  /** The object `num` as revision `rev` sees it, or undefined when free or absent. */
  object(num: number, rev = this.lastRevision): IndirectObject | undefined {
    const e = this.entry(num, rev);
    if (!e || e.type === 0) return undefined;
    return e.type === 1 ? this.objectAt(num, e.a, rev) : this.objectInStream(num, e.a, e.b, rev);
  }

  /** Follows references until a direct value (null for a dangling reference). */
  resolve(value: PdfValue | undefined, rev = this.lastRevision): PdfValue | undefined {
    let v = value;
    for (let i = 0; v instanceof PdfRef; i++) {
      if (i >= MAX_REF_CHAIN) throw damaged('A chain of references does not end.');
      v = this.object(v.num, rev)?.value ?? null;
    }
    return v;
  }

  dict(value: PdfValue | undefined, rev = this.lastRevision): PdfDict | undefined {
    const v = this.resolve(value, rev);
    if (v instanceof PdfDict) return v;
    if (v instanceof PdfStream) return v.dict;
    return undefined;
  }

  catalog(rev = this.lastRevision): PdfDict {
    const root = this.dict(this.trailer(rev).get('Root'), rev);
    if (!root) throw damaged('The document catalog (/Root) is missing.');
    return root;
  }

  private objectAt(num: number, offset: number, rev: number): IndirectObject {
    const key = `o${offset}`;
    const cached = this.objectCache.get(key);
    if (cached) return cached;
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.bytes.length) {
      throw damaged(`The cross-reference table points object ${num} outside the file.`);
    }
    const parsed = new PdfParser(this.bytes, offset, (ref) => this.lengthOf(ref, rev)).parseIndirectObject();
    if (parsed.num !== num) {
      throw damaged(`The cross-reference table points object ${num} at object ${parsed.num} instead.`);
    }
    const object: IndirectObject = { num, gen: parsed.gen, value: parsed.value, offset };
    this.objectCache.set(key, object);
    return object;
  }

  private objectInStream(num: number, stmNum: number, index: number, rev: number): IndirectObject {
    const container = this.object(stmNum, rev);
    if (!container || container.offset < 0 || !(container.value instanceof PdfStream)) {
      throw damaged(`Object stream ${stmNum} holding object ${num} is missing.`);
    }
    const key = `s${container.offset}:${index}`;
    const cached = this.objectCache.get(key);
    if (cached) return cached;
    const stm = this.objectStream(container.offset, container.value);
    const rel = stm.offsets.get(num);
    if (rel === undefined) throw damaged(`Object ${num} is not in object stream ${stmNum}.`);
    const parser = new PdfParser(stm.data, stm.first + rel);
    const object: IndirectObject = { num, gen: 0, value: parser.parseValue(1), offset: -1 };
    this.objectCache.set(key, object);
    return object;
  }

  private objectStream(
    offset: number,
    stream: PdfStream,
  ): { data: Buffer; offsets: Map<number, number>; first: number } {
    const cached = this.objStmCache.get(offset);
    if (cached) return cached;
    if (stream.dict.name('Type') !== 'ObjStm') throw damaged('An object stream is not of type /ObjStm.');
    const data = decodeStream(stream);
    const n = stream.dict.get('N');
    const first = stream.dict.get('First');
    if (typeof n !== 'number' || typeof first !== 'number' || n < 0 || first < 0 || first > data.length) {
      throw damaged('An object stream has a bad /N or /First.');
    }
    const header = new PdfParser(data.subarray(0, first));
    const offsets = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const objNum = header.tryInteger();
      const rel = header.tryInteger();
      if (objNum === undefined || rel === undefined) throw damaged('An object stream header is damaged.');
      offsets.set(objNum, rel);
    }
    const entry = { data, offsets, first };
    this.objStmCache.set(offset, entry);
    return entry;
  }

  private lengthOf(ref: PdfRef, rev: number): number | undefined {
    if (this.lengthDepth > 4) return undefined;
    this.lengthDepth++;
    try {
      const v = this.resolve(ref, rev);
      return typeof v === 'number' ? v : undefined;
    } catch {
      return undefined;
    } finally {
      this.lengthDepth--;
    }
  }
}

/** Reads `startxref` at the end and follows /Prev (and hybrid /XRefStm) through every section. */
function readSectionChain(bytes: Buffer): XrefSection[] {
  const tailStart = Math.max(0, bytes.length - 2048);
  const sx = bytes.lastIndexOf('startxref', bytes.length, 'latin1');
  if (sx < 0 || sx < tailStart) throw damaged('The file is truncated: no startxref near its end.');
  if (bytes.indexOf('%%EOF', sx, 'latin1') < 0) throw damaged('The file is truncated: no %%EOF at its end.');
  const p = new PdfParser(bytes, sx + 9);
  let offset = p.tryInteger();
  if (offset === undefined) throw damaged('The startxref offset is not a number.');
  const sections: XrefSection[] = [];
  const seen = new Set<number>();
  let total = 0;
  while (offset !== undefined) {
    if (seen.has(offset)) throw damaged('The cross-reference chain loops back on itself.');
    if (sections.length >= MAX_SECTIONS) throw damaged('The cross-reference chain is too long.');
    seen.add(offset);
    const section = readSection(bytes, offset);
    total += section.entries.size;
    if (total > MAX_XREF_ENTRIES) throw damaged('The cross-reference tables are too large.');
    sections.push(section);
    const prev = section.trailer.get('Prev');
    offset = typeof prev === 'number' ? prev : undefined;
  }
  return sections;
}

function readSection(bytes: Buffer, offset: number): XrefSection {
  if (!Number.isInteger(offset) || offset < 0 || offset >= bytes.length) {
    throw damaged('A cross-reference offset points outside the file.');
  }
  const p = new PdfParser(bytes, offset);
  p.skipWhitespace();
  if (bytes.toString('latin1', p.pos, p.pos + 4) === 'xref') {
    p.pos += 4;
    const section = readTable(bytes, p, offset);
    const stm = section.trailer.get('XRefStm');
    if (typeof stm === 'number') {
      const hidden = readStream(bytes, stm);
      for (const [n, e] of hidden.entries) {
        const t = section.entries.get(n);
        if (!t || t.type === 0) section.entries.set(n, e);
      }
    }
    return section;
  }
  return readStream(bytes, offset);
}

function readTable(bytes: Buffer, p: PdfParser, offset: number): XrefSection {
  const entries = new Map<number, XrefEntry>();
  for (;;) {
    p.skipWhitespace();
    if (bytes.toString('latin1', p.pos, p.pos + 7) === 'trailer') {
      p.pos += 7;
      const trailer = p.parseValue(1);
      if (!(trailer instanceof PdfDict)) throw damaged('The trailer is not a dictionary.');
      return { offset, entries, trailer };
    }
    const start = p.tryInteger();
    const count = start === undefined ? undefined : p.tryInteger();
    if (start === undefined || count === undefined || count > MAX_XREF_ENTRIES) {
      throw damaged(`The cross-reference table at byte ${offset} is damaged.`);
    }
    for (let i = 0; i < count; i++) {
      const a = p.tryInteger();
      const b = a === undefined ? undefined : p.tryInteger();
      const kind = p.readToken();
      if (a === undefined || b === undefined || (kind !== 'n' && kind !== 'f')) {
        throw damaged(`The cross-reference table at byte ${offset} is damaged.`);
      }
      // The first subsection entry wins if a writer repeated a number within one table.
      if (!entries.has(start + i)) entries.set(start + i, { type: kind === 'n' ? 1 : 0, a, b });
    }
  }
}

function readStream(bytes: Buffer, offset: number): XrefSection {
  if (!Number.isInteger(offset) || offset < 0 || offset >= bytes.length) {
    throw damaged('A cross-reference stream offset points outside the file.');
  }
  let parsed: { num: number; value: PdfValue };
  try {
    parsed = new PdfParser(bytes, offset).parseIndirectObject();
  } catch (error) {
    if (error instanceof PkiError) throw damaged(`No cross-reference table or stream at byte ${offset}.`);
    throw error;
  }
  const stream = parsed.value;
  if (!(stream instanceof PdfStream) || stream.dict.name('Type') !== 'XRef') {
    throw damaged(`No cross-reference table or stream at byte ${offset}.`);
  }
  const dict = stream.dict;
  const w = dict.get('W');
  if (!Array.isArray(w) || w.length !== 3 || !w.every((x) => typeof x === 'number' && x >= 0 && x <= 8)) {
    throw damaged('A cross-reference stream has a bad /W.');
  }
  const [w0, w1, w2] = w as [number, number, number];
  const size = dict.get('Size');
  const index = dict.get('Index') ?? [0, typeof size === 'number' ? size : 0];
  if (
    !Array.isArray(index) ||
    index.length % 2 !== 0 ||
    !index.every((x) => typeof x === 'number' && x >= 0)
  ) {
    throw damaged('A cross-reference stream has a bad /Index.');
  }
  const data = decodeStream(stream);
  const width = w0 + w1 + w2;
  if (width === 0) throw damaged('A cross-reference stream has a bad /W.');
  const entries = new Map<number, XrefEntry>();
  let pos = 0;
  const field = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + data[pos++]!;
    return v;
  };
  for (let k = 0; k < index.length; k += 2) {
    const start = index[k] as number;
    const count = index[k + 1] as number;
    if (count > MAX_XREF_ENTRIES) throw damaged('A cross-reference stream is too large.');
    for (let i = 0; i < count; i++) {
      if (pos + width > data.length)
        throw damaged('A cross-reference stream is shorter than its /Index says.');
      const type = w0 === 0 ? 1 : field(w0);
      const a = field(w1);
      const b = field(w2);
      if (type === 0 || type === 1 || type === 2) {
        if (!entries.has(start + i)) entries.set(start + i, { type, a, b });
      }
    }
  }
  return { offset, entries, trailer: dict, streamNum: parsed.num };
}

/** True when the buffer starts like a PDF (the header may follow some junk, as readers allow). */
export function looksLikePdf(bytes: Buffer): boolean {
  const at = bytes.indexOf('%PDF-', 0, 'latin1');
  return at >= 0 && at < 1024;
}
