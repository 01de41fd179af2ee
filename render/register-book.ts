/**
 * A register (sổ đăng ký văn bản đi / đến) printed as the office keeps it on paper: A4
 * landscape, the unit and the year on top, a ruled table with the numbered columns of Phụ
 * lục IV whose headings repeat on every page, rows that wrap and never split across pages,
 * and "Trang x/y" at the bottom. Same Tinos faces and pinned bytes as the documents.
 */
import { Composer, MM, type Style } from './composer';
import { printable } from './fonts';

export interface RegisterBook {
  /** SỔ ĐĂNG KÝ VĂN BẢN ĐI / ĐẾN */
  title: string;
  unitName: string;
  /** "Năm 2026", or "Tất cả các năm". */
  period: string;
  headings: readonly string[];
  /** Relative widths, one per heading. */
  widths: readonly number[];
  rows: readonly (readonly string[])[];
}

const SHEET = { top: 15 * MM, bottom: 15 * MM, left: 15 * MM, right: 15 * MM };
const S = {
  title: { face: 'bold', size: 14 },
  subtitle: { face: 'regular', size: 12 },
  heading: { face: 'bold', size: 9.5 },
  number: { face: 'italic', size: 9 },
  cell: { face: 'regular', size: 9.5 },
  footer: { face: 'italic', size: 9 },
} satisfies Record<string, Style>;
const PAD = 2 * MM;

export async function renderRegisterBook(book: RegisterBook): Promise<Uint8Array> {
  if (book.headings.length !== book.widths.length) throw new Error('one width per heading');
  const c = new Composer(
    { title: `${book.title} — ${book.unitName}`, author: book.unitName, subject: book.period },
    { layout: 'landscape', margins: SHEET },
  );
  const doc = c.doc;
  const left = SHEET.left;
  const right = doc.page.width - SHEET.right;
  const bottom = doc.page.height - SHEET.bottom - 8 * MM;
  const total = book.widths.reduce((a, b) => a + b, 0);
  const widths = book.widths.map((w) => ((right - left) * w) / total);
  const xs = widths.map((_, i) => left + widths.slice(0, i).reduce((a, b) => a + b, 0));

  const rowHeight = (cells: readonly string[], style: Style) =>
    Math.max(...cells.map((text, i) => c.heightOf(text || ' ', widths[i]! - 2 * PAD, style))) + 2 * PAD;

  const drawRow = (cells: readonly string[], top: number, style: Style, align: 'left' | 'center') => {
    const height = rowHeight(cells, style);
    cells.forEach((text, i) => {
      doc.lineWidth(0.5).rect(xs[i]!, top, widths[i]!, height).stroke();
      c.use(style).text(text, xs[i]! + PAD, top + PAD, { width: widths[i]! - 2 * PAD, align });
    });
    return top + height;
  };

  const tableHead = (top: number) => {
    const below = drawRow(book.headings, top, S.heading, 'center');
    return drawRow(
      book.headings.map((_, i) => `(${i + 1})`),
      below,
      S.number,
      'center',
    );
  };

  let top = c.block(book.title, { x: left, width: right - left }, SHEET.top, S.title) + 2;
  top =
    c.block(`${book.unitName} — ${book.period}`, { x: left, width: right - left }, top, S.subtitle) + 4 * MM;
  top = tableHead(top);
  for (const row of book.rows) {
    const cells = row.map((text) => printable(text));
    if (top + rowHeight(cells, S.cell) > bottom) {
      doc.addPage();
      top = tableHead(SHEET.top);
    }
    top = drawRow(cells, top, S.cell, 'left');
  }
  if (book.rows.length === 0) {
    c.block('Sổ chưa có văn bản nào.', { x: left, width: right - left }, top + 4 * MM, S.subtitle);
  }

  c.eachPage(0, (index, count) => {
    const label = `Trang ${index + 1}/${count}`;
    c.line(label, right - c.widthOf(label, S.footer), doc.page.height - SHEET.bottom - 4 * MM, S.footer);
  });
  return c.finish();
}
