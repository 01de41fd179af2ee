/**
 * A Signer is a key that can produce a signature value, wherever it lives: an encrypted
 * software key, a PKCS#11 token, or an external device that answers later (two-phase).
 * PAdES, CMS, OCSP and TSA code depends only on this interface.
 */
export type KeyAlgorithm = 'RSA' | 'RSA-PSS' | 'ECDSA';
export type HashAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';

export interface Signer {
  readonly keyAlgorithm: KeyAlgorithm;
  /** Hash used for the signature; SHA-256 or stronger. */
  readonly hashAlgorithm: HashAlgorithm;
  /** DER of the signer's certificate. */
  readonly certificate: Uint8Array;
  /** DER of the intermediates up to (not necessarily including) the root, nearest first. */
  readonly chain: readonly Uint8Array[];
  /**
   * Signs `data` (the DER of the signed attributes, or any message) with `hashAlgorithm`.
   * Returns the raw signature value as it goes into a CMS SignerInfo: PKCS#1 v1.5 or PSS
   * for RSA, DER-encoded ECDSA-Sig-Value for ECDSA.
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
}
