/**
 * Incremental update (PDF 32000-1 §7.5.6): the original bytes stay untouched; changed and
 * new objects are appended with a new cross-reference section whose trailer points back
 * with /Prev. The section is a classic table, or an xref stream when the file already uses
 * xref streams (a reader that needs streams would otherwise be handed a table it may not
 * expect, and pyHanko/Acrobat prefer the file's own style).
 */
import { PkiError } from '../errors';
import { PdfDict, PdfName, type PdfPlaceholder, PdfRef, PdfStream, type PdfValue } from './objects';
import type { PdfReader } from './reader';
import { PdfSerializer } from './serialize';

export interface IncrementalResult {
  /** The whole new file: original bytes followed by the update. */
  bytes: Buffer;
  /** Absolute byte offset in `bytes` of each placeholder written. */
  marks: Map<PdfPlaceholder, number>;
  /** Offset of the new cross-reference section. */
  startxref: number;
}

export class IncrementalWriter {
  private nextNumber: number;
  private readonly objects = new Map<number, { ref: PdfRef; value: PdfValue }>();

  constructor(readonly reader: PdfReader) {
    this.nextNumber = reader.size;
  }

  /** A fresh object number for a new object. */
  allocate(): PdfRef {
    return new PdfRef(this.nextNumber++, 0);
  }

  /** Writes `value` as object `ref` in this update (new, or replacing the object read from the file). */
  set(ref: PdfRef, value: PdfValue): void {
    if (ref.num <= 0) throw new PkiError('internal', `Object number ${ref.num} cannot be written.`);
    this.objects.set(ref.num, { ref, value });
  }

  /** Allocates and sets in one step. */
  add(value: PdfValue): PdfRef {
    const ref = this.allocate();
    this.set(ref, value);
    return ref;
  }

  has(ref: PdfRef): boolean {
    return this.objects.has(ref.num);
  }

  /** The value staged for `ref` in this update, else the one in the file. */
  current(ref: PdfRef): PdfValue {
    return this.objects.get(ref.num)?.value ?? this.reader.get(ref);
  }

  write(): IncrementalResult {
    const original = this.reader.bytes;
    const base = original.length;
    const out = new PdfSerializer();
    const last = original[base - 1];
    if (last !== 0x0a && last !== 0x0d) out.writeText('\n');

    const offsets = new Map<number, { offset: number; gen: number }>();
    for (const { ref, value } of this.objects.values()) {
      offsets.set(ref.num, { offset: base + out.length, gen: ref.gen });
      out.writeObject(ref, value);
    }

    const previous = this.reader.trailer;
    const trailer = new PdfDict();
    for (const key of ['Root', 'Info', 'ID']) {
      const v = previous.get(key);
      if (v !== undefined) trailer.set(key, v);
    }
    trailer.set('Prev', this.reader.startxref);

    const startxref = base + out.length;
    if (this.reader.usesXrefStream) {
      const self = this.allocate();
      offsets.set(self.num, { offset: startxref, gen: 0 });
      trailer.set('Size', this.nextNumber);
      out.writeObject(self, xrefStream(offsets, trailer));
    } else {
      trailer.set('Size', this.nextNumber);
      out.writeText(xrefTable(offsets));
      out.writeText('trailer\n');
      out.writeValue(trailer);
      out.writeText('\n');
    }
    out.writeText(`startxref\n${startxref}\n%%EOF\n`);

    const update = out.toBytes();
    const bytes = Buffer.concat([original, update], base + update.length);
    const marks = new Map<PdfPlaceholder, number>();
    for (const [placeholder, at] of out.marks) marks.set(placeholder, base + at);
    return { bytes, marks, startxref };
  }
}

/** Consecutive runs of object numbers: [[first, count], …]. */
function runs(numbers: number[]): [number, number][] {
  const result: [number, number][] = [];
  for (const n of numbers) {
    const run = result[result.length - 1];
    if (run && run[0] + run[1] === n) run[1]++;
    else result.push([n, 1]);
  }
  return result;
}

function xrefTable(offsets: Map<number, { offset: number; gen: number }>): string {
  const numbers = [...offsets.keys()].sort((a, b) => a - b);
  let text = 'xref\n';
  for (const [first, count] of runs(numbers)) {
    text += `${first} ${count}\n`;
    for (let n = first; n < first + count; n++) {
      const e = offsets.get(n)!;
      text += `${String(e.offset).padStart(10, '0')} ${String(e.gen).padStart(5, '0')} n\r\n`;
    }
  }
  return text;
}

function xrefStream(offsets: Map<number, { offset: number; gen: number }>, trailer: PdfDict): PdfStream {
  const numbers = [...offsets.keys()].sort((a, b) => a - b);
  const maxOffset = Math.max(...[...offsets.values()].map((e) => e.offset));
  const w2 = maxOffset < 2 ** 32 ? 4 : 8;
  const row = 1 + w2 + 2;
  const data = Buffer.alloc(numbers.length * row);
  numbers.forEach((n, i) => {
    const e = offsets.get(n)!;
    const at = i * row;
    data[at] = 1;
    data.writeUIntBE(e.offset, at + 1 + (w2 - Math.min(w2, 6)), Math.min(w2, 6));
    data.writeUInt16BE(e.gen, at + 1 + w2);
  });
  const d = trailer.clone();
  d.set('Type', PdfName.of('XRef'));
  d.set('W', [1, w2, 2]);
  d.set('Index', runs(numbers).flat());
  return new PdfStream(d, data);
}
