/**
 * RFC 3161 time-stamp tokens: a CMS SignedData whose content is a TSTInfo. Building one (for
 * our TSA) and checking one (for our client, and for verifiers of embedded timestamps):
 * content type, message digest, ESS signing-certificate(-v2) binding, signature, and the
 * signer's certificate being a TSA certificate (critical timeStamping EKU only).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { certificateDer, parseCertificate, publicKeyOf, subjectKeyIdentifierOf } from '../crypto/certificate';
import { bytesEqual, toArrayBuffer, toHex } from '../crypto/encoding';
import { HASH_BY_OID, HASH_OID, NODE_HASH, OID } from '../crypto/oids';
import { checkHashAlgorithm } from '../crypto/policy';
import {
  digest,
  hashAlgorithmIdentifier,
  signatureAlgorithmIdentifier,
  verifyWithAlgorithmIdentifier,
} from '../crypto/signing';
import { PkiError, type PkiErrorCode } from '../errors';
import { checkKeyCertificate } from '../keys/certificate-checks';
import type { HashAlgorithm, Signer } from '../signer';

export interface TokenInput {
  signer: Signer;
  policy: string;
  hashAlgorithm: HashAlgorithm;
  hashedMessage: Uint8Array;
  nonce?: asn1js.Integer;
  /** Include the TSA certificate (and chain) in the token (the request's certReq). */
  includeCertificates: boolean;
  genTime: Date;
  accuracySeconds: number;
}

function attribute(type: string, value: asn1js.AsnType): pkijs.Attribute {
  return new pkijs.Attribute({ type, values: [value] });
}

/** ESS signing-certificate-v2 (RFC 5035) naming `certificate` by SHA-256 hash and issuer/serial. */
export function signingCertificateV2(certificateDer: Uint8Array): pkijs.Attribute {
  const cert = parseCertificate(certificateDer);
  const essCertIdV2 = new asn1js.Sequence({
    value: [
      // hashAlgorithm DEFAULT id-sha256 is omitted (DER).
      new asn1js.OctetString({ valueHex: createHash('sha256').update(certificateDer).digest() }),
      new asn1js.Sequence({
        value: [
          new asn1js.Sequence({
            value: [
              new asn1js.Constructed({
                idBlock: { tagClass: 3, tagNumber: 4 },
                value: [cert.issuer.toSchema()],
              }),
            ],
          }),
          new asn1js.Integer({ valueHex: cert.serialNumber.valueBlock.valueHexView }),
        ],
      }),
    ],
  });
  return attribute(
    OID.signingCertificateV2,
    new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] }),
  );
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Attributes in DER SET OF order, and the DER SET that is signed. */
export function derSignedAttributes(attributes: pkijs.Attribute[]): {
  sorted: pkijs.Attribute[];
  der: Uint8Array;
} {
  const encoded = attributes.map((a) => ({ a, der: new Uint8Array(a.toSchema().toBER(false)) }));
  encoded.sort((x, y) => compareBytes(x.der, y.der));
  const set = new asn1js.Set({ value: encoded.map((e) => e.a.toSchema()) });
  return { sorted: encoded.map((e) => e.a), der: new Uint8Array(set.toBER(false)) };
}

/** Certificates in DER SET OF order (sorted by encoding), so the token is canonical DER. */
function derSetOrder(certificates: pkijs.Certificate[]): pkijs.Certificate[] {
  return certificates
    .map((cert) => ({ cert, der: certificateDer(cert) }))
    .sort((a, b) => compareBytes(a.der, b.der))
    .map((entry) => entry.cert);
}

/** A positive random INTEGER of 128 bits: unique serials without shared state. */
export function randomSerialInteger(): asn1js.Integer {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return new asn1js.Integer({ valueHex: bytes });
}

/** What a TSA puts in every token, parsed once: its certificate, chain and ESS attribute. */
export interface TsaIdentity {
  certificate: pkijs.Certificate;
  chain: pkijs.Certificate[];
  signingCertificate: pkijs.Attribute;
}

