/**
 * TrueType font embedding for Vietnamese text (Tinos by default): a composite Type0 font
 * with Identity-H encoding, glyph ids as character codes, a /W width array and a ToUnicode
 * CMap so text can be copied and searched. The embedded font program is a subset made
 * here: glyph ids are kept and unused glyph outlines are emptied, which is robust (no
 * renumbering, composite glyphs keep their component ids) and small once compressed.
 * (pdf-lib's fontkit subsetter drops glyphs of Tinos, so it is not used.)
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { PkiError } from '../errors';
import { dict, name, type PdfRef, PdfStream, PdfString, type PdfValue } from './objects';

/** Where new objects go: an incremental update, or a new document being built. */
export interface ObjectSink {
  add(value: PdfValue): PdfRef;
}

interface Table {
  offset: number;
  length: number;
}

export class TrueTypeFont {
  readonly unitsPerEm: number;
  readonly numGlyphs: number;
  readonly ascent: number;
  readonly descent: number;
  readonly capHeight: number;
  readonly bbox: [number, number, number, number];
  readonly postScriptName: string;
  private readonly tables = new Map<string, Table>();
  private readonly numberOfHMetrics: number;
  private readonly longLoca: boolean;
  private readonly cmap = new Map<number, number>();

  private static tinosFont: TrueTypeFont | undefined;

  /** Tinos Regular from @expo-google-fonts/tinos (metric-compatible with Times New Roman). */
  static tinos(): TrueTypeFont {
    if (!TrueTypeFont.tinosFont) {
      const path = require.resolve('@expo-google-fonts/tinos/400Regular/Tinos_400Regular.ttf');
      TrueTypeFont.tinosFont = new TrueTypeFont(readFileSync(path));
    }
    return TrueTypeFont.tinosFont;
  }

  constructor(readonly data: Buffer) {
    try {
      const numTables = data.readUInt16BE(4);
      for (let i = 0; i < numTables; i++) {
        const at = 12 + 16 * i;
        this.tables.set(data.toString('latin1', at, at + 4), {
          offset: data.readUInt32BE(at + 8),
          length: data.readUInt32BE(at + 12),
        });
      }
      const head = this.table('head');
      this.unitsPerEm = data.readUInt16BE(head.offset + 18);
      const s = (v: number): number => Math.round((v * 1000) / this.unitsPerEm);
      this.bbox = [
        s(data.readInt16BE(head.offset + 36)),
        s(data.readInt16BE(head.offset + 38)),
        s(data.readInt16BE(head.offset + 40)),
        s(data.readInt16BE(head.offset + 42)),
      ];
      this.longLoca = data.readInt16BE(head.offset + 50) === 1;
      const hhea = this.table('hhea');
      this.ascent = s(data.readInt16BE(hhea.offset + 4));
      this.descent = s(data.readInt16BE(hhea.offset + 6));
      this.numberOfHMetrics = data.readUInt16BE(hhea.offset + 34);
      this.numGlyphs = data.readUInt16BE(this.table('maxp').offset + 4);
      const os2 = this.tables.get('OS/2');
      this.capHeight =
        os2 && data.readUInt16BE(os2.offset) >= 2 ? s(data.readInt16BE(os2.offset + 88)) : this.ascent;
      this.postScriptName = this.readPostScriptName() ?? 'EmbeddedFont';
      this.readCmap();
    } catch (error) {
      if (error instanceof PkiError) throw error;
      throw new PkiError('invalid_input', 'The font file is not a readable TrueType font.', { cause: error });
    }
  }

  /** Glyph id for a Unicode code point (0, .notdef, when the font lacks it). */
  glyphId(codePoint: number): number {
    return this.cmap.get(codePoint) ?? 0;
  }

  /** Advance width of a glyph in 1/1000 em. */
  advance(gid: number): number {
    const hmtx = this.table('hmtx');
    const index = Math.min(gid, this.numberOfHMetrics - 1);
    return Math.round((this.data.readUInt16BE(hmtx.offset + index * 4) * 1000) / this.unitsPerEm);
  }

