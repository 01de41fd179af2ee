/**
 * Reading X.509 certificates: parse PEM/DER into pkijs objects and answer the questions the
 * other modules ask (public key, serial, names, key usages, URLs, key identifiers) without
 * each of them walking ASN.1 on its own.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { PkiError } from '../errors';
import { isPem, pemBlocks, toArrayBuffer, toDer, toHex } from './encoding';
import { OID } from './oids';

/**
 * DER of each certificate we parsed, kept beside the object: re-encoding a pkijs
 * certificate re-parses its TBS, which dominated chain validation. Parsed certificates are
 * never mutated in this library.
 */
const parsedDer = new WeakMap<pkijs.Certificate, Uint8Array>();

/** Length of the DER element at the start of `bytes` (header + content), or -1. */
function outerLength(bytes: Uint8Array): number {
  const first = bytes[1];
  if (bytes.length < 2 || first === undefined) return -1;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 4 || bytes.length < 2 + count) return -1;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + (bytes[2 + i] ?? 0);
  return 2 + count + length;
}

/** Parses one certificate from PEM or DER. */
export function parseCertificate(input: Uint8Array | string, what = 'certificate'): pkijs.Certificate {
  const der = toDer(input, ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'], what);
  let cert: pkijs.Certificate;
  try {
    cert = pkijs.Certificate.fromBER(toArrayBuffer(der));
  } catch (error) {
    throw new PkiError('invalid_input', `The ${what} is not a valid X.509 certificate.`, { cause: error });
  }
  const length = outerLength(der);
  if (der[0] === 0x30 && length > 0 && length <= der.length) parsedDer.set(cert, der.slice(0, length));
  return cert;
}

/** Every certificate in a PEM bundle (or the single DER certificate). */
export function parseCertificates(input: Uint8Array | string, what = 'certificate file'): Uint8Array[] {
  if (!isPem(input)) {
    if (typeof input === 'string') throw new PkiError('invalid_input', `The ${what} is neither PEM nor DER.`);
    return [certificateDer(parseCertificate(input, what))];
  }
  const blocks = pemBlocks(input).filter((b) => b.label === 'CERTIFICATE' || b.label === 'X509 CERTIFICATE');
  if (blocks.length === 0) throw new PkiError('invalid_input', `No certificate found in the ${what}.`);
  return blocks.map((b) => certificateDer(parseCertificate(b.der, what)));
}

export function certificateDer(cert: pkijs.Certificate): Uint8Array {
  const known = parsedDer.get(cert);
  if (known) return known.slice();
  const der = new Uint8Array(cert.toSchema().toBER(false));
  parsedDer.set(cert, der);
  return der.slice();
}

/** DER of the SubjectPublicKeyInfo. */
export function subjectPublicKeyInfoDer(cert: pkijs.Certificate): Uint8Array {
  return new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER(false));
}

export function publicKeyOf(cert: pkijs.Certificate): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(subjectPublicKeyInfoDer(cert)), format: 'der', type: 'spki' });
  } catch (error) {
    throw new PkiError('invalid_input', 'The certificate carries a public key that cannot be read.', {
      cause: error,
    });
  }
}

/** Serial number as lower-case hex without leading zeros (as we store it). */
export function serialHexOf(cert: pkijs.Certificate): string {
  const hex = toHex(cert.serialNumber.valueBlock.valueHexView).replace(/^0+/, '');
  return hex.length === 0 ? '0' : hex;
}

const NAME_LABELS: Readonly<Record<string, string>> = {
  [OID.commonName]: 'CN',
  [OID.surname]: 'SN',
  [OID.serialNumber]: 'serialNumber',
  [OID.countryName]: 'C',
  [OID.localityName]: 'L',
  [OID.stateOrProvinceName]: 'ST',
  [OID.organizationName]: 'O',
  [OID.organizationalUnitName]: 'OU',
  [OID.title]: 'title',
  [OID.givenName]: 'GN',
  [OID.organizationIdentifier]: 'organizationIdentifier',
  [OID.emailAddress]: 'emailAddress',
  [OID.userId]: 'UID',
};

/** The attribute values of a name, by short label (CN, O, OU, C, UID, emailAddress …). */
export function nameAttributes(
  name: pkijs.RelativeDistinguishedNames,
): Array<{ type: string; value: string }> {
  return name.typesAndValues.map((tv) => ({
    type: NAME_LABELS[tv.type] ?? tv.type,
    value: String(tv.value.valueBlock.value),
  }));
}

/** One-line rendering in the order of the certificate: "CN=…, O=…, C=VN". */
export function describeName(name: pkijs.RelativeDistinguishedNames): string {
  return nameAttributes(name)
    .map((a) => `${a.type}=${a.value}`)
    .join(', ');
}

export function commonNameOf(name: pkijs.RelativeDistinguishedNames): string | null {
  return nameAttributes(name).find((a) => a.type === 'CN')?.value ?? null;
}