export function tsaIdentity(signer: Signer): TsaIdentity {
  return {
    certificate: parseCertificate(signer.certificate, 'TSA certificate'),
    chain: signer.chain.map((c) => parseCertificate(c, 'TSA chain certificate')),
    signingCertificate: signingCertificateV2(signer.certificate),
  };
}

/**
 * The encapsulated TSTInfo with its content as a *primitive* OCTET STRING (DER). pkijs's
 * constructor would turn it into a constructed (BER) one, which OpenSSL and pdfsig accept
 * but asn1crypto (pyHanko) rejects; assigning after construction keeps it primitive.
 */
function encapsulatedTstInfo(content: Uint8Array): pkijs.EncapsulatedContentInfo {
  const info = new pkijs.EncapsulatedContentInfo({ eContentType: OID.tstInfo });
  info.eContent = new asn1js.OctetString({ valueHex: content });
  return info;
}

/** Builds and signs a TimeStampToken; returns the ContentInfo as an ASN.1 value. */
export async function buildTimestampTokenSchema(
  input: TokenInput,
  identity = tsaIdentity(input.signer),
): Promise<asn1js.Sequence> {
  const tsaCert = identity.certificate;
  const tstInfo = new pkijs.TSTInfo({
    version: 1,
    policy: input.policy,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: hashAlgorithmIdentifier(input.hashAlgorithm),
      hashedMessage: new asn1js.OctetString({ valueHex: input.hashedMessage }),
    }),
    serialNumber: randomSerialInteger(),
    genTime: input.genTime,
    accuracy: new pkijs.Accuracy({ seconds: input.accuracySeconds }),
    ...(input.nonce ? { nonce: input.nonce } : {}),
    tsa: new pkijs.GeneralName({ type: 4, value: tsaCert.subject }),
  });
  const content = new Uint8Array(tstInfo.toSchema().toBER(false));
  const signerHash = input.signer.hashAlgorithm;
  const { sorted, der } = derSignedAttributes([
    attribute(OID.contentType, new asn1js.ObjectIdentifier({ value: OID.tstInfo })),
    attribute(OID.messageDigest, new asn1js.OctetString({ valueHex: digest(signerHash, content) })),
    identity.signingCertificate,
  ]);
  const signature = await input.signer.sign(der);
  const signedData = new pkijs.SignedData({
    version: 3,
    digestAlgorithms: [hashAlgorithmIdentifier(signerHash)],
    encapContentInfo: encapsulatedTstInfo(content),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: tsaCert.issuer, serialNumber: tsaCert.serialNumber }),
        digestAlgorithm: hashAlgorithmIdentifier(signerHash),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: sorted }),
        signatureAlgorithm: signatureAlgorithmIdentifier(input.signer.keyAlgorithm, signerHash),
        signature: new asn1js.OctetString({ valueHex: signature }),
      }),
    ],
    ...(input.includeCertificates ? { certificates: derSetOrder([tsaCert, ...identity.chain]) } : {}),
  });
  return new pkijs.ContentInfo({
    contentType: OID.signedData,
    content: signedData.toSchema(true),
  }).toSchema();
}

/** Builds and signs a TimeStampToken (ContentInfo DER). */
export async function buildTimestampToken(input: TokenInput, identity?: TsaIdentity): Promise<Uint8Array> {
  return new Uint8Array((await buildTimestampTokenSchema(input, identity)).toBER(false));
}

// ------------------------------------------------------------------ checking

export interface TimestampTokenInfo {
  genTime: Date;
  /** Hex serial number of the token. */
  serial: string;
  policy: string;
  hashAlgorithm: HashAlgorithm;
  hashedMessage: Uint8Array;
  nonce: bigint | null;
  /** DER of the TSA certificate that signed the token. */
  tsaCertificate: Uint8Array;
  /** Certificates carried in the token, DER. */
  certificates: Uint8Array[];
}

export interface TokenCheckOptions {
  /** The TSA certificate, when the token does not carry it (certReq false). */
  tsaCertificate?: Uint8Array;
  /** PkiError code for failures; tsa_unavailable unless given (verifiers may prefer another). */
  errorCode?: PkiErrorCode;
}

