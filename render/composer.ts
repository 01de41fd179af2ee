/**
 * A thin layer over pdfkit for one Party document: A4 with the guidance's margins, the four
 * Tinos faces, text placed by its top edge (pdfkit's convention) with helpers that give the
 * baseline and turn a top-down box into a PDF rectangle (origin lower left) for form and
 * signature fields. Everything that could vary between runs is pinned: no clock (the
 * document info carries only what the input says), font subset tags from font ids
 * (assigned in a fixed order), a file /ID hashed from the info, and fflate compression.
 */
import PDFDocument from 'pdfkit';
import type { Rect } from '../pki/pades/appearance';
import { ascent, FACES, type FaceName, layoutFont } from './fonts';

export const MM = 72 / 25.4;
/** pdfkit's A4, in points. */
export const PAGE = { width: 595.28, height: 841.89 } as const;
/** Hướng dẫn 36-HD/VPTW: top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm. */
export const MARGIN = { top: 20 * MM, bottom: 20 * MM, left: 30 * MM, right: 15 * MM } as const;
export const TEXT = {
  left: MARGIN.left,
  right: PAGE.width - MARGIN.right,
  width: PAGE.width - MARGIN.left - MARGIN.right,
  top: MARGIN.top,
  bottom: PAGE.height - MARGIN.bottom,
} as const;

/** A box in pdfkit's top-down coordinates: `top` is the distance from the page's top edge. */
export interface Box {
  x: number;
  top: number;
  width: number;
  height: number;
}

export interface Style {
  face: FaceName;
  size: number;
}

export interface DocumentInfo {
  title: string;
  author: string;
  subject: string;
  /** The issue date when known; omitted otherwise (never the clock). */
  creationDate?: Date;
}

/** Portrait with the guidance's margins unless said otherwise (registers print landscape). */
export interface Sheet {
  layout?: 'portrait' | 'landscape';
  margins?: { top: number; bottom: number; left: number; right: number };
}

export class Composer {
  readonly doc: PDFKit.PDFDocument;
  private readonly chunks: Buffer[] = [];
  private readonly ended: Promise<Buffer>;

  constructor(info: DocumentInfo, sheet: Sheet = {}) {
    const margins = sheet.margins ?? MARGIN;
    this.doc = new PDFDocument({
      size: 'A4',
      layout: sheet.layout ?? 'portrait',
      margins: { top: margins.top, bottom: margins.bottom, left: margins.left, right: margins.right },
      pdfVersion: '1.7',
      bufferPages: true,
      lang: 'vi-VN',
      displayTitle: true,
      // No default `font` option: pdfkit re-applies it on every new page, which would switch
      // a paragraph running over a page break to that font mid-way.
      info: {
        Title: info.title,
        Author: info.author,
        Subject: info.subject,
        Creator: 'vanthu',
        Producer: 'vanthu',
        // pdfkit hashes the info, CreationDate included, into the file /ID; a fixed date
        // when there is none keeps the ID a function of the input alone.
        CreationDate: info.creationDate ?? new Date(0),
      },
    });
    if (!info.creationDate) delete this.doc.info.CreationDate;
    // pdfkit's XMP packet needs a creation date and interpolates the info into XML without
    // escaping it; the Info dictionary carries the same facts, so the packet is left out.
    Object.assign(this.doc, { endMetadata: () => undefined });
    // pdfkit takes a parsed fontkit font as well as a path (its typings only list paths).
    for (const face of FACES) {
      this.doc.registerFont(face, layoutFont(face) as unknown as PDFKit.Mixins.PDFFontSource);
    }
    this.doc.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    this.ended = new Promise((resolve, reject) => {
      this.doc.on('end', () => resolve(Buffer.concat(this.chunks)));
      this.doc.on('error', reject);
    });
  }

  use(style: Style): PDFKit.PDFDocument {
    return this.doc.font(style.face).fontSize(style.size);
  }

  widthOf(text: string, style: Style): number {
    return this.use(style).widthOfString(text);
  }

  /** Height of one line box of the face at its natural line spacing. */
  lineHeight(style: Style): number {
    return this.use(style).currentLineHeight(true);
  }

  /** Baseline of a line whose box starts at `top`. */
  baseline(top: number, style: Style): number {
    return top + ascent(style.face) * style.size;
  }

  /** One unwrapped line with its box's top at `top`. */
  line(text: string, x: number, top: number, style: Style, options: { underline?: boolean } = {}): void {
    this.use(style).text(text, x, top, { lineBreak: false, underline: options.underline ?? false });
  }

  /** Wrapped text in a column; returns the bottom of what was drawn. */
  block(
    text: string,
    column: { x: number; width: number },
    top: number,
    style: Style,
    align: 'left' | 'center' | 'right' = 'center',
  ): number {
    this.use(style).text(text, column.x, top, { width: column.width, align });
    return this.doc.y;
  }

  heightOf(text: string, width: number, style: Style): number {
    return this.use(style).heightOfString(text, { width });
  }

  /** The current page, 0-based. */
  pageIndex(): number {
    const range = this.doc.bufferedPageRange();
    return range.start + range.count - 1;
  }

  /** A top-down box as a PDF rectangle (origin at the page's lower-left corner). */
  static pdfRect(box: Box): Rect {
    return {
      x: round(box.x),
      y: round(PAGE.height - box.top - box.height),
      width: round(box.width),
      height: round(box.height),
    };
  }

  /**
   * Draws on each page from page `from` (0-based) once the text is laid out, such as page
   * numbers; text below the bottom margin there must not start a new page.
   */
  eachPage(from: number, draw: (index: number, count: number) => void): void {
    const { start, count } = this.doc.bufferedPageRange();
    for (let i = start + from; i < start + count; i++) {
      this.doc.switchToPage(i);
      const bottom = this.doc.page.margins.bottom;
      this.doc.page.margins.bottom = 0;
      draw(i - start, count);
      this.doc.page.margins.bottom = bottom;
    }
  }

  async finish(): Promise<Uint8Array> {
    this.doc.end();
    return new Uint8Array(await this.ended);
  }
}

const round = (v: number): number => Math.round(v * 100) / 100;
