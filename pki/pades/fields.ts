/**
 * The document number and issue date reach the page after the leader has signed. The
 * leader's certification signature (DocMDP P=2) allows form fill-in and further
 * signatures, so the rendered PDF carries empty text fields `so_ky_hieu` (số, ký hiệu) and
 * `ngay_ban_hanh` (ngày ban hành), created before anyone signs; the clerk's step fills
 * them in an incremental update — ideally the same update that adds the organisation's
 * signature — with proper appearance streams in Tinos, so every viewer shows the same
 * text and validators classify the change as permitted form filling.
 */
import { deflateSync } from 'node:zlib';
import { PkiError } from '../errors';
import { EmbeddedFont, TrueTypeFont } from '../pdf/font';
import { IncrementalWriter } from '../pdf/incremental';
import { dict, name, PdfDict, PdfRef, PdfStream, PdfString, type PdfValue } from '../pdf/objects';
import { PdfReader } from '../pdf/reader';
import { formatNumber } from '../pdf/serialize';
import type { Rect } from './appearance';
import { existingSignatures } from './existing';
import { FormUpdate, listFields } from './form';

export const DOCUMENT_NUMBER_FIELD = 'so_ky_hieu';
export const ISSUE_DATE_FIELD = 'ngay_ban_hanh';
/** The organisation's seal signature field (con dấu), signed by the clerk after the leader. */
export const SEAL_FIELD = 'con_dau';

/** Font resource name of the Vietnamese field font in the AcroForm's /DR. */
const FIELD_FONT = 'TinosVN';

export interface TextFieldSpec {
  name: string;
  /** Page index, 0-based; negative counts from the end. */
  page: number;
  rect: Rect;
  /** Font size in points (default 13, the size of Party document headers). */
  fontSize?: number;
  align?: 'left' | 'center' | 'right';
}

/**
 * Every character a number or date may need: printable ASCII and all Vietnamese letters,
 * so the /DR font serves later fill-ins and viewers that regenerate appearances.
 */
export function vietnameseRepertoire(): string {
  let chars = '';
  for (let c = 0x20; c < 0x7f; c++) chars += String.fromCharCode(c);
  const tones = ['', '\u0300', '\u0301', '\u0309', '\u0303', '\u0323'];
  for (const base of 'aăâeêioôơuưyAĂÂEÊIOÔƠUƯY')
    for (const tone of tones) chars += `${base}${tone}`.normalize('NFC');
  return `${chars}đĐ–…“”‘’`;
}

/** An empty visible signature field, to be signed later (e.g. the seal, after a certification). */
export interface SignatureFieldSpec {
  name: string;
  page: number;
  rect: Rect;
}

export interface FormFieldsSpec {
  text?: readonly TextFieldSpec[];
  signature?: readonly SignatureFieldSpec[];
}

/**
 * Adds empty text fields (with a Vietnamese font in the AcroForm's default resources) and
 * empty signature fields to an unsigned PDF, in one incremental update. Refuses a PDF that
 * is already signed: new fields after a certification would not be a permitted change —
 * pyHanko, stricter than Acrobat, rejects even new visible signature fields, which is why
 * the seal's field is created here, before the leader signs.
 */