  /** Glyph ids of the components of a composite glyph (empty for a simple one). */
  components(gid: number): number[] {
    const [start, end] = this.glyphRange(gid);
    if (end - start < 10 || this.data.readInt16BE(start) >= 0) return [];
    const result: number[] = [];
    let p = start + 10;
    for (;;) {
      const flags = this.data.readUInt16BE(p);
      result.push(this.data.readUInt16BE(p + 2));
      p += 4 + (flags & 0x0001 ? 4 : 2);
      if (flags & 0x0008) p += 2;
      else if (flags & 0x0040) p += 4;
      else if (flags & 0x0080) p += 8;
      if (!(flags & 0x0020)) return result;
    }
  }

  /** [start, end) of a glyph's outline in the file. */
  glyphRange(gid: number): [number, number] {
    const loca = this.table('loca');
    const glyf = this.table('glyf');
    const at = (i: number): number =>
      this.longLoca
        ? this.data.readUInt32BE(loca.offset + i * 4)
        : this.data.readUInt16BE(loca.offset + i * 2) * 2;
    return [glyf.offset + at(gid), glyf.offset + at(gid + 1)];
  }

  table(tag: string): Table {
    const t = this.tables.get(tag);
    if (!t) throw new PkiError('invalid_input', `The font has no "${tag}" table.`);
    return t;
  }

  hasTable(tag: string): boolean {
    return this.tables.has(tag);
  }

  private readCmap(): void {
    const cmap = this.table('cmap');
    const d = this.data;
    const count = d.readUInt16BE(cmap.offset + 2);
    let best: { offset: number; format: number } | undefined;
    for (let i = 0; i < count; i++) {
      const at = cmap.offset + 4 + i * 8;
      const platform = d.readUInt16BE(at);
      const encoding = d.readUInt16BE(at + 2);
      const offset = cmap.offset + d.readUInt32BE(at + 4);
      const format = d.readUInt16BE(offset);
      if (platform === 3 && encoding === 10 && format === 12) best = { offset, format };
      else if (!best && ((platform === 3 && encoding === 1) || platform === 0) && format === 4)
        best = { offset, format };
    }
    if (!best) throw new PkiError('invalid_input', 'The font has no Unicode character map.');
    const o = best.offset;
    if (best.format === 12) {
      const groups = d.readUInt32BE(o + 12);
      for (let g = 0; g < groups; g++) {
        const at = o + 16 + g * 12;
        const startCode = d.readUInt32BE(at);
        const endCode = d.readUInt32BE(at + 4);
        const startGid = d.readUInt32BE(at + 8);
        for (let c = startCode; c <= endCode && c - startCode < 0x10000; c++)
          this.cmap.set(c, startGid + c - startCode);
      }
      return;
    }
    const segX2 = d.readUInt16BE(o + 6);
    const ends = o + 14;
    const starts = ends + segX2 + 2;
    const deltas = starts + segX2;
    const rangeOffsets = deltas + segX2;
    for (let s = 0; s < segX2; s += 2) {
      const end = d.readUInt16BE(ends + s);
      const start = d.readUInt16BE(starts + s);
      const delta = d.readInt16BE(deltas + s);
      const ro = d.readUInt16BE(rangeOffsets + s);
      for (let c = start; c <= end && c !== 0xffff; c++) {
        let gid: number;
        if (ro === 0) gid = (c + delta) & 0xffff;
        else {
          const g = d.readUInt16BE(rangeOffsets + s + ro + (c - start) * 2);
          gid = g === 0 ? 0 : (g + delta) & 0xffff;
        }
        if (gid) this.cmap.set(c, gid);
      }
    }
  }

  private readPostScriptName(): string | undefined {
    const t = this.tables.get('name');
    if (!t) return undefined;
    const d = this.data;
    const count = d.readUInt16BE(t.offset + 2);
    const strings = t.offset + d.readUInt16BE(t.offset + 4);
    for (let i = 0; i < count; i++) {
      const at = t.offset + 6 + i * 12;
      if (d.readUInt16BE(at + 6) !== 6) continue;
      const platform = d.readUInt16BE(at);
      const length = d.readUInt16BE(at + 8);
      const offset = strings + d.readUInt16BE(at + 10);
      const raw = d.subarray(offset, offset + length);
      const text = platform === 3 ? Buffer.from(raw).swap16().toString('utf16le') : raw.toString('latin1');
      const clean = text.replace(/[^A-Za-z0-9-]/g, '');
      if (clean) return clean;
    }
    return undefined;
  }
}