function integerToBigInt(value: asn1js.Integer): bigint {
  return BigInt(`0x${toHex(value.valueBlock.valueHexView) || '0'}`);
}

/** The certHash and hash name of the first ESSCertID(v2) in the signed attributes. */
function essCertHash(attributes: pkijs.Attribute[]): { hash: string; certHash: Uint8Array } | null {
  const v2 = attributes.find((a) => a.type === OID.signingCertificateV2);
  const v1 = attributes.find((a) => a.type === OID.signingCertificate);
  const attr = v2 ?? v1;
  const certs = (attr?.values[0] as asn1js.Sequence | undefined)?.valueBlock.value[0];
  const first = certs instanceof asn1js.Sequence ? certs.valueBlock.value[0] : undefined;
  if (!(first instanceof asn1js.Sequence)) return null;
  const parts = first.valueBlock.value;
  if (v2) {
    const hasAlg = parts[0] instanceof asn1js.Sequence;
    const algOid = hasAlg ? (parts[0] as asn1js.Sequence).valueBlock.value[0] : undefined;
    const hashOid = algOid instanceof asn1js.ObjectIdentifier ? algOid.valueBlock.toString() : OID.sha256;
    const value = parts[hasAlg ? 1 : 0];
    if (!(value instanceof asn1js.OctetString)) return null;
    const name = HASH_BY_OID[hashOid];
    return name ? { hash: name, certHash: value.valueBlock.valueHexView } : null;
  }
  const value = parts[0];
  return value instanceof asn1js.OctetString
    ? { hash: 'SHA-1', certHash: value.valueBlock.valueHexView }
    : null;
}

/**
 * Checks a TimeStampToken (ContentInfo DER) and returns what it attests. Does not validate
 * the TSA's chain to a trust anchor — that is the trust store's job (pki/trust).
 */
