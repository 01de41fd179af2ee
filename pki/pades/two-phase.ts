/**
 * External two-phase signing, for keys we cannot call in-process: a USB token driven by a
 * browser extension, a remote signing service, a phone app.
 *
 *   prepare  → the PDF with its signature placeholder (byte range fixed) and the DER signed
 *              attributes; the caller hands out `toBeSigned` (or its `digest`, or for raw-RSA
 *              tokens the `digestInfo`) and stores `prepared` (plain JSON) meanwhile.
 *   complete → checks the returned value against the prepared certificate over the signed
 *              attributes, and only then embeds it (and adds B-T/B-LT/B-LTA as asked).
 *
 * The certificate is known at prepare time because signing-certificate-v2 is a signed
 * attribute. Certificate checks, signature verification and ECDSA value conversion are the
 * key side's primitives (pki/keys, pki/crypto), as agreed in pki/README.md.
 */
import { children, contentOf, readElement } from '../cms/der';
import { assembleSignedData, hash, signedAttributes } from '../cms/signed-data';
import { checkHashAlgorithm, defaultHashFor } from '../crypto/policy';
import { PkiError } from '../errors';
import { checkKeyCertificate } from '../keys/certificate-checks';
import {
  acceptExternalSignature,
  createExternalSignatureRequest,
  type ExternalSignatureRequest,
  type ExternalSignatureRequestJSON,
  externalSignatureRequestFromJSON,
  externalSignatureRequestToJSON,
} from '../keys/external';
import { PdfReader } from '../pdf/reader';
import type { HashAlgorithm, KeyAlgorithm } from '../signer';
import { assertExistingSignaturesIntact } from './existing';
import { estimateContentsSize, type SignatureDetails, writeSignatureRevision } from './revision';
import {
  checkLevelOptions,
  extendLevel,
  type LevelProviders,
  PADES_LEVELS,
  type PadesLevel,
  type SignPdfResult,
  signatureTimestamp,
} from './sign';
import { type ByteRange, byteRangeParts, embedContents } from './signature-field';

export interface PreparePdfSignatureOptions extends SignatureDetails {
  /** DER of the signer's certificate. */
  certificate: Uint8Array;
  /** DER intermediates, nearest first. */
  chain?: readonly Uint8Array[];
  /** Default: SHA-256 (SHA-384/512 for P-384/P-521 keys). */
  hashAlgorithm?: HashAlgorithm;
  /** RSA keys only: PKCS#1 v1.5 (default) or PSS. */
  rsaPadding?: 'pkcs1' | 'pss';
  /** The level `completePdfSignature` will reach; reserves room for the timestamp. Default B-B. */
  level?: PadesLevel;
  clock?: () => Date;
  maxBytes?: number;
}

/** Everything `completePdfSignature` needs, as plain JSON (base64 for bytes). */
export interface PreparedPdfSignature {
  version: 1;
  /** The PDF with the signature placeholder, base64. */
  pdf: string;
  byteRange: ByteRange;
  fieldName: string;
  level: PadesLevel;
  /** The key side's request (pki/keys/external): signed attributes as `data`, certificate, chain, algorithms. */
  request: ExternalSignatureRequestJSON;
  signingTime: string;
  maxBytes?: number;
}

export interface PreparePdfSignatureResult {
  prepared: PreparedPdfSignature;
  /** The DER signed attributes: what a signer that hashes itself signs. */
  toBeSigned: Uint8Array;
  /** hashAlgorithm(toBeSigned): what a token or remote service that signs digests signs. */
  digest: Uint8Array;
  hashAlgorithm: HashAlgorithm;
  keyAlgorithm: KeyAlgorithm;
  /** RSA PKCS#1 v1.5 only: DER DigestInfo, for tokens that do raw RSA. */
  digestInfo: Uint8Array | null;
}

/** Room for a timestamp token when it cannot be retried (the value is signed once). */
const TWO_PHASE_TIMESTAMP_RESERVE = 16384;

export function preparePdfSignature(
  pdf: Uint8Array,
  options: PreparePdfSignatureOptions,
): PreparePdfSignatureResult {
  const level = options.level ?? 'B-B';
  if (!PADES_LEVELS.includes(level)) {
    throw new PkiError(
      'invalid_input',
      `Unknown PAdES level "${String(level)}"; use B-B, B-T, B-LT or B-LTA.`,
    );
  }
  const signingTime = (options.clock ?? (() => new Date()))();
  // The hash must be known before the byte-range digest; the full checks run again below.
  const { key } = checkKeyCertificate(options.certificate, { at: signingTime, purpose: 'document' });
  const hashAlgorithm = options.hashAlgorithm
    ? checkHashAlgorithm(options.hashAlgorithm)
    : defaultHashFor(key);
  if (key.family === 'ECDSA' && options.rsaPadding) {
    throw new PkiError('invalid_input', 'RSA padding was given for an ECDSA certificate.');
  }
  const chain = options.chain ?? [];

  const reader = PdfReader.open(pdf, { maxBytes: options.maxBytes });
  assertExistingSignaturesIntact(reader);
  const contentsSize = estimateContentsSize(
    [options.certificate, ...chain],
    level === 'B-B' ? 0 : TWO_PHASE_TIMESTAMP_RESERVE,
  );
  const revision = writeSignatureRevision(reader, {
    ...options,
    signingTime,
    contentsSize,
    hashAlgorithm,
    certificate: options.certificate,
  });
  const request = createExternalSignatureRequest({
    certificate: options.certificate,
    chain: [...chain],
    data: signedAttributes({
      messageDigest: revision.digest,
      hashAlgorithm,
      certificate: options.certificate,
    }),
    hashAlgorithm,
    ...(options.rsaPadding ? { rsaPadding: options.rsaPadding } : {}),
    at: signingTime,
  });
  return {
    prepared: {
      version: 1,
      pdf: Buffer.from(revision.bytes).toString('base64'),
      byteRange: revision.byteRange,
      fieldName: revision.fieldName,
      level,
      request: externalSignatureRequestToJSON(request),
      signingTime: signingTime.toISOString(),
      ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
    },
    toBeSigned: request.data,
    digest: request.digest,
    hashAlgorithm: request.hashAlgorithm,
    keyAlgorithm: request.keyAlgorithm,
    digestInfo: request.digestInfo,
  };
}

