/**
 * The checks every key does when it is loaded, before it may sign anything: the
 * certificate is valid now (or at the time asked), allowed for the purpose, strong enough
 * under Thông tư 15/2025/TT-BKHCN, and belongs to the private key. Each failure has its own
 * PkiError code so callers can tell the user exactly what is wrong.
 */
import type { KeyObject } from 'node:crypto';
import type * as pkijs from 'pkijs';
import {
  describeName,
  extendedKeyUsagesOf,
  isCaCertificate,
  isSelfIssued,
  keyUsagesOf,
  parseCertificate,
  subjectPublicKeyInfoDer,
} from '../crypto/certificate';
import { bytesEqual } from '../crypto/encoding';
import { spkiOf } from '../crypto/keys';
import { OID } from '../crypto/oids';
import { checkCertificateAlgorithms, type KeyDescription } from '../crypto/policy';
import { PkiError } from '../errors';

/** What the key is about to sign. */
export type KeyPurpose = 'document' | 'ocsp' | 'timestamp' | 'ca';

/** EKUs that allow signing documents when a certificate restricts its usage at all. */
const DOCUMENT_EKUS: readonly string[] = [
  OID.kpEmailProtection,
  OID.documentSigning,
  OID.adobeAuthenticDocumentsTrust,
  OID.anyExtendedKeyUsage,
  OID.kpClientAuth,
];

export interface CertificateCheckOptions {
  purpose?: KeyPurpose;
  /** Validation time; now unless given. */
  at?: Date;
  /** When given, the certificate's public key must be this key's. */
  privateKey?: KeyObject;
}

function wrongUsage(cert: pkijs.Certificate, detail: string): PkiError {
  return new PkiError(
    'certificate_wrong_usage',
    `The certificate of ${describeName(cert.subject)} ${detail}.`,
  );
}

/** Throws certificate_wrong_usage unless the certificate may be used for `purpose`. */
export function checkCertificateUsage(cert: pkijs.Certificate, purpose: KeyPurpose): void {
  const usages = keyUsagesOf(cert);
  const ekus = extendedKeyUsagesOf(cert);
  const has = (...names: Array<Parameters<NonNullable<typeof usages>['has']>[0]>) =>
    usages === null || names.some((n) => usages.has(n));
  switch (purpose) {
    case 'document':
      if (isCaCertificate(cert)) throw wrongUsage(cert, 'is a CA certificate, not a signer certificate');
      if (!has('digitalSignature', 'nonRepudiation')) {
        throw wrongUsage(cert, 'allows neither digitalSignature nor nonRepudiation');
      }
      if (ekus && !ekus.oids.some((oid) => DOCUMENT_EKUS.includes(oid))) {
        throw wrongUsage(
          cert,
          'is restricted by its extended key usage to other purposes than signing documents',
        );
      }
      return;
    case 'ocsp':
      if (!has('digitalSignature', 'nonRepudiation'))
        throw wrongUsage(cert, 'does not allow digitalSignature');
      if (!ekus?.oids.includes(OID.kpOcspSigning))
        throw wrongUsage(cert, 'lacks the OCSPSigning extended key usage');
      return;
    case 'timestamp':
      if (!has('digitalSignature', 'nonRepudiation'))
        throw wrongUsage(cert, 'does not allow digitalSignature');
      // RFC 3161 §2.3: exactly one EKU, id-kp-timeStamping, marked critical.
      if (!ekus?.critical || ekus.oids.length !== 1 || ekus.oids[0] !== OID.kpTimeStamping) {
        throw wrongUsage(cert, 'does not carry the single critical timeStamping extended key usage');
      }
      return;
    case 'ca':
      if (!isCaCertificate(cert)) throw wrongUsage(cert, 'is not a CA certificate');
      if (usages && !usages.has('keyCertSign')) throw wrongUsage(cert, 'does not allow keyCertSign');
      return;
  }
}

/**
 * Runs every load-time check on a certificate (DER/PEM or parsed) and returns the parsed
 * certificate with its key description.
 */
export function checkKeyCertificate(
  certificate: Uint8Array | string | pkijs.Certificate,
  options: CertificateCheckOptions = {},
): { certificate: pkijs.Certificate; key: KeyDescription } {
  const cert =
    typeof certificate === 'string' || certificate instanceof Uint8Array
      ? parseCertificate(certificate)
      : certificate;
  const at = options.at ?? new Date();
  const who = describeName(cert.subject);
  if (cert.notBefore.value.getTime() > at.getTime()) {
    throw new PkiError(
      'certificate_not_yet_valid',
      `The certificate of ${who} is valid only from ${cert.notBefore.value.toISOString()}.`,
    );
  }
  if (cert.notAfter.value.getTime() < at.getTime()) {
    throw new PkiError(
      'certificate_expired',
      `The certificate of ${who} expired on ${cert.notAfter.value.toISOString()}.`,
    );
  }
  const key = checkCertificateAlgorithms(cert, `certificate of ${who}`, {
    ignoreOwnSignature: isSelfIssued(cert),
  });
  checkCertificateUsage(cert, options.purpose ?? 'document');
  if (options.privateKey && !bytesEqual(subjectPublicKeyInfoDer(cert), spkiOf(options.privateKey))) {
    throw new PkiError('invalid_input', `The certificate of ${who} does not belong to this private key.`);
  }
  return { certificate: cert, key };
}
