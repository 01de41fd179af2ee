/**
 * A Party document (chỉ thị, nghị quyết, thông báo …) rendered to PDF in the layout of
 * Hướng dẫn 36-HD/VPTW: header in two columns, title and subject, the justified body, the
 * signer's block beside "Nơi nhận", page numbers from page 2, and a QR code with the
 * public verification URL in the left margin of the last page.
 *
 * Two modes. `printed` prints the number and date when the input has them (blank
 * otherwise, for a draft preview). `pre_signing` leaves both blank and adds the form
 * fields `so_ky_hieu` and `ngay_ban_hanh` exactly where the sequence and the date words
 * go, plus the empty seal signature field `con_dau`, so the clerk can fill them in and
 * seal after the leader's certification signature without invalidating it.
 */

import { DomainError } from '../domain/errors';
import { numberLine, partyNumber } from '../domain/numbering';
import type { Rect, SignatureAppearance } from '../pki/pades/appearance';
import { sealFieldRect } from '../pki/pades/appearance';
import { addFormFields, addIssuanceFields, SEAL_FIELD } from '../pki/pades/fields';
import { type Box, Composer, MARGIN, MM, PAGE, type Style, TEXT } from './composer';
import { assertPrintable } from './fonts';
import { type CheckedDirective, readDirectiveInput } from './input';
import { qrSymbol } from './qr';
import {
  dateWords,
  numberSuffix,
  PARTY_HEADING,
  URGENCY_MARKS,
  upper,
  WIDEST_DATE,
  WIDEST_SEQUENCE,
} from './wording';

export type RenderMode = 'printed' | 'pre_signing';

export interface RenderOptions {
  /** Default `printed`. */
  mode?: RenderMode;
  /**
   * How the leader's signature will look (image, text): the seal field is planned over the
   * left third of that image, so sign later with the same values. Default: an image filling
   * the signature box and no text (`{ text: false }`).
   */
  leaderAppearance?: Pick<SignatureAppearance, 'image' | 'seal' | 'text'>;
  /**
   * Printed mode: also add the empty seal signature field `con_dau`, for a document
   * numbered before signing that the leader certifies and the clerk then seals (validators
   * such as pyHanko refuse a new signature field after a certification). Pre-signing
   * renders always have it.
   */
  sealField?: boolean;
}

export interface PlacedRect {
  /** Page index, 0-based. */
  page: number;
  /** PDF points, origin at the page's lower-left corner. */
  rect: Rect;
}

export interface RenderedDirective {
  pdf: Uint8Array;
  pageCount: number;
  /** Where the leader signs: the box between the title and the name. */
  signature: PlacedRect;
  /** The organisation's seal, over the left third of the leader's signature. */
  seal: PlacedRect;
  /** The number and date fields (pre-signing mode only). */
  fields?: { number: PlacedRect; date: PlacedRect };
}

const style = (face: Style['face'], size: number): Style => ({ face, size });
const S = {
  header: style('regular', 14),
  headerBold: style('bold', 14),
  party: style('bold', 15),
  date: style('italic', 14),
  urgency: style('bold', 13),
  title: style('bold', 16),
  subject: style('bold', 14),
  body: style('regular', 14),
  heading: style('bold', 14),
  signer: style('bold', 14),
  recipientsHeading: style('italic', 12),
  recipient: style('regular', 11),
  pageNumber: style('regular', 14),
  caption: style('regular', 6.5),
} as const;

const HEADER_LEFT = { x: TEXT.left, width: 78 * MM };
const HEADER_RIGHT = { x: TEXT.left + 78 * MM, width: TEXT.width - 78 * MM };
const RECIPIENTS = { x: TEXT.left, width: 80 * MM };
const SIGNER = { x: TEXT.left + 80 * MM, width: TEXT.width - 80 * MM };
const SIGNATURE = { width: 190, height: 80 };
const BODY_LEADING = 1.3; // line pitch as a multiple of the size (guidance: single to 1.5)
const PARAGRAPH_GAP = 6;
const FIRST_LINE_INDENT = 10 * MM;
const QR_SIDE = 22 * MM;
const QR_CAPTION = 'Quét để xác thực';
const ARCHIVE_COPY = 'Lưu Văn phòng';