/**
 * Embeds the returned signature value. `certificate`, when given, must be the prepared
 * one; `chain` replaces the prepared chain when given. A value that does not verify →
 * invalid_input and nothing is produced.
 */
export async function completePdfSignature(
  prepared: PreparedPdfSignature,
  signatureValue: Uint8Array,
  certificate?: Uint8Array,
  chain?: readonly Uint8Array[],
  providers: LevelProviders = {},
): Promise<SignPdfResult> {
  const state = readPrepared(prepared);
  checkLevelOptions(state.level, providers);
  const { request } = state;
  // Verified against the certificate before anything is embedded (ECDSA r‖s becomes DER).
  const value = acceptExternalSignature(request, signatureValue, certificate);

  const bytes = Buffer.from(state.pdf);
  const timestampToken =
    state.level === 'B-B'
      ? undefined
      : await signatureTimestamp(providers.timestampAuthority!, request.hashAlgorithm, value);
  const cms = assembleSignedData({
    signedAttributes: request.data,
    signature: value,
    keyAlgorithm: request.keyAlgorithm,
    hashAlgorithm: request.hashAlgorithm,
    certificate: request.certificate,
    chain: chain ?? request.chain,
    timestampToken,
  });
  const capacity = (state.byteRange[2] - state.byteRange[1] - 2) / 2;
  if (cms.length > capacity) {
    throw new PkiError(
      'conflict',
      `The signature (${cms.length} bytes) does not fit the ${capacity} bytes prepared; prepare again.`,
    );
  }
  embedContents(bytes, state.byteRange, cms);
  const pdf = await extendLevel(bytes, state.level, providers, prepared.fieldName, prepared.maxBytes);
  return { pdf, level: state.level, fieldName: prepared.fieldName, signingTime: state.signingTime };
}

interface PreparedState {
  pdf: Uint8Array;
  byteRange: ByteRange;
  level: PadesLevel;
  request: ExternalSignatureRequest;
  signingTime: Date;
}

/** Decodes and cross-checks stored state: it may have travelled through a browser or a database. */
function readPrepared(prepared: PreparedPdfSignature): PreparedState {
  const bad = (what: string): PkiError =>
    new PkiError('invalid_input', `The prepared signature is invalid: ${what}.`);
  if (prepared?.version !== 1) throw bad('unknown version');
  const b64 = (value: unknown, what: string): Uint8Array => {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value))
      throw bad(`${what} is not base64`);
    return new Uint8Array(Buffer.from(value, 'base64'));
  };
  if (!PADES_LEVELS.includes(prepared.level)) throw bad('unknown level');
  const request = externalSignatureRequestFromJSON(prepared.request);
  const range = prepared.byteRange;
  const pdf = b64(prepared.pdf, 'pdf');
  if (
    !Array.isArray(range) ||
    range.length !== 4 ||
    !range.every((n) => Number.isInteger(n) && n >= 0) ||
    range[0] !== 0 ||
    range[2] + range[3] !== pdf.length ||
    pdf[range[1]] !== 0x3c ||
    pdf[range[2] - 1] !== 0x3e
  ) {
    throw bad('the byte range does not match the document');
  }
  // The signed attributes must still commit to these exact bytes.
  const digest = hash(request.hashAlgorithm, byteRangeParts(pdf, range));
  if (!Buffer.from(messageDigestOf(request.data) ?? []).equals(Buffer.from(digest))) {
    throw bad('the document no longer matches its signed attributes');
  }
  const signingTime = new Date(prepared.signingTime);
  if (Number.isNaN(signingTime.getTime())) throw bad('the signing time is not a date');
  return { pdf, byteRange: range, level: prepared.level, request, signingTime };
}

/** The messageDigest value inside DER signed attributes. */
function messageDigestOf(attributes: Uint8Array): Uint8Array | undefined {
  try {
    const set = readElement(attributes, 0);
    for (const attr of children(attributes, set)) {
      const [type, values] = children(attributes, attr);
      if (!type || !values) continue;
      if (
        Buffer.from(contentOf(attributes, type)).equals(
          Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04]),
        )
      ) {
        const value = children(attributes, values)[0];
        return value ? contentOf(attributes, value) : undefined;
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}