/**
 * One use of a font in a PDF: collects the glyphs that texts need, then writes the Type0
 * font with a subset holding exactly those glyphs.
 */
export class EmbeddedFont {
  private readonly used = new Map<number, string>(); // gid → text it stands for

  constructor(readonly font: TrueTypeFont = TrueTypeFont.tinos()) {
    this.used.set(0, '');
  }

  /** The text as a hex string of glyph ids for `Tj`; records the glyphs for the subset. */
  encode(text: string): string {
    let hex = '<';
    for (const ch of text.normalize('NFC')) {
      const gid = this.font.glyphId(ch.codePointAt(0)!);
      if (!this.used.has(gid)) this.used.set(gid, ch);
      hex += gid.toString(16).padStart(4, '0');
    }
    return `${hex}>`;
  }

  /** Width of `text` at `size` points. */
  widthOf(text: string, size: number): number {
    let units = 0;
    for (const ch of text.normalize('NFC')) units += this.font.advance(this.font.glyphId(ch.codePointAt(0)!));
    return (units * size) / 1000;
  }

  /** Writes the font objects (after all texts were encoded) and returns the Type0 font's reference. */
  write(sink: ObjectSink): PdfRef {
    const font = this.font;
    const gids = [...this.used.keys()].sort((a, b) => a - b);
    const program = subsetProgram(font, gids);
    const tag = subsetTag(gids);
    const baseName = name(`${tag}+${font.postScriptName}`);
    const fontFile = sink.add(
      new PdfStream(dict({ Filter: name('FlateDecode'), Length1: program.length }), deflateSync(program)),
    );
    const descriptor = sink.add(
      dict({
        Type: name('FontDescriptor'),
        FontName: baseName,
        Flags: 34, // serif, non-symbolic
        FontBBox: [...font.bbox],
        ItalicAngle: 0,
        Ascent: font.ascent,
        Descent: font.descent,
        CapHeight: font.capHeight,
        StemV: 80,
        FontFile2: fontFile,
      }),
    );
    const widths: PdfValue[] = [];
    for (const gid of gids) widths.push(gid, [font.advance(gid)]);
    const cidFont = sink.add(
      dict({
        Type: name('Font'),
        Subtype: name('CIDFontType2'),
        BaseFont: baseName,
        CIDSystemInfo: dict({
          Registry: stringValue('Adobe'),
          Ordering: stringValue('Identity'),
          Supplement: 0,
        }),
        FontDescriptor: descriptor,
        DW: 1000,
        W: widths,
        CIDToGIDMap: name('Identity'),
      }),
    );
    const toUnicode = sink.add(
      new PdfStream(
        dict({ Filter: name('FlateDecode') }),
        deflateSync(Buffer.from(toUnicodeCMap(this.used))),
      ),
    );
    return sink.add(
      dict({
        Type: name('Font'),
        Subtype: name('Type0'),
        BaseFont: baseName,
        Encoding: name('Identity-H'),
        DescendantFonts: [cidFont],
        ToUnicode: toUnicode,
      }),
    );
  }
}

function stringValue(text: string): PdfValue {
  return new PdfString(Buffer.from(text, 'latin1'));
}

/** Six capital letters derived from the glyph set, as PDF subset names require. */
function subsetTag(gids: number[]): string {
  const h = createHash('sha256').update(Uint16Array.from(gids)).digest();
  let tag = '';
  for (let i = 0; i < 6; i++) tag += String.fromCharCode(65 + (h[i]! % 26));
  return tag;
}

const KEPT_TABLES = ['cvt ', 'fpgm', 'glyf', 'head', 'hhea', 'hmtx', 'loca', 'maxp', 'prep'];

