import type { HashAlgorithm } from './signer';

/**
 * Where signature timestamps come from: our own TSA in-process, or any RFC 3161 TSA over
 * HTTP. PAdES B-T and document timestamps depend only on this.
 */
export interface TimestampAuthority {
  /** DER of an RFC 3161 TimeStampToken (CMS ContentInfo) whose message imprint is `digest`. */
  timestamp(digest: Uint8Array, hashAlgorithm: HashAlgorithm): Promise<Uint8Array>;
}

/**
 * Where revocation evidence comes from: our CA in-process, or the OCSP and CRL URLs named
 * in a certificate. PAdES B-LT and verification depend only on this.
 */
export interface RevocationSource {
  /** DER OCSPResponse for `certificate` (issued by `issuer`), or null when none answers. */
  ocsp(certificate: Uint8Array, issuer: Uint8Array): Promise<Uint8Array | null>;
  /** DER CRLs that cover `certificate`; empty when none can be fetched. */
  crls(certificate: Uint8Array): Promise<Uint8Array[]>;
}