export function addFormFields(pdf: Uint8Array, spec: FormFieldsSpec, maxBytes?: number): Uint8Array {
  const fields = spec.text ?? [];
  const reader = PdfReader.open(pdf, { maxBytes });
  if (existingSignatures(reader).length > 0) {
    throw new PkiError('conflict', 'Form fields must be added before the document is signed.');
  }
  const taken = new Set(listFields(reader).map((f) => f.name));
  const writer = new IncrementalWriter(reader);
  const form = new FormUpdate(reader, writer);
  const acroForm = form.acroFormForUpdate();
  const font = new EmbeddedFont();
  font.encode(vietnameseRepertoire());
  const fontRef = font.write(writer);
  const dr = reader.dict(acroForm.get('DR'))?.clone() ?? new PdfDict();
  const fonts = reader.dict(dr.get('Font'))?.clone() ?? new PdfDict();
  fonts.set(FIELD_FONT, fontRef);
  dr.set('Font', fonts);
  acroForm.set('DR', dr);
  if (!acroForm.has('DA')) acroForm.set('DA', PdfString.fromText(`/${FIELD_FONT} 0 Tf 0 g`));

  for (const spec of fields) {
    if (taken.has(spec.name))
      throw new PkiError('conflict', `The PDF already has a field named "${spec.name}".`);
    taken.add(spec.name);
    const { rect } = spec;
    if (!(rect.width > 0 && rect.height > 0)) {
      throw new PkiError('invalid_input', `The field "${spec.name}" needs a positive width and height.`);
    }
    const field = writer.allocate();
    const pageRef = form.addAnnotation(spec.page, field);
    const empty = writer.add(
      new PdfStream(
        dict({ Type: name('XObject'), Subtype: name('Form'), BBox: [0, 0, rect.width, rect.height] }),
        Buffer.from('/Tx BMC\nEMC\n'),
      ),
    );
    writer.set(
      field,
      dict({
        FT: name('Tx'),
        T: PdfString.fromText(spec.name),
        Ff: 0,
        DA: PdfString.fromText(`/${FIELD_FONT} ${formatNumber(spec.fontSize ?? 13)} Tf 0 g`),
        Q: spec.align === 'center' ? 1 : spec.align === 'right' ? 2 : 0,
        Type: name('Annot'),
        Subtype: name('Widget'),
        Rect: [rect.x, rect.y, rect.x + rect.width, rect.y + rect.height],
        F: 4, // Print
        P: pageRef,
        AP: dict({ N: empty }),
      }),
    );
    form.addField(field);
  }
  for (const sig of spec.signature ?? []) {
    if (taken.has(sig.name))
      throw new PkiError('conflict', `The PDF already has a field named "${sig.name}".`);
    taken.add(sig.name);
    const { rect } = sig;
    const field = writer.allocate();
    const pageRef = form.addAnnotation(sig.page, field);
    writer.set(
      field,
      dict({
        FT: name('Sig'),
        T: PdfString.fromText(sig.name),
        Type: name('Annot'),
        Subtype: name('Widget'),
        Rect: [rect.x, rect.y, rect.x + rect.width, rect.y + rect.height],
        F: 132, // Print + Locked
        P: pageRef,
      }),
    );
    form.addField(field);
    if (!acroForm.has('SigFlags')) acroForm.set('SigFlags', 1); // SignaturesExist
  }
  return writer.write().bytes;
}

/**
 * The fields a Party document needs for issuing, by their agreed names: number
 * (`so_ky_hieu`), date (`ngay_ban_hanh`) and, when given, the seal's signature field
 * (`con_dau`; place it with `sealFieldRect(leaderAppearance)`).
 */
export function addIssuanceFields(
  pdf: Uint8Array,
  layout: {
    number: Omit<TextFieldSpec, 'name'>;
    date: Omit<TextFieldSpec, 'name'>;
    seal?: Omit<SignatureFieldSpec, 'name'>;
  },
  maxBytes?: number,
): Uint8Array {
  return addFormFields(
    pdf,
    {
      text: [
        { ...layout.number, name: DOCUMENT_NUMBER_FIELD },
        { ...layout.date, name: ISSUE_DATE_FIELD },
      ],
      signature: layout.seal ? [{ ...layout.seal, name: SEAL_FIELD }] : [],
    },
    maxBytes,
  );
}

/** Fills text fields in an incremental update of their own (no signature). */
export function fillTextFields(
  pdf: Uint8Array,
  values: Readonly<Record<string, string>>,
  maxBytes?: number,
): Uint8Array {
  const reader = PdfReader.open(pdf, { maxBytes });
  const writer = new IncrementalWriter(reader);
  stageFieldFill(new FormUpdate(reader, writer), values);
  return writer.write().bytes;
}

/**
 * Stages filling of text fields into an update: /V on the field and a new /AP /N stream
 * on each of its widgets (pyHanko, like Acrobat, accepts new appearance streams for a
 * filled field but not in-place edits of old ones).
 */