/** A TrueType program with the same glyph ids where every glyph not in `gids` is empty. */
function subsetProgram(font: TrueTypeFont, requested: number[]): Buffer {
  const keep = new Set<number>();
  const visit = (gid: number, depth: number): void => {
    if (keep.has(gid) || gid >= font.numGlyphs || depth > 8) return;
    keep.add(gid);
    for (const c of font.components(gid)) visit(c, depth + 1);
  };
  for (const gid of requested) visit(gid, 0);

  const glyphs: Buffer[] = [];
  const loca = Buffer.alloc((font.numGlyphs + 1) * 4);
  let offset = 0;
  for (let gid = 0; gid < font.numGlyphs; gid++) {
    loca.writeUInt32BE(offset, gid * 4);
    if (!keep.has(gid)) continue;
    const [start, end] = font.glyphRange(gid);
    const padded = (end - start + 3) & ~3;
    const glyph = Buffer.alloc(padded);
    font.data.copy(glyph, 0, start, end);
    glyphs.push(glyph);
    offset += padded;
  }
  loca.writeUInt32BE(offset, font.numGlyphs * 4);

  const head = Buffer.from(font.data.subarray(font.table('head').offset, font.table('head').offset + 54));
  head.writeUInt32BE(0, 8); // checkSumAdjustment, recomputed below
  head.writeInt16BE(1, 50); // long loca

  const tables = new Map<string, Buffer>();
  for (const tag of KEPT_TABLES) {
    if (tag === 'glyf') tables.set(tag, Buffer.concat(glyphs));
    else if (tag === 'loca') tables.set(tag, loca);
    else if (tag === 'head') tables.set(tag, head);
    else if (font.hasTable(tag)) {
      const t = font.table(tag);
      tables.set(tag, Buffer.from(font.data.subarray(t.offset, t.offset + t.length)));
    }
  }

  const numTables = tables.size;
  let entrySelector = 0;
  while (2 ** (entrySelector + 1) <= numTables) entrySelector++;
  const searchRange = 2 ** entrySelector * 16;
  const header = Buffer.alloc(12 + numTables * 16);
  header.writeUInt32BE(0x00010000, 0);
  header.writeUInt16BE(numTables, 4);
  header.writeUInt16BE(searchRange, 6);
  header.writeUInt16BE(entrySelector, 8);
  header.writeUInt16BE(numTables * 16 - searchRange, 10);
  const bodies: Buffer[] = [];
  let at = header.length;
  let i = 0;
  let headAt = 0;
  for (const [tag, body] of tables) {
    const entry = 12 + i * 16;
    header.write(tag, entry, 4, 'latin1');
    header.writeUInt32BE(checksum(body), entry + 4);
    header.writeUInt32BE(at, entry + 8);
    header.writeUInt32BE(body.length, entry + 12);
    if (tag === 'head') headAt = at;
    const padded = Buffer.alloc((body.length + 3) & ~3);
    body.copy(padded);
    bodies.push(padded);
    at += padded.length;
    i++;
  }
  const file = Buffer.concat([header, ...bodies]);
  file.writeUInt32BE((0xb1b0afba - checksum(file)) >>> 0, headAt + 8);
  return file;
}

function checksum(data: Buffer): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) {
    const word =
      ((data[i] ?? 0) << 24) | ((data[i + 1] ?? 0) << 16) | ((data[i + 2] ?? 0) << 8) | (data[i + 3] ?? 0);
    sum = (sum + (word >>> 0)) >>> 0;
  }
  return sum;
}

function toUnicodeCMap(used: Map<number, string>): string {
  const entries = [...used].filter(([gid, text]) => gid !== 0 && text !== '');
  let body = '';
  for (let i = 0; i < entries.length; i += 100) {
    const chunk = entries.slice(i, i + 100);
    body += `${chunk.length} beginbfchar\n`;
    for (const [gid, text] of chunk) {
      let utf16 = '';
      for (let k = 0; k < text.length; k++) utf16 += text.charCodeAt(k).toString(16).padStart(4, '0');
      body += `<${gid.toString(16).padStart(4, '0')}> <${utf16}>\n`;
    }
    body += 'endbfchar\n';
  }
  return [
    '/CIDInit /ProcSet findresource begin',
    '12 dict begin',
    'begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
    '/CMapName /Adobe-Identity-UCS def',
    '/CMapType 2 def',
    '1 begincodespacerange',
    '<0000> <FFFF>',
    'endcodespacerange',
    `${body}endcmap`,
    'CMapName currentdict /CMap defineresource pop',
    'end',
    'end',
  ].join('\n');
}
