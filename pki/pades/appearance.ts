/**
 * Visible signature appearance: a form XObject in the signature widget's rectangle with
 * the signer's image (PNG/JPEG), optionally the organisation's red seal overlapping the
 * left third of it (Nghị định 30/2020, Phụ lục I), and text lines such as
 * "Ký bởi: Nguyễn Văn Ánh" in Tinos, embedded as a subset so Vietnamese renders anywhere.
 */
import { X509Certificate } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { PkiError } from '../errors';
import { EmbeddedFont } from '../pdf/font';
import { embedImage, imageSize } from '../pdf/image';
import { dict, name, PdfDict, type PdfRef, PdfStream } from '../pdf/objects';
import { formatNumber } from '../pdf/serialize';
import type { FormUpdate } from './form';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface SignatureAppearance {
  /** Page index, 0-based; negative counts from the end. Default: the last page. */
  page?: number;
  /**
   * Widget rectangle in PDF points from the page's lower-left corner. Required for a new
   * field; ignored when signing into an existing field, whose rectangle is used.
   */
  rect?: Rect;
  /** The signer's signature image (or, for the organisation's signature, its seal). */
  image?: Uint8Array;
  /** The organisation's seal, drawn over the left third of `image`. */
  seal?: Uint8Array;
  /**
   * Text lines under the image. Default: "Ký bởi: <CN>", "Cơ quan: <O>", "Thời gian: …"
   * from the certificate and signing time; `false` for none.
   */
  text?: readonly string[] | false;
  /** Font size of the text in points (default: fitted, at most 10). */
  fontSize?: number;
}

/** Where an appearance landed, so a later signature (the seal) can be placed relative to it. */
export interface PlacedAppearance {
  page: number;
  /** Widget /Rect [x1 y1 x2 y2]. */
  rect: [number, number, number, number];
  /** The signer's image on the page, if there was one. */
  imageRect?: Rect;
}

export interface AppearanceContext {
  certificate: Uint8Array;
  signingTime: Date;
}

export interface StagedAppearance extends PlacedAppearance {
  appearanceRef: PdfRef;
}

const TEXT_SHARE = 0.42; // of the height, when both image and text are shown

/** Positions inside the appearance box (origin at its lower-left corner). */
export interface AppearanceLayout {
  image?: Rect;
  seal?: Rect;
  /** Area for the text lines (zero height when there is no text). */
  text: Rect;
}

/** Where the image, seal and text go in a `width`×`height` box; pure, so fields can be planned ahead. */
export function layoutAppearance(
  appearance: Pick<SignatureAppearance, 'image' | 'seal' | 'text'>,
  width: number,
  height: number,
): AppearanceLayout {
  const hasText = appearance.text !== false && (appearance.text === undefined || appearance.text.length > 0);
  const hasImages = Boolean(appearance.image || appearance.seal);
  const textHeight = !hasText ? 0 : hasImages ? height * TEXT_SHARE : height;
  const box: Rect = { x: 0, y: textHeight, width, height: height - textHeight };
  const layout: AppearanceLayout = { text: { x: 0, y: 0, width, height: textHeight } };
  if (appearance.image) {
    // With a seal, leave room on the left for the part of the seal beyond the image.
    const sealRoom = appearance.seal ? box.height * 0.8 : 0;
    const size = imageSize(appearance.image);
    layout.image = fitInto(size.width, size.height, {
      ...box,
      x: box.x + sealRoom,
      width: box.width - sealRoom,
    });
  }
  if (appearance.seal) {
    const size = imageSize(appearance.seal);
    layout.seal = fitInto(size.width, size.height, layout.image ? sealOver(layout.image) : box);
  }
  return layout;
}

/**
 * The page rectangle for the organisation's seal signature so its seal overlaps the left
 * third of the leader's signature image: plan the seal's (empty) signature field with this
 * before the leader signs, since a certified document only allows signing existing fields.
 */
export function sealFieldRect(leader: SignatureAppearance & { rect: Rect }): Rect {
  const layout = layoutAppearance(leader, leader.rect.width, leader.rect.height);
  const image = layout.image ?? {
    ...layout.text,
    y: layout.text.height,
    height: leader.rect.height - layout.text.height,
  };
  const seal = sealOver(image);
  return { ...seal, x: leader.rect.x + seal.x, y: leader.rect.y + seal.y };
}