/** Renders a Party document; `input` is checked first (DomainError naming the field). */
export async function renderDirective(
  input: unknown,
  options: RenderOptions = {},
): Promise<RenderedDirective> {
  const doc = readDirectiveInput(input);
  const mode = options.mode ?? 'printed';
  if (mode !== 'printed' && mode !== 'pre_signing') {
    throw new DomainError('validation', `mode: unknown render mode "${String(mode)}"`, 'mode');
  }
  if (mode === 'pre_signing') {
    for (const field of ['number', 'date'] as const) {
      if (doc[field] !== undefined) {
        throw new DomainError(
          'validation',
          `${field}: a pre-signing render leaves the ${field} for the clerk to fill in after signing`,
          field,
        );
      }
    }
  }
  assertDocumentPrintable(doc);

  const c = new Composer({
    title: `${doc.documentType.name} ${doc.subject}`,
    author: `${doc.issuer.superior} - ${doc.issuer.name}`,
    subject: doc.subject,
    ...(doc.date ? { creationDate: new Date(`${doc.date}T00:00:00+07:00`) } : {}),
  });
  const header = drawHeader(c, doc, mode);
  const bodyTop = drawTitle(c, doc, header.bottom);
  drawBody(c, doc, bodyTop);
  const closing = drawClosing(c, doc);
  drawPageNumbers(c);
  let pdf = await c.finish();

  const signature: PlacedRect = { page: closing.page, rect: Composer.pdfRect(closing.signature) };
  const leader = { ...(options.leaderAppearance ?? { text: false as const }), rect: signature.rect };
  const sealRect = sealFieldRect(leader);
  if (!(sealRect.width > 0 && sealRect.height > 0)) {
    throw new DomainError(
      'validation',
      'leaderAppearance: the seal needs the leader signature to show an image (or no text)',
      'leaderAppearance',
    );
  }
  const seal: PlacedRect = { page: closing.page, rect: round(sealRect) };
  if (mode === 'printed') {
    if (options.sealField) pdf = addFormFields(pdf, { signature: [{ name: SEAL_FIELD, ...seal }] });
    return { pdf, pageCount: closing.page + 1, signature, seal };
  }

  const fields = {
    number: { page: 0, rect: Composer.pdfRect(header.numberField) },
    date: { page: 0, rect: Composer.pdfRect(header.dateField) },
  };
  pdf = addIssuanceFields(pdf, {
    number: { ...fields.number, fontSize: S.header.size, align: 'right' },
    date: { ...fields.date, fontSize: S.date.size, align: 'left' },
    seal,
  });
  return { pdf, pageCount: closing.page + 1, signature, seal, fields };
}

function assertDocumentPrintable(doc: CheckedDirective): void {
  const fields: Array<[string, string | undefined]> = [
    ['issuer.superior', doc.issuer.superior],
    ['issuer.name', doc.issuer.name],
    ['issuer.abbreviation', doc.issuer.abbreviation],
    ['documentType.name', doc.documentType.name],
    ['documentType.abbreviation', doc.documentType.abbreviation],
    ['subject', doc.subject],
    ['signer.authority', doc.signer.authority],
    ['signer.title', doc.signer.title],
    ['signer.name', doc.signer.name],
    ['place', doc.place],
    ...doc.recipients.map((r, i): [string, string] => [`recipients.${i}`, r]),
    ...doc.body.map((b): [string, string] => [b.field, b.text]),
  ];
  for (const [field, text] of fields) if (text !== undefined) assertPrintable(text, field);
}

interface HeaderLayout {
  bottom: number;
  /** Where the sequence goes (pre-signing field), between "Số " and "-CT/TU". */
  numberField: Box;
  /** Where "ngày … tháng … năm …" goes, after "Hà Nội, ". */
  dateField: Box;
}

