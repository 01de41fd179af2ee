/**
 * One signing revision: an incremental update that adds a signature field (with optional
 * visible appearance, certification and form fill-in), written with placeholders, its
 * byte range fixed and its digest computed. Shared by one-step signing (`signPdf`) and
 * two-phase signing (`preparePdfSignature`), which differ only in where the signature
 * value comes from.
 */
import { hash } from '../cms/signed-data';
import { PkiError } from '../errors';
import { IncrementalWriter } from '../pdf/incremental';
import { type PdfDict, PdfRef } from '../pdf/objects';
import type { PdfReader } from '../pdf/reader';
import type { HashAlgorithm } from '../signer';
import { type PlacedAppearance, type Rect, type SignatureAppearance, stageAppearance } from './appearance';
import { stageFieldFill } from './fields';
import { FormUpdate, freeFieldName, listFields } from './form';
import {
  type ByteRange,
  byteRangeParts,
  type DocMdpPermissions,
  fixByteRange,
  stageSignatureField,
} from './signature-field';

/** What the signature says about itself besides the CMS. */
export interface SignatureDetails {
  /** Field name; default "Signature1", "Signature2", … (the first free one). */
  fieldName?: string;
  reason?: string;
  location?: string;
  contactInfo?: string;
  /** /Name in the signature dictionary (the signer's name as text). */
  signerName?: string;
  /** Visible appearance; invisible when absent. */
  appearance?: SignatureAppearance;
  /** Certification signature with these DocMDP permissions (2: form fill-in and signing allowed). */
  certify?: DocMdpPermissions;
  /** Text fields to fill in the same update (fully qualified name → value), e.g. number and date. */
  fill?: Readonly<Record<string, string>>;
}

export interface RevisionInput extends SignatureDetails {
  signingTime: Date;
  contentsSize: number;
  hashAlgorithm: HashAlgorithm;
  /** Signer's certificate, for the default appearance text. */
  certificate: Uint8Array;
}

export interface WrittenRevision {
  bytes: Buffer;
  byteRange: ByteRange;
  /** Hash of the byte ranges with `hashAlgorithm`: the CMS messageDigest. */
  digest: Uint8Array;
  fieldName: string;
  appearance?: PlacedAppearance;
}

export function writeSignatureRevision(reader: PdfReader, input: RevisionInput): WrittenRevision {
  const writer = new IncrementalWriter(reader);
  const form = new FormUpdate(reader, writer);
  const fieldName = input.fieldName ?? freeFieldName(reader, 'Signature');
  const existing = input.fieldName === undefined ? undefined : emptySignatureField(reader, input.fieldName);
  if (input.fill) stageFieldFill(form, input.fill);
  const context = { certificate: input.certificate, signingTime: input.signingTime };
  // An existing visible field always gets an appearance (default text when none is given).
  const placed = existing
    ? existing.rect.width > 0 && existing.rect.height > 0
      ? stageAppearance(form, input.appearance ?? {}, context, existing)
      : undefined
    : input.appearance
      ? stageAppearance(form, input.appearance, context)
      : undefined;
  const staged = stageSignatureField(form, {
    kind: 'signature',
    fieldName,
    contentsSize: input.contentsSize,
    signingTime: input.signingTime,
    reason: input.reason,
    location: input.location,
    contactInfo: input.contactInfo,
    signerName: input.signerName,
    docMdp: input.certify,
    existingField: existing,
    widget: placed
      ? { page: placed.page, rect: placed.rect, appearance: placed.appearanceRef }
      : { page: 0, rect: [0, 0, 0, 0] },
  });
  const result = writer.write();
  const byteRange = fixByteRange(result, staged);
  const digest = hash(input.hashAlgorithm, byteRangeParts(result.bytes, byteRange));
  return {
    bytes: result.bytes,
    byteRange,
    digest,
    fieldName,
    appearance: placed && { page: placed.page, rect: placed.rect, imageRect: placed.imageRect },
  };
}

/**
 * The field named `name` when it is an empty signature field (to sign into), undefined when
 * no field has that name; a conflict when it is another kind of field or already signed.
 */
function emptySignatureField(
  reader: PdfReader,
  name: string,
): { ref: PdfRef; dict: PdfDict; page: number; rect: Rect } | undefined {
  const field = listFields(reader).find((f) => f.name === name);
  if (!field) return undefined;
  if (field.type !== 'Sig') throw new PkiError('conflict', `The field "${name}" is not a signature field.`);
  if (field.dict.has('V')) throw new PkiError('conflict', `The signature field "${name}" is already signed.`);
  if (field.dict.name('Subtype') !== 'Widget') {
    throw new PkiError(
      'invalid_input',
      `The signature field "${name}" has separate widgets, which is not supported.`,
    );
  }
  const r = (reader.array(field.dict.get('Rect')) ?? []).map((n) => (typeof n === 'number' ? n : 0));
  const [x1 = 0, y1 = 0, x2 = 0, y2 = 0] = r;
  const pageRef = field.dict.get('P');
  let page = -1;
  for (let i = 0; i < reader.pageCount(); i++) {
    if (pageRef instanceof PdfRef && reader.pageRef(i).equals(pageRef)) page = i;
  }
  if (page < 0) throw new PkiError('pdf_damaged', `The signature field "${name}" is not on any page.`);
  return {
    ref: field.ref,
    dict: field.dict,
    page,
    rect: { x: Math.min(x1, x2), y: Math.min(y1, y2), width: Math.abs(x2 - x1), height: Math.abs(y2 - y1) },
  };
}

/** Bytes to reserve for the CMS: certificates, signature, attributes, and a timestamp token. */
export function estimateContentsSize(certificates: readonly Uint8Array[], timestampReserve: number): number {
  let size = 2048 + timestampReserve;
  for (const c of certificates) size += c.length;
  return size;
}
