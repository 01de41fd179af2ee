/**
 * The signature field of one signature or document timestamp: the signature dictionary
 * with fixed-width /ByteRange and /Contents placeholders, the merged field/widget
 * annotation on a page, and (for a certification) the DocMDP reference and the catalog's
 * /Perms. After the update is written, the byte range is patched in and the bytes to
 * hash are exactly the file minus the /Contents hex string.
 */
import { PkiError } from '../errors';
import type { IncrementalResult } from '../pdf/incremental';
import { BYTERANGE_WIDTH, dict, name, PdfDict, PdfPlaceholder, type PdfRef, PdfString } from '../pdf/objects';
import type { FormUpdate } from './form';

/** DocMDP permission levels (PDF 32000-1 §12.8.2.2): 1 no changes, 2 form fill-in and signing, 3 also annotations. */
export type DocMdpPermissions = 1 | 2 | 3;

export interface SignatureFieldOptions {
  kind: 'signature' | 'timestamp';
  fieldName: string;
  /** Bytes reserved for the CMS (or timestamp token) in /Contents. */
  contentsSize: number;
  /** /M (claimed signing time); signatures only. */
  signingTime?: Date;
  reason?: string;
  location?: string;
  contactInfo?: string;
  signerName?: string;
  /** Makes this a certification signature with these DocMDP permissions. */
  docMdp?: DocMdpPermissions;
  /** Sign into this existing empty signature field instead of creating one. */
  existingField?: { ref: PdfRef; dict: PdfDict };
  widget: {
    page: number;
    /** [x1, y1, x2, y2] in default user space; all zero for an invisible signature. */
    rect: [number, number, number, number];
    /** Normal appearance form XObject of a visible signature. */
    appearance?: PdfRef;
  };
}

export interface StagedSignature {
  contents: PdfPlaceholder;
  byteRange: PdfPlaceholder;
  field: PdfRef;
  signature: PdfRef;
}

export function stageSignatureField(form: FormUpdate, options: SignatureFieldOptions): StagedSignature {
  const { writer } = form;
  const contents = new PdfPlaceholder('hex', options.contentsSize);
  const byteRange = new PdfPlaceholder('byterange', 0);
  const text = (value: string | undefined): PdfString | undefined =>
    value === undefined || value === '' ? undefined : PdfString.fromText(value);
  const isTimestamp = options.kind === 'timestamp';
  const signature = writer.add(
    dict({
      Type: name(isTimestamp ? 'DocTimeStamp' : 'Sig'),
      Filter: name('Adobe.PPKLite'),
      SubFilter: name(isTimestamp ? 'ETSI.RFC3161' : 'ETSI.CAdES.detached'),
      ByteRange: byteRange,
      Contents: contents,
      M:
        !isTimestamp && options.signingTime
          ? new PdfString(Buffer.from(pdfDate(options.signingTime)))
          : undefined,
      Name: text(options.signerName),
      Reason: text(options.reason),
      Location: text(options.location),
      ContactInfo: text(options.contactInfo),
      Reference: options.docMdp
        ? [
            dict({
              Type: name('SigRef'),
              TransformMethod: name('DocMDP'),
              TransformParams: dict({ Type: name('TransformParams'), P: options.docMdp, V: name('1.2') }),
            }),
          ]
        : undefined,
    }),
  );

  let field: PdfRef;
  if (options.existingField) {
    // Only /V and /AP change, as a certified document's permissions require.
    field = options.existingField.ref;
    const filled = options.existingField.dict.clone().set('V', signature);
    if (options.widget.appearance) {
      const ap = form.reader.dict(filled.get('AP'))?.clone() ?? new PdfDict();
      filled.set('AP', ap.set('N', options.widget.appearance));
    }
    writer.set(field, filled);
  } else {
    field = writer.allocate();
    const pageRef = form.addAnnotation(options.widget.page, field);
    writer.set(
      field,
      dict({
        FT: name('Sig'),
        T: PdfString.fromText(options.fieldName),
        V: signature,
        Type: name('Annot'),
        Subtype: name('Widget'),
        Rect: options.widget.rect,
        F: 132, // Print + Locked
        P: pageRef,
        AP: options.widget.appearance ? dict({ N: options.widget.appearance }) : undefined,
      }),
    );
    form.addField(field);
  }
  const sigFlags = form.reader.dict(form.reader.catalog().get('AcroForm'))?.get('SigFlags');
  if (sigFlags !== 3) form.acroFormForUpdate().set('SigFlags', 3); // SignaturesExist + AppendOnly

  if (options.docMdp) {
    const catalog = form.catalogForUpdate();
    const perms = form.reader.dict(catalog.get('Perms'))?.clone() ?? dict({});
    if (perms.has('DocMDP')) {
      throw new PkiError(
        'conflict',
        'The document is already certified; it cannot carry a second certification.',
      );
    }
    perms.set('DocMDP', signature);
    catalog.set('Perms', perms);
  }
  return { contents, byteRange, field, signature };
}

/** The four numbers of /ByteRange: everything but the /Contents hex string (with its brackets). */
export type ByteRange = [number, number, number, number];

/** Patches /ByteRange into a written update and returns it. */
export function fixByteRange(result: IncrementalResult, staged: StagedSignature): ByteRange {
  const contentsAt = result.marks.get(staged.contents);
  const rangeAt = result.marks.get(staged.byteRange);
  if (contentsAt === undefined || rangeAt === undefined)
    throw new PkiError('internal', 'Signature placeholders were not written.');
  const afterContents = contentsAt + staged.contents.width;
  const range: ByteRange = [0, contentsAt, afterContents, result.bytes.length - afterContents];
  const text = `[${range.join(' ')}]`;
  if (text.length > BYTERANGE_WIDTH)
    throw new PkiError('pdf_too_large', 'The document is too large for a byte range.');
  result.bytes.write(text.padEnd(BYTERANGE_WIDTH, ' '), rangeAt, 'latin1');
  return range;
}

/** The signed parts of the file, as views (no copy). */
export function byteRangeParts(bytes: Uint8Array, range: ByteRange): [Uint8Array, Uint8Array] {
  return [bytes.subarray(range[0], range[0] + range[1]), bytes.subarray(range[2], range[2] + range[3])];
}

/** Writes the DER signature into the /Contents placeholder (hex, zero-padded). */
export function embedContents(bytes: Buffer, range: ByteRange, der: Uint8Array): void {
  const capacity = (range[2] - range[1] - 2) / 2;
  if (der.length > capacity) {
    throw new PkiError(
      'internal',
      `The signature (${der.length} bytes) does not fit its placeholder (${capacity}).`,
    );
  }
  bytes.write(Buffer.from(der).toString('hex'), range[1] + 1, 'latin1');
}

/** PDF date string (PDF 32000-1 §7.9.4) in Vietnam time (UTC+7, no daylight saving). */
export function pdfDate(date: Date): string {
  const local = new Date(date.getTime() + 7 * 3600_000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    `D:${p(local.getUTCFullYear(), 4)}${p(local.getUTCMonth() + 1)}${p(local.getUTCDate())}` +
    `${p(local.getUTCHours())}${p(local.getUTCMinutes())}${p(local.getUTCSeconds())}+07'00'`
  );
}
