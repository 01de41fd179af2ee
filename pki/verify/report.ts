/**
 * The verification report: plain JSON (strings, numbers, booleans, arrays), so it can be
 * stored, sent over HTTP, or printed. Times are ISO 8601 strings in UTC.
 */
import type { ChangeKind } from './changes';

export type CheckStatus = 'passed' | 'failed' | 'indeterminate' | 'not_applicable';

export interface Check {
  readonly status: CheckStatus;
  readonly message: string;
}

/**
 * valid: every check passed. invalid: the bytes, the cryptography, the certificate's
 * validity or revocation, or a later change prove the signature wrong. indeterminate: the
 * signature is intact but cannot be trusted yet (chain not reaching a trust anchor,
 * revocation unknown when required, timestamp not verifiable).
 */
export type Verdict = 'valid' | 'invalid' | 'indeterminate';

export type ReasonCode =
  | 'signature_damaged'
  | 'byte_range_invalid'
  | 'digest_mismatch'
  | 'signature_invalid'
  | 'weak_algorithm'
  | 'signing_certificate_mismatch'
  | 'untrusted'
  | 'certificate_wrong_usage'
  | 'certificate_expired'
  | 'certificate_not_yet_valid'
  | 'certificate_revoked'
  | 'revocation_unknown'
  | 'timestamp_invalid'
  | 'unverifiable_content'
  | 'modified';

export type PadesLevel = 'none' | 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';

export interface CertificateSummary {
  readonly subject: string;
  readonly commonName?: string;
  readonly organization?: string;
  readonly issuer: string;
  /** Hex, as printed by `openssl x509 -serial`. */
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly sha256: string;
}

export interface ChangeReport {
  /** 1-based revision number that made the change. */
  readonly revision: number;
  readonly object?: number;
  readonly kind: ChangeKind;
  readonly field?: string;
  readonly allowed: boolean;
  readonly description: string;
}

export interface CertificateRevocationReport {
  readonly subject: string;
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly method?: 'ocsp' | 'crl' | 'not_checked';
  readonly source?: 'cms' | 'dss' | 'fetched';
  readonly revokedAt?: string;
  readonly reason?: string;
  readonly message: string;
}

export interface SignatureChecks {
  readonly byteRange: Check;
  readonly digest: Check;
  readonly cryptography: Check & { readonly algorithm?: string; readonly key?: string };
  readonly algorithmPolicy: Check;
  readonly signingCertificate: Check;
  readonly chain: Check & { readonly path: readonly string[] };
  readonly certificateValidity: Check & { readonly at?: string; readonly basis?: TimeBasis };
  readonly revocation: Check & {
    readonly state: 'good' | 'revoked' | 'unknown';
    readonly revokedAt?: string;
    readonly certificates: readonly CertificateRevocationReport[];
  };
  readonly timestamp: Check & { readonly time?: string; readonly authority?: string };
  readonly modifications: Check & { readonly changes: readonly ChangeReport[] };
}

/** Where the signing time used for the checks comes from. */
export type TimeBasis = 'signature_timestamp' | 'document_timestamp' | 'claimed' | 'validation_time';

export interface SignatureReport {
  /** 1-based position in file order. */
  readonly index: number;
  readonly kind: 'signature' | 'document_timestamp';
  readonly field: string;
  readonly subFilter?: string;
  /** Present for a certification (DocMDP) signature: 1 no changes, 2 form fill-in and signing, 3 also annotations. */
  readonly certification?: { readonly permissions: 1 | 2 | 3 };
  readonly signer?: CertificateSummary;
  readonly reason?: string;
  readonly location?: string;
  readonly signingTime: {
    /** /M of the signature dictionary (the signer's own claim). */
    readonly claimed?: string;
    /** From a verified timestamp. */
    readonly proven?: string;
    /** The time the certificate checks were made at, and why. */
    readonly used: string;
    readonly basis: TimeBasis;
  };
  /** 1-based number of the revision this signature covers, and how many the file has. */
  readonly signedRevision?: number;
  readonly coversWholeFile: boolean;
  readonly checks: SignatureChecks;
  /** PAdES baseline level reached (ETSI EN 319 142-1); for document timestamps always "none". */
  readonly padesLevel: PadesLevel;
  readonly verdict: Verdict;
  readonly reasons: readonly ReasonCode[];
}

export interface VerificationReport {
  /** valid only when there is at least one signature and every signature is valid. */
  readonly verdict: Verdict | 'unsigned';
  readonly file: { readonly size: number; readonly sha256: string; readonly revisions: number };
  readonly validationTime: string;
  readonly signatures: readonly SignatureReport[];
}
