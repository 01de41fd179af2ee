/**
 * X.509 v2 CRLs (RFC 5280 §5): issuing one from a CA's revocation list, and reading one back
 * (signature, freshness, whether a serial is on it). The CA decides when; this file only
 * knows the format.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { parseCertificate, publicKeyOf, subjectKeyIdentifierOf } from '../crypto/certificate';
import { derToPem, toArrayBuffer, toDer, toHex } from '../crypto/encoding';
import { OID } from '../crypto/oids';
import { signTbs, verifyWithAlgorithmIdentifier } from '../crypto/signing';
import { PkiError } from '../errors';
import type { Signer } from '../signer';

export const CRL_REASON_CODES = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;
export type CrlReason = keyof typeof CRL_REASON_CODES;

export function reasonName(code: number): CrlReason {
  const entry = Object.entries(CRL_REASON_CODES).find(([, value]) => value === code);
  return (entry?.[0] as CrlReason | undefined) ?? 'unspecified';
}

export interface CrlEntryInput {
  /** Hex serial. */
  serial: string;
  time: Date;
  reason: CrlReason;
}

export interface CrlInput {
  issuerCertificate: Uint8Array;
  signer: Signer;
  number: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  revoked: readonly CrlEntryInput[];
}

/** Minimal two's-complement big-endian bytes of a non-negative integer. */
export function integerBytes(value: bigint): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (/^[89a-f]/.test(hex)) hex = `00${hex}`;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function serialInteger(serialHex: string): asn1js.Integer {
  return new asn1js.Integer({ valueHex: integerBytes(BigInt(`0x${serialHex}`)) });
}

function time(value: Date): pkijs.Time {
  return new pkijs.Time({ type: value.getUTCFullYear() < 2050 ? 0 : 1, value });
}

/** Builds and signs a CRL; DER. */
export async function issueCrl(input: CrlInput): Promise<Uint8Array> {
  const issuer = parseCertificate(input.issuerCertificate, 'CRL issuer certificate');
  const keyId = subjectKeyIdentifierOf(issuer);
  if (!keyId)
    throw new PkiError('invalid_input', 'The CRL issuer certificate has no subject key identifier.');
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  crl.issuer = issuer.subject;
  crl.thisUpdate = time(input.thisUpdate);
  crl.nextUpdate = time(input.nextUpdate);
  if (input.revoked.length > 0) {
    crl.revokedCertificates = input.revoked.map((entry) => {
      const revoked = new pkijs.RevokedCertificate({
        userCertificate: serialInteger(entry.serial),
        revocationDate: time(entry.time),
      });
      // RFC 5280 §5.3.1: the reason code should be absent rather than "unspecified".
      if (entry.reason !== 'unspecified') {
        revoked.crlEntryExtensions = new pkijs.Extensions({
          extensions: [
            new pkijs.Extension({
              extnID: OID.crlReason,
              critical: false,
              extnValue: new asn1js.Enumerated({ value: CRL_REASON_CODES[entry.reason] }).toBER(false),
            }),
          ],
        });
      }
      return revoked;
    });
  }
  crl.crlExtensions = new pkijs.Extensions({
    extensions: [
      new pkijs.Extension({
        extnID: OID.authorityKeyIdentifier,
        critical: false,
        extnValue: new pkijs.AuthorityKeyIdentifier({
          keyIdentifier: new asn1js.OctetString({ valueHex: keyId }),
        })
          .toSchema()
          .toBER(false),
      }),
      new pkijs.Extension({
        extnID: OID.crlNumber,
        critical: false,
        extnValue: new asn1js.Integer({ valueHex: integerBytes(input.number) }).toBER(false),
      }),
    ],
  });
  await signTbs(crl, input.signer);
  return new Uint8Array(crl.toSchema().toBER(false));
}

export function crlToPem(der: Uint8Array): string {
  return derToPem(der, 'X509 CRL');
}

/** Parses a CRL from PEM or DER. */
export function parseCrl(input: Uint8Array | string): pkijs.CertificateRevocationList {
  const der = toDer(input, ['X509 CRL'], 'CRL');
  try {
    return pkijs.CertificateRevocationList.fromBER(toArrayBuffer(der));
  } catch (error) {
    throw new PkiError('invalid_input', 'The CRL is not a valid X.509 CRL.', { cause: error });
  }
}

export interface CrlEntryStatus {
  revoked: boolean;
  time?: Date;
  reason?: CrlReason;
}

/** Whether `serialHex` is listed on the CRL, with time and reason. */
export function crlEntryFor(crl: pkijs.CertificateRevocationList, serialHex: string): CrlEntryStatus {
  const wanted = BigInt(`0x${serialHex}`);
  for (const entry of crl.revokedCertificates ?? []) {
    const serial = BigInt(`0x${toHex(entry.userCertificate.valueBlock.valueHexView) || '0'}`);
    if (serial !== wanted) continue;
    const reasonExt = entry.crlEntryExtensions?.extensions.find((e) => e.extnID === OID.crlReason);
    const reasonValue =
      reasonExt?.parsedValue instanceof asn1js.Enumerated ? reasonExt.parsedValue.valueBlock.valueDec : 0;
    return { revoked: true, time: entry.revocationDate.value, reason: reasonName(reasonValue) };
  }
  return { revoked: false };
}

export function crlNumberOf(crl: pkijs.CertificateRevocationList): bigint | null {
  const ext = crl.crlExtensions?.extensions.find((e) => e.extnID === OID.crlNumber);
  return ext?.parsedValue instanceof asn1js.Integer
    ? BigInt(`0x${toHex(ext.parsedValue.valueBlock.valueHexView) || '0'}`)
    : null;
}

/**
 * Checks that the CRL was issued and signed by `issuerCertificate`, still current at `at`
 * (nextUpdate not before it; a CRL issued after `at` is fine evidence about `at`) and
 * carries no unknown critical extension. Returns the
 * reason it is unusable, or null.
 */
export function crlProblem(
  crl: pkijs.CertificateRevocationList,
  issuerCertificate: pkijs.Certificate,
  at: Date,
): string | null {
  if (!crl.issuer.isEqual(issuerCertificate.subject)) return 'the CRL is from another issuer';
  const known: string[] = [OID.authorityKeyIdentifier, OID.crlNumber];
  if (crl.crlExtensions?.extensions.some((e) => e.critical && !known.includes(e.extnID))) {
    return 'the CRL has an unsupported critical extension';
  }
  let valid = false;
  try {
    valid = verifyWithAlgorithmIdentifier(
      publicKeyOf(issuerCertificate),
      crl.signatureAlgorithm,
      crl.tbsView,
      crl.signatureValue.valueBlock.valueHexView,
      'CRL signature',
    );
  } catch (error) {
    return error instanceof PkiError ? error.message : 'the CRL signature cannot be checked';
  }
  if (!valid) return 'the CRL signature does not verify with the issuer key';
  if (crl.nextUpdate && crl.nextUpdate.value.getTime() < at.getTime()) return 'the CRL is out of date';
  return null;
}