export function stageFieldFill(form: FormUpdate, values: Readonly<Record<string, string>>): void {
  const { reader, writer } = form;
  const fields = listFields(reader);
  const acroForm = reader.dict(reader.catalog().get('AcroForm'));
  let extraFont: EmbeddedFont | undefined;
  const pendingAppearances: Array<(extraFontRef: PdfRef | undefined) => void> = [];

  for (const [fieldName, rawValue] of Object.entries(values)) {
    const value = rawValue.normalize('NFC');
    const field = fields.find((f) => f.name === fieldName);
    if (!field) throw new PkiError('not_found', `The PDF has no form field named "${fieldName}".`);
    if (field.type !== 'Tx')
      throw new PkiError('invalid_input', `The field "${fieldName}" is not a text field.`);
    const fieldDict = field.dict.clone();
    fieldDict.set('V', PdfString.fromText(value));
    writer.set(field.ref, fieldDict);

    const da = textOf(fieldDict.get('DA')) ?? textOf(acroForm?.get('DA')) ?? `/${FIELD_FONT} 13 Tf 0 g`;
    const match = /\/([^\s/]+)\s+([\d.]+)\s+Tf/.exec(da);
    const fontName = match?.[1] ?? FIELD_FONT;
    const requestedSize = Number(match?.[2] ?? 13);
    const q = fieldDict.get('Q');
    const align = q === 1 ? 'center' : q === 2 ? 'right' : 'left';

    // Reuse the /DR font when it is our Tinos subset and has every glyph the value needs.
    const drFonts = reader.dict(reader.dict(acroForm?.get('DR'))?.get('Font'));
    const drFont = drFonts?.get(fontName);
    const fontRef = drFont instanceof PdfRef && coversText(reader, drFont, value) ? drFont : undefined;

    const widgets: { ref: PdfRef; dict: PdfDict }[] =
      fieldDict.name('Subtype') === 'Widget'
        ? [{ ref: field.ref, dict: fieldDict }]
        : (reader.array(fieldDict.get('Kids')) ?? []).flatMap((k) => {
            const d = reader.dict(k);
            return k instanceof PdfRef && d ? [{ ref: k, dict: d.clone() }] : [];
          });
    for (const widget of widgets) {
      const rect = reader.array(widget.dict.get('Rect'))?.map((n) => (typeof n === 'number' ? n : 0)) ?? [
        0, 0, 0, 0,
      ];
      const width = Math.abs(rect[2]! - rect[0]!);
      const height = Math.abs(rect[3]! - rect[1]!);
      const apRef = writer.allocate();
      if (!fontRef) extraFont ??= new EmbeddedFont();
      const font = fontRef ? new EmbeddedFont() : extraFont!;
      const size = requestedSize > 0 ? requestedSize : Math.max(4, height * 0.7);
      const textWidth = font.widthOf(value, size);
      const x = align === 'center' ? (width - textWidth) / 2 : align === 'right' ? width - 2 - textWidth : 2;
      const y = (height - size * 0.7) / 2;
      const ops =
        `/Tx BMC\nq\nBT\n/${fontName} ${formatNumber(size)} Tf\n0 g\n` +
        `${formatNumber(round(x))} ${formatNumber(round(y))} Td\n${font.encode(value)} Tj\nET\nQ\nEMC\n`;
      pendingAppearances.push((extraFontRef) => {
        const resourceFont = fontRef ?? extraFontRef!;
        writer.set(
          apRef,
          new PdfStream(
            dict({
              Type: name('XObject'),
              Subtype: name('Form'),
              BBox: [0, 0, round(width), round(height)],
              Resources: dict({ Font: dict({ [fontName]: resourceFont }) }),
              Filter: name('FlateDecode'),
            }),
            deflateSync(ops),
          ),
        );
      });
      const ap = reader.dict(widget.dict.get('AP'))?.clone() ?? new PdfDict();
      ap.set('N', apRef);
      widget.dict.set('AP', ap);
      if (widget.ref !== field.ref) writer.set(widget.ref, widget.dict);
    }
  }
  // A font of our own only when the /DR font lacks glyphs; written once all texts are known.
  const extraFontRef = extraFont?.write(writer);
  for (const write of pendingAppearances) write(extraFontRef);
}

function textOf(value: PdfValue | undefined): string | undefined {
  return value instanceof PdfString ? value.toText() : undefined;
}

/** True when `fontRef` is a Tinos Type0 subset whose /W lists every glyph of `text`. */
function coversText(reader: PdfReader, fontRef: PdfRef, text: string): boolean {
  const font = reader.dict(fontRef);
  if (font?.name('Subtype') !== 'Type0' || !font.name('BaseFont')?.endsWith('+Tinos-Regular')) return false;
  const cid = reader.dict(reader.array(font.get('DescendantFonts'))?.[0]);
  const w = reader.array(cid?.get('W'));
  if (!w) return false;
  const gids = new Set<number>();
  for (let i = 0; i < w.length; i++) {
    const start = w[i];
    const next = w[i + 1];
    if (typeof start !== 'number') continue;
    if (Array.isArray(next)) {
      for (let k = 0; k < next.length; k++) gids.add(start + k);
      i++;
    } else if (typeof next === 'number') {
      for (let g = start; g <= next; g++) gids.add(g);
      i += 2;
    }
  }
  const tinos = TrueTypeFont.tinos();
  for (const ch of text.normalize('NFC')) {
    const gid = tinos.glyphId(ch.codePointAt(0)!);
    if (gid === 0 || !gids.has(gid)) return false;
  }
  return true;
}

const round = (v: number): number => Math.round(v * 100) / 100;
