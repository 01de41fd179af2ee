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
import type { PdfReader } from '../pdf/reader';
import type { HashAlgorithm } from '../signer';
import { type PlacedAppearance, type SignatureAppearance, stageAppearance } from './appearance';
import { stageFieldFill } from './fields';
import { FormUpdate, freeFieldName } from './form';
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
  if (input.fieldName !== undefined && freeFieldName(reader, input.fieldName) !== input.fieldName) {
    throw new PkiError('conflict', `The PDF already has a field named "${input.fieldName}".`);
  }
  if (input.fill) stageFieldFill(form, input.fill);
  const placed = input.appearance
    ? stageAppearance(form, input.appearance, {
        certificate: input.certificate,
        signingTime: input.signingTime,
      })
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

/** Bytes to reserve for the CMS: certificates, signature, attributes, and a timestamp token. */
export function estimateContentsSize(certificates: readonly Uint8Array[], timestampReserve: number): number {
  let size = 2048 + timestampReserve;
  for (const c of certificates) size += c.length;
  return size;
}
