/**
 * Every failure of the PKI library is a PkiError: a stable machine-readable code and a
 * message a person can act on. Callers map codes to HTTP statuses or exit codes; the
 * library never leaks a stack trace as its message.
 */
export type PkiErrorCode =
  | 'invalid_input' // malformed argument (bad PEM, wrong type, unsupported option)
  | 'not_a_pdf'
  | 'pdf_damaged' // truncated, broken cross-reference table, unparsable object
  | 'pdf_encrypted'
  | 'pdf_too_large'
  | 'signature_damaged' // an existing signature field whose contents cannot be read
  | 'wrong_passphrase'
  | 'key_unavailable' // PKCS#11 token or slot missing, key not found
  | 'certificate_expired'
  | 'certificate_not_yet_valid'
  | 'certificate_revoked'
  | 'certificate_wrong_usage'
  | 'weak_algorithm' // below Thông tư 15/2025/TT-BKHCN: RSA < 2048, EC < 256, SHA-1
  | 'untrusted' // chain does not reach a configured trust anchor
  | 'tsa_unavailable' // B-T or better requested and the TSA did not answer properly
  | 'revocation_unavailable' // B-LT or better requested and OCSP/CRL did not answer
  | 'not_found'
  | 'conflict'
  | 'internal';

export class PkiError extends Error {
  override readonly name = 'PkiError';
  constructor(
    readonly code: PkiErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isPkiError(value: unknown): value is PkiError {
  return value instanceof PkiError;
}