function drawHeader(c: Composer, doc: CheckedDirective, mode: RenderMode): HeaderLayout {
  const top = TEXT.top;
  const centre = (column: { x: number; width: number }, width: number) =>
    column.x + (column.width - width) / 2;

  // Right: the Party heading, bold and underlined along its length.
  c.line(PARTY_HEADING, centre(HEADER_RIGHT, c.widthOf(PARTY_HEADING, S.party)), top, S.party, {
    underline: true,
  });

  // Left: superior body, issuing body in bold, an asterisk, then the number line.
  let y = c.block(upper(doc.issuer.superior), HEADER_LEFT, top, S.header);
  y = c.block(upper(doc.issuer.name), HEADER_LEFT, y, S.headerBold);
  y = c.block('*', HEADER_LEFT, y, S.header);
  const numberTop = y;
  const lineHeight = c.lineHeight(S.header);

  const suffix = numberSuffix(doc.documentType.abbreviation, doc.issuer.abbreviation);
  const prefix = 'Số ';
  const fieldWidth = c.widthOf(WIDEST_SEQUENCE, S.header) + 4;
  const prefixWidth = c.widthOf(prefix, S.header);
  // The field's filled text ends 2 pt inside its right edge, so the suffix starts there.
  const blankWidth = prefixWidth + fieldWidth - 2 + c.widthOf(suffix, S.header);
  const blankX = centre(HEADER_LEFT, blankWidth);
  const numberField = fieldBox(c, blankX + prefixWidth, fieldWidth, numberTop, S.header);
  if (mode === 'printed' && doc.number !== undefined) {
    const text = numberLine(
      'party',
      partyNumber(doc.number, doc.documentType.abbreviation, doc.issuer.abbreviation),
    );
    c.line(text, centre(HEADER_LEFT, c.widthOf(text, S.header)), numberTop, S.header);
  } else {
    c.line(prefix.trimEnd(), blankX, numberTop, S.header);
    c.line(suffix, blankX + prefixWidth + fieldWidth - 2, numberTop, S.header);
  }
  y = numberTop + lineHeight;

  // The urgency mark, stamped under the number line.
  const mark = doc.urgency ? URGENCY_MARKS[doc.urgency] : undefined;
  if (mark) {
    const width = c.widthOf(mark, S.urgency) + 12;
    const height = c.lineHeight(S.urgency) + 4;
    const x = centre(HEADER_LEFT, width);
    const boxTop = y + 6;
    c.doc.save().lineWidth(1).strokeColor('#c8102e').rect(x, boxTop, width, height).stroke().restore();
    c.doc.fillColor('#c8102e');
    c.line(mark, x + 6, boxTop + 2, S.urgency);
    c.doc.fillColor('black');
    y = boxTop + height;
  }

  // Right, level with the number line: place and date in italics.
  const place = `${doc.place}, `;
  const placeWidth = c.widthOf(place, S.date);
  const dateFieldWidth = c.widthOf(WIDEST_DATE, S.header) + 4;
  const dateX = centre(HEADER_RIGHT, placeWidth + dateFieldWidth - 2);
  // The filled date starts 2 pt inside the field's left edge.
  const dateField = fieldBox(c, dateX + placeWidth - 2, dateFieldWidth, numberTop, S.date);
  if (mode === 'printed') {
    const text = `${place}${doc.date ? dateWords(doc.date) : 'ngày     tháng     năm'}`;
    c.line(text, centre(HEADER_RIGHT, c.widthOf(text, S.date)), numberTop, S.date);
  } else {
    c.line(place.trimEnd(), dateX, numberTop, S.date);
  }
  return { bottom: Math.max(y, numberTop + lineHeight), numberField, dateField };
}

/**
 * A field box whose filled text sits on the same baseline as the line at `top`: the
 * field's appearance puts the baseline (height − 0.7·size)/2 above the box's bottom.
 */
function fieldBox(c: Composer, x: number, width: number, top: number, s: Style): Box {
  const height = s.size * 1.5;
  const baseline = c.baseline(top, s);
  return { x, width, height, top: baseline + (height - 0.7 * s.size) / 2 - height };
}

/** Type name, subject and the short rule under it; returns where the body starts. */
function drawTitle(c: Composer, doc: CheckedDirective, headerBottom: number): number {
  const full = { x: TEXT.left, width: TEXT.width };
  let y = headerBottom + c.lineHeight(S.header) * 1.2;
  y = c.block(upper(doc.documentType.name), full, y, S.title);
  y = c.block(doc.subject, { x: TEXT.left + 15 * MM, width: TEXT.width - 30 * MM }, y, S.subject);
  y = c.block('-----', full, y, S.header);
  return y + 8;
}