export function findExtension(cert: pkijs.Certificate, oid: string): pkijs.Extension | undefined {
  return cert.extensions?.find((e) => e.extnID === oid);
}

export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

const KEY_USAGE_BITS: readonly KeyUsageName[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

/** Key usages named in the certificate, or null when it has no keyUsage extension. */
export function keyUsagesOf(cert: pkijs.Certificate): Set<KeyUsageName> | null {
  const ext = findExtension(cert, OID.keyUsage);
  if (!ext) return null;
  const bits = ext.parsedValue instanceof asn1js.BitString ? ext.parsedValue.valueBlock.valueHexView : null;
  if (!bits)
    throw new PkiError('invalid_input', 'The certificate has a keyUsage extension that cannot be read.');
  const usages = new Set<KeyUsageName>();
  KEY_USAGE_BITS.forEach((name, index) => {
    const byte = bits[index >> 3] ?? 0;
    if (byte & (0x80 >> (index & 7))) usages.add(name);
  });
  return usages;
}

/** Extended key usage OIDs, or null when the certificate has no EKU extension. */
export function extendedKeyUsagesOf(cert: pkijs.Certificate): { oids: string[]; critical: boolean } | null {
  const ext = findExtension(cert, OID.extKeyUsage);
  if (!ext) return null;
  if (!(ext.parsedValue instanceof pkijs.ExtKeyUsage)) {
    throw new PkiError(
      'invalid_input',
      'The certificate has an extendedKeyUsage extension that cannot be read.',
    );
  }
  return { oids: [...ext.parsedValue.keyPurposes], critical: ext.critical };
}

export function isCaCertificate(cert: pkijs.Certificate): boolean {
  const ext = findExtension(cert, OID.basicConstraints);
  return ext?.parsedValue instanceof pkijs.BasicConstraints && ext.parsedValue.cA === true;
}

export function isSelfIssued(cert: pkijs.Certificate): boolean {
  return cert.subject.isEqual(cert.issuer);
}

export function subjectKeyIdentifierOf(cert: pkijs.Certificate): Uint8Array | null {
  const ext = findExtension(cert, OID.subjectKeyIdentifier);
  return ext?.parsedValue instanceof asn1js.OctetString
    ? ext.parsedValue.valueBlock.valueHexView.slice()
    : null;
}

export function authorityKeyIdentifierOf(cert: pkijs.Certificate): Uint8Array | null {
  const ext = findExtension(cert, OID.authorityKeyIdentifier);
  const keyId =
    ext?.parsedValue instanceof pkijs.AuthorityKeyIdentifier ? ext.parsedValue.keyIdentifier : undefined;
  return keyId ? keyId.valueBlock.valueHexView.slice() : null;
}

function uriOf(name: pkijs.GeneralName): string | null {
  return name.type === 6 && typeof name.value === 'string' ? name.value : null;
}

/** URLs from the authorityInfoAccess extension with the given access method. */
export function accessUrlsOf(cert: pkijs.Certificate, method: string): string[] {
  const ext = findExtension(cert, OID.authorityInfoAccess);
  if (!(ext?.parsedValue instanceof pkijs.InfoAccess)) return [];
  return ext.parsedValue.accessDescriptions
    .filter((d) => d.accessMethod === method)
    .map((d) => uriOf(d.accessLocation))
    .filter((u): u is string => u !== null);
}

export function ocspUrlsOf(cert: pkijs.Certificate): string[] {
  return accessUrlsOf(cert, OID.adOcsp);
}

export function caIssuersUrlsOf(cert: pkijs.Certificate): string[] {
  return accessUrlsOf(cert, OID.adCaIssuers);
}

/** Full-name URIs of the CRL distribution points. */
export function crlUrlsOf(cert: pkijs.Certificate): string[] {
  const ext = findExtension(cert, OID.crlDistributionPoints);
  if (!(ext?.parsedValue instanceof pkijs.CRLDistributionPoints)) return [];
  const urls: string[] = [];
  for (const point of ext.parsedValue.distributionPoints) {
    const names = Array.isArray(point.distributionPoint) ? point.distributionPoint : [];
    for (const name of names) {
      const uri = uriOf(name);
      if (uri) urls.push(uri);
    }
  }
  return urls;
}

/** The certificate's validity window. */
export function validityOf(cert: pkijs.Certificate): { notBefore: Date; notAfter: Date } {
  return { notBefore: cert.notBefore.value, notAfter: cert.notAfter.value };
}

/** Short summary for reports and CLI output. */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
}

export function summariseCertificate(cert: pkijs.Certificate): CertificateSummary {
  return {
    subject: describeName(cert.subject),
    issuer: describeName(cert.issuer),
    serial: serialHexOf(cert),
    notBefore: cert.notBefore.value.toISOString(),
    notAfter: cert.notAfter.value.toISOString(),
  };
}
