/**
 * Builds and signs X.509 v3 certificates for each profile our CA issues. The profile decides
 * the extensions; everything else (names, key, serial, validity, URLs) is handed in, so the
 * RFC 5280 details live in this one file.
 *
 * Profiles:
 *  - root     CA:TRUE (critical), keyCertSign+cRLSign (critical), SKI
 *  - issuing  CA:TRUE pathlen 0, keyCertSign+cRLSign, SKI, AKI, CDP, AIA
 *  - person   CA:FALSE, digitalSignature+nonRepudiation (critical), SKI, AKI, CDP, AIA, SAN e-mail
 *  - seal     as person; the subject names the organisation
 *  - ocsp     digitalSignature, EKU id-kp-OCSPSigning, id-pkix-ocsp-nocheck, SKI, AKI, CDP, AIA
 *  - tsa      digitalSignature, EKU id-kp-timeStamping only and critical (RFC 3161 §2.3)
 */
import { createHash, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { certificateDer, subjectKeyIdentifierOf } from '../crypto/certificate';
import { toArrayBuffer } from '../crypto/encoding';
import { spkiOf } from '../crypto/keys';
import { OID } from '../crypto/oids';
import { signTbs } from '../crypto/signing';
import { PkiError } from '../errors';
import type { Signer } from '../signer';

export type CertificateProfile = 'root' | 'issuing' | 'person' | 'seal' | 'ocsp' | 'tsa';
export const END_ENTITY_PROFILES = ['person', 'seal', 'ocsp', 'tsa'] as const;
export type EndEntityProfile = (typeof END_ENTITY_PROFILES)[number];

/** Where relying parties find the issuer's CRL, OCSP responder and certificate. */
export interface IssuerUrls {
  crl: string;
  ocsp: string | null;
  caIssuers: string;
}

export interface CertificateTemplate {
  profile: CertificateProfile;
  subject: pkijs.RelativeDistinguishedNames;
  publicKey: KeyObject;
  serial: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** Null for a self-signed root. */
  issuerCertificate: pkijs.Certificate | null;
  issuerSigner: Signer;
  urls: IssuerUrls | null;
  email?: string;
}

const KEY_USAGE_BIT: Readonly<Record<string, number>> = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  keyCertSign: 5,
  cRLSign: 6,
};

function keyUsage(names: readonly string[]): asn1js.BitString {
  const bits = names.map((n) => KEY_USAGE_BIT[n] ?? -1);
  if (bits.includes(-1)) throw new PkiError('internal', 'Unknown key usage in a certificate profile.');
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  return new asn1js.BitString({ valueHex: bytes, unusedBits: 7 - (highest % 8) });
}

function extension(
  extnID: string,
  critical: boolean,
  value: { toSchema(): asn1js.AsnType } | asn1js.AsnType,
) {
  const schema = 'toSchema' in value && typeof value.toSchema === 'function' ? value.toSchema() : value;
  return new pkijs.Extension({
    extnID,
    critical,
    extnValue: (schema as asn1js.AsnType).toBER(false),
  });
}

/** RFC 7093 method 1: the leftmost 160 bits of SHA-256 over the subjectPublicKey bits. */
export function keyIdentifierFor(publicKey: KeyObject): Uint8Array {
  const info = pkijs.PublicKeyInfo.fromBER(toArrayBuffer(spkiOf(publicKey)));
  const bits = info.subjectPublicKey.valueBlock.valueHexView;
  return new Uint8Array(createHash('sha256').update(bits).digest()).subarray(0, 20);
}

function uri(value: string): pkijs.GeneralName {
  return new pkijs.GeneralName({ type: 6, value });
}