export function stageAppearance(
  form: FormUpdate,
  appearance: SignatureAppearance,
  context: AppearanceContext,
  /** Page and rectangle of an existing (empty) signature field, which win over `appearance`. */
  fixed?: { page: number; rect: Rect },
): StagedAppearance {
  const rect = fixed?.rect ?? appearance.rect;
  if (!rect) throw new PkiError('invalid_input', 'A visible signature needs a rectangle (appearance.rect).');
  if (
    ![rect.x, rect.y, rect.width, rect.height].every(Number.isFinite) ||
    rect.width <= 0 ||
    rect.height <= 0
  ) {
    throw new PkiError('invalid_input', 'The signature rectangle must have a positive width and height.');
  }
  const count = form.reader.pageCount();
  const requested = fixed?.page ?? appearance.page;
  const page = requested === undefined ? count - 1 : requested < 0 ? count + requested : requested;
  if (!Number.isInteger(page) || page < 0 || page >= count) {
    throw new PkiError('invalid_input', `The PDF has ${count} page(s); page ${page + 1} does not exist.`);
  }
  const { writer } = form;
  const lines = appearance.text === false ? [] : (appearance.text ?? defaultLines(context));
  const layout = layoutAppearance({ ...appearance, text: lines }, rect.width, rect.height);
  let ops = '';
  const xobjects = new PdfDict();
  if (appearance.image && layout.image) {
    xobjects.set('Im1', embedImage(writer, appearance.image).ref);
    ops += draw('Im1', layout.image);
  }
  if (appearance.seal && layout.seal) {
    xobjects.set('Im2', embedImage(writer, appearance.seal).ref);
    ops += draw('Im2', layout.seal);
  }

  const resources = new PdfDict();
  if (xobjects.entries.size > 0) resources.set('XObject', xobjects);
  if (lines.length > 0) {
    const font = new EmbeddedFont();
    const textHeight = layout.text.height;
    const size = appearance.fontSize ?? fitFontSize(font, lines, rect.width - 4, textHeight);
    const leading = size * 1.2;
    let y = textHeight - (textHeight - leading * lines.length) / 2 - size;
    ops += 'BT\n0 0 0 rg\n';
    ops += `/F1 ${formatNumber(size)} Tf\n`;
    for (const line of lines) {
      ops += `1 0 0 1 2 ${formatNumber(round(y))} Tm ${font.encode(line)} Tj\n`;
      y -= leading;
    }
    ops += 'ET\n';
    resources.set('Font', dict({ F1: font.write(writer) }));
  }

  const appearanceRef = writer.add(
    new PdfStream(
      dict({
        Type: name('XObject'),
        Subtype: name('Form'),
        BBox: [0, 0, round(rect.width), round(rect.height)],
        Resources: resources,
        Filter: name('FlateDecode'),
      }),
      deflateSync(ops),
    ),
  );
  const imageRect = layout.image && {
    ...layout.image,
    x: rect.x + layout.image.x,
    y: rect.y + layout.image.y,
  };
  return {
    page,
    rect: [round(rect.x), round(rect.y), round(rect.x + rect.width), round(rect.y + rect.height)],
    imageRect,
    appearanceRef,
  };
}

/**
 * The rectangle for an organisation seal over a signature image: a square a little taller
 * than the image whose right edge lies at one third of the image's width, so the seal
 * covers the left third of the signature.
 */
export function sealOver(imageRect: Rect): Rect {
  const side = imageRect.height * 1.1;
  return {
    x: imageRect.x + imageRect.width / 3 - side,
    y: imageRect.y + (imageRect.height - side) / 2,
    width: side,
    height: side,
  };
}

function defaultLines(context: AppearanceContext): string[] {
  const subject = new X509Certificate(context.certificate).subject.split('\n');
  const field = (key: string): string | undefined =>
    subject.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
  const lines = [`Ký bởi: ${field('CN') ?? 'không rõ'}`];
  const org = field('O');
  if (org) lines.push(`Cơ quan: ${org}`);
  lines.push(`Thời gian: ${vietnamTime(context.signingTime)}`);
  return lines;
}

/** "05/03/2026 14:30:00 (GMT+7)". */
export function vietnamTime(date: Date): string {
  const t = new Date(date.getTime() + 7 * 3600_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `${p(t.getUTCDate())}/${p(t.getUTCMonth() + 1)}/${t.getUTCFullYear()} ` +
    `${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())} (GMT+7)`
  );
}

function fitFontSize(font: EmbeddedFont, lines: readonly string[], width: number, height: number): number {
  let size = Math.min(10, height / (lines.length * 1.2));
  for (const line of lines) {
    const w = font.widthOf(line, size);
    if (w > width) size = (size * width) / w;
  }
  return Math.max(4, round(size));
}

/** The largest rectangle of the image's aspect ratio centred in `box`. */
function fitInto(width: number, height: number, box: Rect): Rect {
  const scale = Math.min(box.width / width, box.height / height);
  const w = width * scale;
  const h = height * scale;
  return { x: box.x + (box.width - w) / 2, y: box.y + (box.height - h) / 2, width: w, height: h };
}

function draw(nameInResources: string, r: Rect): string {
  const n = (v: number): string => formatNumber(round(v));
  return `q ${n(r.width)} 0 0 ${n(r.height)} ${n(r.x)} ${n(r.y)} cm /${nameInResources} Do Q\n`;
}

const round = (v: number): number => Math.round(v * 100) / 100;