function drawBody(c: Composer, doc: CheckedDirective, top: number): void {
  const pitch = S.body.size * BODY_LEADING;
  const options = {
    width: TEXT.width,
    align: 'justify' as const,
    indent: FIRST_LINE_INDENT,
    lineGap: pitch - c.lineHeight(S.body),
    paragraphGap: PARAGRAPH_GAP,
  };
  c.doc.x = TEXT.left;
  c.doc.y = top;
  for (const block of doc.body) {
    const text = block.kind === 'bullet' && !/^[-–]\s/.test(block.text) ? `- ${block.text}` : block.text;
    const style = block.kind === 'heading' ? S.heading : S.body;
    // A heading keeps with at least two lines of what follows it.
    if (block.kind === 'heading') {
      const needed = c.use(style).heightOfString(text, options) + 2 * pitch;
      if (c.doc.y + needed > TEXT.bottom && c.doc.y > TEXT.top + pitch) c.doc.addPage();
    }
    c.use(style).text(text, TEXT.left, c.doc.y, options);
  }
}

/**
 * The signer's block (right) beside "Nơi nhận" (left), kept together on one page, and the
 * QR code in the left margin level with "Nơi nhận".
 */
function drawClosing(c: Composer, doc: CheckedDirective): { page: number; signature: Box } {
  const recipients = doc.recipients.map((r) => (/^[-–]\s/.test(r) ? r : `- ${r}`));
  if (!doc.recipients.some((r) => /^[-–]?\s*lưu\b/i.test(r))) recipients.push(`- ${ARCHIVE_COPY}`);
  const capsLines = [doc.signer.authority, doc.signer.title]
    .filter((t): t is string => Boolean(t))
    .map(upper);

  const signerHeight =
    capsLines.reduce((h, t) => h + c.heightOf(t, SIGNER.width, S.signer), 0) +
    SIGNATURE.height +
    8 +
    c.heightOf(doc.signer.name, SIGNER.width, S.signer);
  const recipientsHeight =
    c.lineHeight(S.recipientsHeading) +
    recipients.reduce((h, r) => h + c.heightOf(r, RECIPIENTS.width, S.recipient), 0);
  const qrHeight = QR_SIDE + 12;
  let top = c.doc.y + 12;
  if (top + Math.max(signerHeight, recipientsHeight, qrHeight) > TEXT.bottom) {
    c.doc.addPage();
    top = TEXT.top;
  }
  const page = c.pageIndex();

  let y = top;
  for (const line of capsLines) y = c.block(line, SIGNER, y, S.signer);
  const signature: Box = {
    x: SIGNER.x + (SIGNER.width - SIGNATURE.width) / 2,
    top: y + 4,
    width: SIGNATURE.width,
    height: SIGNATURE.height,
  };
  c.block(doc.signer.name, SIGNER, signature.top + SIGNATURE.height + 4, S.signer);

  c.line('Nơi nhận:', RECIPIENTS.x, top, S.recipientsHeading, { underline: true });
  y = top + c.lineHeight(S.recipientsHeading);
  for (const line of recipients) y = c.block(line, RECIPIENTS, y, S.recipient, 'left');

  drawQr(c, doc.verificationUrl, top);
  return { page, signature };
}

/** The verification QR code, vector modules, centred in the left margin with a caption. */
function drawQr(c: Composer, url: string, top: number): void {
  const symbol = qrSymbol(url);
  const module = QR_SIDE / symbol.size;
  const x = (MARGIN.left - QR_SIDE) / 2;
  const d = c.doc.save();
  for (const run of symbol.runs)
    d.rect(x + run.col * module, top + run.row * module, run.length * module, module);
  d.fill('black').restore();
  const captionWidth = c.widthOf(QR_CAPTION, S.caption);
  c.line(QR_CAPTION, (MARGIN.left - captionWidth) / 2, top + QR_SIDE + 3, S.caption);
}

/** Page numbers from page 2, bottom right, in the footer margin. */
function drawPageNumbers(c: Composer): void {
  c.eachPage(1, (index) => {
    const label = String(index + 1);
    c.line(
      label,
      TEXT.right - c.widthOf(label, S.pageNumber),
      PAGE.height - MARGIN.bottom + 5 * MM,
      S.pageNumber,
    );
  });
}

function round(r: Rect): Rect {
  const n = (v: number) => Math.round(v * 100) / 100;
  return { x: n(r.x), y: n(r.y), width: n(r.width), height: n(r.height) };
}
