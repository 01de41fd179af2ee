/**
 * Pieces of RFC 6960 shared by the OCSP responder and client: CertID hashing, the status
 * values, and reading a SingleResponse's status.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { HASH_BY_OID, OID } from '../crypto/oids';
import { type CrlReason, reasonName } from './crl';

/** CertID hashes we compute. SHA-1 is RFC 6960's default for CertID, a lookup key, not a signature. */
export const CERT_ID_HASHES: Readonly<Record<string, string>> = {
  [OID.sha1]: 'sha1',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

export const OCSP_RESPONSE_STATUS = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;
export type OcspResponseStatus = keyof typeof OCSP_RESPONSE_STATUS;

export function responseStatusName(value: number): string {
  return Object.entries(OCSP_RESPONSE_STATUS).find(([, v]) => v === value)?.[0] ?? `status ${value}`;
}

/** The two CertID hashes of an issuer: over its subject name DER and its public key bits. */
export function issuerHashes(
  issuer: pkijs.Certificate,
  hashOid: string,
): { nameHash: Uint8Array; keyHash: Uint8Array } | null {
  const algorithm = CERT_ID_HASHES[hashOid];
  if (!algorithm) return null;
  const nameDer = new Uint8Array(issuer.subject.toSchema().toBER(false));
  const keyBits = issuer.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
  return {
    nameHash: new Uint8Array(createHash(algorithm).update(nameDer).digest()),
    keyHash: new Uint8Array(createHash(algorithm).update(keyBits).digest()),
  };
}

export function certIdFor(
  certificate: pkijs.Certificate,
  issuer: pkijs.Certificate,
  hashOid: string = OID.sha1,
): pkijs.CertID {
  const hashes = issuerHashes(issuer, hashOid);
  if (!hashes) throw new Error(`Unsupported CertID hash ${hashOid}`);
  return new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: hashOid,
      algorithmParams: new asn1js.Null(),
    }),
    issuerNameHash: new asn1js.OctetString({ valueHex: hashes.nameHash }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: hashes.keyHash }),
    serialNumber: new asn1js.Integer({ valueHex: certificate.serialNumber.valueBlock.valueHexView }),
  });
}

export type CertificateStatus =
  | { status: 'good' }
  | { status: 'revoked'; time: Date; reason: CrlReason }
  | { status: 'unknown' };

/** certStatus CHOICE → our status value. */
export function readCertStatus(node: unknown): CertificateStatus {
  if (!(node instanceof asn1js.BaseBlock)) return { status: 'unknown' };
  const tag = node.idBlock.tagNumber;
  if (node.idBlock.tagClass !== 3) return { status: 'unknown' };
  if (tag === 0) return { status: 'good' };
  if (tag === 1) {
    const value = (node as asn1js.Constructed).valueBlock.value ?? [];
    const timeNode = value[0];
    const time = timeNode instanceof asn1js.GeneralizedTime ? timeNode.toDate() : new Date(Number.NaN);
    const reasonNode = value[1] instanceof asn1js.Constructed ? value[1].valueBlock.value[0] : undefined;
    const reason =
      reasonNode instanceof asn1js.Enumerated ? reasonName(reasonNode.valueBlock.valueDec) : 'unspecified';
    return { status: 'revoked', time, reason };
  }
  return { status: 'unknown' };
}

export function hashNameOfCertId(certId: pkijs.CertID): string {
  return HASH_BY_OID[certId.hashAlgorithm.algorithmId] ?? certId.hashAlgorithm.algorithmId;
}