export function checkTimestampToken(
  tokenDer: Uint8Array,
  options: TokenCheckOptions = {},
): TimestampTokenInfo {
  const code = options.errorCode ?? 'tsa_unavailable';
  const fail = (detail: string) => new PkiError(code, `The timestamp token ${detail}.`);
  let signedData: pkijs.SignedData;
  try {
    const info = pkijs.ContentInfo.fromBER(toArrayBuffer(tokenDer));
    if (info.contentType !== OID.signedData) throw new Error('not signed data');
    signedData = new pkijs.SignedData({ schema: info.content });
  } catch {
    throw fail('is not a CMS SignedData structure');
  }
  if (signedData.encapContentInfo.eContentType !== OID.tstInfo) throw fail('does not contain a TSTInfo');
  const eContent = signedData.encapContentInfo.eContent;
  if (!eContent) throw fail('has no content');
  const content = eContent.idBlock.isConstructed
    ? new Uint8Array(
        Buffer.concat(
          eContent.valueBlock.value.map((v) =>
            Buffer.from((v as asn1js.OctetString).valueBlock.valueHexView),
          ),
        ),
      )
    : eContent.valueBlock.valueHexView;
  let tstInfo: pkijs.TSTInfo;
  try {
    tstInfo = pkijs.TSTInfo.fromBER(toArrayBuffer(content));
  } catch {
    throw fail('carries an unreadable TSTInfo');
  }
  if (signedData.signerInfos.length !== 1) throw fail('must have exactly one signer');
  const signerInfo = signedData.signerInfos[0]!;

  const certificates = (signedData.certificates ?? []).filter(
    (c): c is pkijs.Certificate => c instanceof pkijs.Certificate,
  );
  const pool = [...certificates];
  if (options.tsaCertificate) pool.push(parseCertificate(options.tsaCertificate, 'TSA certificate'));
  const sid = signerInfo.sid;
  const tsaCert = pool.find((cert) => {
    if (sid instanceof pkijs.IssuerAndSerialNumber) {
      return cert.issuer.isEqual(sid.issuer) && cert.serialNumber.isEqual(sid.serialNumber);
    }
    const ski = subjectKeyIdentifierOf(cert);
    const sidBytes = (sid as asn1js.Constructed | asn1js.Primitive | undefined)?.valueBlock as
      | { valueHexView?: Uint8Array; value?: asn1js.AsnType[] }
      | undefined;
    const keyId =
      sidBytes?.valueHexView ??
      (sidBytes?.value?.[0] as asn1js.OctetString | undefined)?.valueBlock.valueHexView;
    return ski !== null && keyId !== undefined && bytesEqual(ski, keyId);
  });
  if (!tsaCert) throw fail('does not carry the certificate of its signer');
  const tsaDer = new Uint8Array(tsaCert.toSchema().toBER(false));

  // Signed attributes: content type, message digest, and the ESS binding to the TSA certificate.
  const attrs = signerInfo.signedAttrs?.attributes;
  if (!attrs || !signerInfo.signedAttrs) throw fail('has no signed attributes');
  const contentType = attrs.find((a) => a.type === OID.contentType)?.values[0];
  if (
    !(contentType instanceof asn1js.ObjectIdentifier) ||
    contentType.valueBlock.toString() !== OID.tstInfo
  ) {
    throw fail('has a wrong content-type attribute');
  }
  let digestName: HashAlgorithm;
  try {
    digestName = checkHashAlgorithm(signerInfo.digestAlgorithm.algorithmId, 'timestamp digest');
  } catch (error) {
    throw fail(`uses a refused digest (${error instanceof Error ? error.message : 'unknown'})`);
  }
  const messageDigest = attrs.find((a) => a.type === OID.messageDigest)?.values[0];
  if (
    !(messageDigest instanceof asn1js.OctetString) ||
    !bytesEqual(messageDigest.valueBlock.valueHexView, digest(digestName, content))
  ) {
    throw fail('content does not match its message digest');
  }
  const ess = essCertHash(attrs);
  if (!ess) throw fail('lacks the signing-certificate attribute');
  const essHash = ess.hash === 'SHA-1' ? 'sha1' : NODE_HASH[ess.hash as HashAlgorithm];
  if (!essHash || !bytesEqual(new Uint8Array(createHash(essHash).update(tsaDer).digest()), ess.certHash)) {
    throw fail('signing-certificate attribute does not name the signer certificate');
  }
  const signedBytes = new Uint8Array(signerInfo.signedAttrs.encodedValue.slice(0));
  signedBytes[0] = 0x31;
  let valid = false;
  try {
    const algorithm =
      signerInfo.signatureAlgorithm.algorithmId === OID.rsaEncryption
        ? signatureAlgorithmIdentifier('RSA', digestName)
        : signerInfo.signatureAlgorithm;
    valid = verifyWithAlgorithmIdentifier(
      publicKeyOf(tsaCert),
      algorithm,
      signedBytes,
      signerInfo.signature.valueBlock.valueHexView,
      'timestamp signature',
    );
  } catch (error) {
    throw fail(`signature uses a refused algorithm (${error instanceof Error ? error.message : 'unknown'})`);
  }
  if (!valid) throw fail('signature does not verify');
  try {
    checkKeyCertificate(tsaCert, { purpose: 'timestamp', at: tstInfo.genTime });
  } catch (error) {
    throw fail(
      `was signed by an unsuitable certificate: ${error instanceof Error ? error.message : 'unknown'}`,
    );
  }

  const imprintHash = HASH_BY_OID[tstInfo.messageImprint.hashAlgorithm.algorithmId];
  if (!imprintHash || !(imprintHash in HASH_OID)) throw fail('imprints with a refused hash algorithm');
  return {
    genTime: tstInfo.genTime,
    serial: toHex(tstInfo.serialNumber.valueBlock.valueHexView).replace(/^0+/, '') || '0',
    policy: tstInfo.policy,
    hashAlgorithm: imprintHash as HashAlgorithm,
    hashedMessage: tstInfo.messageImprint.hashedMessage.valueBlock.valueHexView.slice(),
    nonce: tstInfo.nonce ? integerToBigInt(tstInfo.nonce) : null,
    tsaCertificate: tsaDer,
    certificates: certificates.map((c) => new Uint8Array(c.toSchema().toBER(false))),
  };
}