function profileExtensions(template: CertificateTemplate, keyId: Uint8Array): pkijs.Extension[] {
  const { profile, urls, issuerCertificate } = template;
  const isCa = profile === 'root' || profile === 'issuing';
  const extensions: pkijs.Extension[] = [];
  extensions.push(
    extension(
      OID.basicConstraints,
      true,
      new pkijs.BasicConstraints(profile === 'issuing' ? { cA: true, pathLenConstraint: 0 } : { cA: isCa }),
    ),
  );
  const usages: Record<CertificateProfile, string[]> = {
    root: ['keyCertSign', 'cRLSign'],
    issuing: ['keyCertSign', 'cRLSign'],
    person: ['digitalSignature', 'nonRepudiation'],
    seal: ['digitalSignature', 'nonRepudiation'],
    ocsp: ['digitalSignature'],
    tsa: ['digitalSignature'],
  };
  extensions.push(extension(OID.keyUsage, true, keyUsage(usages[profile])));
  if (profile === 'ocsp') {
    extensions.push(
      extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [OID.kpOcspSigning] })),
    );
    // RFC 6960 §4.2.2.2.1: relying parties need not check the responder's own revocation.
    extensions.push(extension(OID.ocspNoCheck, false, new asn1js.Null()));
  }
  if (profile === 'tsa') {
    extensions.push(
      extension(OID.extKeyUsage, true, new pkijs.ExtKeyUsage({ keyPurposes: [OID.kpTimeStamping] })),
    );
  }
  extensions.push(extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyId })));
  if (issuerCertificate) {
    const authorityKeyId = subjectKeyIdentifierOf(issuerCertificate);
    if (!authorityKeyId)
      throw new PkiError('internal', 'The issuing CA certificate has no subject key identifier.');
    extensions.push(
      extension(
        OID.authorityKeyIdentifier,
        false,
        new pkijs.AuthorityKeyIdentifier({
          keyIdentifier: new asn1js.OctetString({ valueHex: authorityKeyId }),
        }),
      ),
    );
  }
  if (urls) {
    extensions.push(
      extension(
        OID.crlDistributionPoints,
        false,
        new pkijs.CRLDistributionPoints({
          distributionPoints: [new pkijs.DistributionPoint({ distributionPoint: [uri(urls.crl)] })],
        }),
      ),
    );
    const access = [];
    if (urls.ocsp)
      access.push(new pkijs.AccessDescription({ accessMethod: OID.adOcsp, accessLocation: uri(urls.ocsp) }));
    access.push(
      new pkijs.AccessDescription({ accessMethod: OID.adCaIssuers, accessLocation: uri(urls.caIssuers) }),
    );
    extensions.push(
      extension(OID.authorityInfoAccess, false, new pkijs.InfoAccess({ accessDescriptions: access })),
    );
  }
  if (template.email) {
    extensions.push(
      extension(
        OID.subjectAltName,
        false,
        new pkijs.AltName({ altNames: [new pkijs.GeneralName({ type: 1, value: template.email })] }),
      ),
    );
  }
  return extensions;
}

/** Builds, signs and returns the DER of a certificate. */
export async function buildCertificate(template: CertificateTemplate): Promise<Uint8Array> {
  if (template.notAfter.getTime() <= template.notBefore.getTime()) {
    throw new PkiError('invalid_input', 'A certificate must end after it begins.');
  }
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: template.serial });
  cert.issuer = template.issuerCertificate ? template.issuerCertificate.subject : template.subject;
  cert.subject = template.subject;
  cert.notBefore = new pkijs.Time({
    type: template.notBefore.getUTCFullYear() < 2050 ? 0 : 1,
    value: template.notBefore,
  });
  cert.notAfter = new pkijs.Time({
    type: template.notAfter.getUTCFullYear() < 2050 ? 0 : 1,
    value: template.notAfter,
  });
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(toArrayBuffer(spkiOf(template.publicKey)));
  const keyId = keyIdentifierFor(template.publicKey);
  cert.extensions = profileExtensions(template, keyId);
  await signTbs(cert, template.issuerSigner);
  return certificateDer(cert);
}

/** A positive serial of 128 random bits (RFC 5280 allows up to 20 octets; CAB BR wants ≥ 64). */
export function randomSerial(): Uint8Array {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40; // positive, and never a shorter encoding
  return bytes;
}
