/**
 * Verification of signed PDFs (PAdES and PKCS#7 signatures, document timestamps).
 * See the "Verification" section of pki/README.md.
 */
export type { ChangeKind } from './changes';
export type {
  CertificateRevocationReport,
  CertificateSummary,
  ChangeReport,
  Check,
  CheckStatus,
  PadesLevel,
  ReasonCode,
  SignatureChecks,
  SignatureReport,
  TimeBasis,
  Verdict,
  VerificationReport,
} from './report';
export { formatVerificationSummary } from './summary';
export { pemCertificates, type TrustAnchors } from './trust-input';
export { DEFAULT_MAX_BYTES, type VerifyOptions, verifyPdf } from './verify-pdf';
