/**
 * PAdES signing (ETSI EN 319 142-1 baseline): `signPdf` adds one signature by incremental
 * update at the level asked and returns the level reached — never less. B-B: CAdES
 * detached CMS. B-T: plus a signature timestamp from the TSA. B-LT: plus a Document
 * Security Store update with the certificates and revocation data needed to validate the
 * signature and its timestamp later. B-LTA: plus a document timestamp over all of that.
 * Any TSA or revocation failure on the way throws (`tsa_unavailable`,
 * `revocation_unavailable`) and nothing is returned: fail closed.
 */

import { assembleSignedData, hash, signedAttributes } from '../cms/signed-data';
import { requestTimestamp } from '../cms/timestamp';
import { PkiError } from '../errors';
import { PdfReader } from '../pdf/reader';
import type { RevocationSource, TimestampAuthority } from '../providers';
import type { HashAlgorithm, Signer } from '../signer';
import type { PlacedAppearance } from './appearance';
import { addDocumentTimestamp } from './document-timestamp';
import { addValidationData } from './dss';
import { assertExistingSignaturesIntact } from './existing';
import { estimateContentsSize, type SignatureDetails, writeSignatureRevision } from './revision';
import { embedContents } from './signature-field';

export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';
export const PADES_LEVELS: readonly PadesLevel[] = ['B-B', 'B-T', 'B-LT', 'B-LTA'];

export interface LevelProviders {
  /** Required from B-T up. */
  timestampAuthority?: TimestampAuthority;
  /** Required from B-LT up. */
  revocationSource?: RevocationSource;
  /**
   * From B-LT up: extra certificates for the DSS, typically the root(s) of the signer's and
   * TSA's chains (fetched from the AIA caIssuers URL when absent).
   */
  validationCertificates?: readonly Uint8Array[];
}

export interface SignPdfOptions extends SignatureDetails, LevelProviders {
  signer: Signer;
  /** Default 'B-B'. */
  level?: PadesLevel;
  /** Source of the claimed signing time /M; default the system clock. */
  clock?: () => Date;
  /** Refuse input larger than this (default 50 MB). */
  maxBytes?: number;
}

export interface SignPdfResult {
  pdf: Uint8Array;
  level: PadesLevel;
  fieldName: string;
  signingTime: Date;
  /** Where a visible signature landed (page, widget rectangle, image rectangle). */
  appearance?: PlacedAppearance;
}

/** Reserved for a signature timestamp token when signing in one step (a retry covers more). */
const TIMESTAMP_RESERVE = 8192;

export async function signPdf(pdf: Uint8Array, options: SignPdfOptions): Promise<SignPdfResult> {
  const level = options.level ?? 'B-B';
  checkLevelOptions(level, options);
  const { signer } = options;
  const reader = PdfReader.open(pdf, { maxBytes: options.maxBytes });
  assertExistingSignaturesIntact(reader);
  const signingTime = (options.clock ?? (() => new Date()))();
  const withTimestamp = level !== 'B-B';

  let contentsSize = estimateContentsSize(
    [signer.certificate, ...signer.chain],
    withTimestamp ? TIMESTAMP_RESERVE : 0,
  );
  for (let attempt = 0; ; attempt++) {
    const revision = writeSignatureRevision(reader, {
      ...options,
      signingTime,
      contentsSize,
      hashAlgorithm: signer.hashAlgorithm,
      certificate: signer.certificate,
    });
    const attributes = signedAttributes({
      messageDigest: revision.digest,
      hashAlgorithm: signer.hashAlgorithm,
      certificate: signer.certificate,
    });
    const signature = await signer.sign(attributes);
    const timestampToken = withTimestamp
      ? await signatureTimestamp(options.timestampAuthority!, signer.hashAlgorithm, signature)
      : undefined;
    const cms = assembleSignedData({
      signedAttributes: attributes,
      signature,
      keyAlgorithm: signer.keyAlgorithm,
      hashAlgorithm: signer.hashAlgorithm,
      certificate: signer.certificate,
      chain: signer.chain,
      timestampToken,
    });
    if (cms.length > contentsSize) {
      // A larger chain or token than estimated: sign again with room to spare (once).
      if (attempt > 0) throw new PkiError('internal', 'The signature does not fit its reserved space.');
      contentsSize = cms.length + (withTimestamp ? 4096 : 512);
      continue;
    }
    embedContents(revision.bytes, revision.byteRange, cms);
    const bytes = await extendLevel(revision.bytes, level, options, revision.fieldName, options.maxBytes);
    return { pdf: bytes, level, fieldName: revision.fieldName, signingTime, appearance: revision.appearance };
  }
}

/** Adds what B-LT and B-LTA need after a signature has been embedded. */
export async function extendLevel(
  pdf: Uint8Array,
  level: PadesLevel,
  providers: LevelProviders,
  fieldName: string,
  maxBytes?: number,
): Promise<Uint8Array> {
  let bytes = pdf;
  if (level === 'B-LT' || level === 'B-LTA') {
    bytes = await addValidationData(bytes, {
      fieldName,
      revocationSource: providers.revocationSource!,
      certificates: providers.validationCertificates,
      maxBytes,
    });
  }
  if (level === 'B-LTA') {
    bytes = await addDocumentTimestamp(bytes, {
      timestampAuthority: providers.timestampAuthority!,
      maxBytes,
    });
  }
  return bytes;
}

export function checkLevelOptions(level: PadesLevel, options: LevelProviders): void {
  if (!PADES_LEVELS.includes(level)) {
    throw new PkiError(
      'invalid_input',
      `Unknown PAdES level "${String(level)}"; use B-B, B-T, B-LT or B-LTA.`,
    );
  }
  if (level !== 'B-B' && !options.timestampAuthority) {
    throw new PkiError('invalid_input', `PAdES ${level} needs a timestamp authority.`);
  }
  if ((level === 'B-LT' || level === 'B-LTA') && !options.revocationSource) {
    throw new PkiError('invalid_input', `PAdES ${level} needs a revocation source (OCSP/CRL).`);
  }
}

/** The B-T signature timestamp: a token over the hash of the signature value. */
export async function signatureTimestamp(
  tsa: TimestampAuthority,
  hashAlgorithm: HashAlgorithm,
  signatureValue: Uint8Array,
): Promise<Uint8Array> {
  return (await requestTimestamp(tsa, hash(hashAlgorithm, signatureValue), hashAlgorithm)).token;
}
