/**
 * CMS SignedData for PAdES (RFC 5652, ETSI EN 319 122-1 baseline): detached, with the
 * signed attributes contentType, messageDigest and signing-certificate-v2 (RFC 5035) and
 * deliberately no signing-time (PAdES puts the claimed time in the signature
 * dictionary's /M). The certificates are the signer's and its chain; a signature
 * timestamp (RFC 3161 token over the signature value) goes in the unsigned attributes.
 *
 * Built in two steps so the signature value can come from anywhere (software key, token,
 * remote service): `signedAttributes()` gives the DER to sign, `assembleSignedData()`
 * puts the value and the rest together.
 */
import { createHash } from 'node:crypto';
import { PkiError } from '../errors';
import type { HashAlgorithm, KeyAlgorithm, Signer } from '../signer';
import { CMS_OID, digestAlgorithmIdentifier, NODE_HASHES, signatureAlgorithmIdentifier } from './algorithms';
import {
  bytesOf,
  children,
  contextConstructed,
  type Der,
  octetString,
  oid,
  readElement,
  retag,
  sequence,
  set,
  setOf,
  smallInteger,
  tlv,
} from './der';

/** The parts of a certificate a SignerInfo refers to, taken from its DER. */
export interface CertificateReference {
  der: Uint8Array;
  /** DER Name of the issuer. */
  issuer: Uint8Array;
  /** DER INTEGER of the serial number. */
  serialNumber: Uint8Array;
}

/** Cached by the identity of the DER bytes (a Signer keeps the same array for every call). */
const references = new WeakMap<Uint8Array, CertificateReference>();

export function certificateReference(der: Uint8Array): CertificateReference {
  let ref = references.get(der);
  if (ref) return ref;
  try {
    const cert = readElement(der, 0);
    if (cert.tag !== 0x30 || cert.end !== der.length) throw new Error('not a SEQUENCE');
    const tbs = children(der, cert)[0];
    if (tbs?.tag !== 0x30) throw new Error('no TBSCertificate');
    const fields = children(der, tbs);
    const first = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version is optional
    const serial = fields[first];
    const issuer = fields[first + 2];
    if (serial?.tag !== 0x02 || issuer?.tag !== 0x30) throw new Error('no serial or issuer');
    ref = { der, issuer: bytesOf(der, issuer), serialNumber: bytesOf(der, serial) };
  } catch (error) {
    throw new PkiError('invalid_input', 'A certificate is not valid DER.', { cause: error });
  }
  references.set(der, ref);
  return ref;
}

export interface SignedAttributesInput {
  /** Digest of the signed content (for PAdES: the /ByteRange bytes). */
  messageDigest: Uint8Array;
  hashAlgorithm: HashAlgorithm;
  /** DER of the signer's certificate, referenced by signing-certificate-v2. */
  certificate: Uint8Array;
}

const essCache = new WeakMap<Uint8Array, Der>();

/** The signed attributes as the DER `SET OF Attribute` that the signature is computed over. */
export function signedAttributes(input: SignedAttributesInput): Uint8Array {
  let ess = essCache.get(input.certificate);
  if (!ess) {
    ess = attribute(CMS_OID.signingCertificateV2, signingCertificateV2(input.certificate));
    essCache.set(input.certificate, ess);
  }
  return setOf([
    attribute(CMS_OID.contentType, oid(CMS_OID.data)),
    attribute(CMS_OID.messageDigest, octetString(input.messageDigest)),
    ess,
  ]);
}

/**
 * SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 } with one ESSCertIDv2:
 * SHA-256 of the certificate (the default hashAlgorithm, so omitted in DER) and
 * issuerSerial { GeneralNames { directoryName issuer }, serialNumber }, which ETSI
 * baseline signatures should carry.
 */
function signingCertificateV2(der: Uint8Array): Der {
  const ref = certificateReference(der);
  const certHash = createHash('sha256').update(der).digest();
  const issuerSerial = sequence(sequence(contextConstructed(4, ref.issuer)), ref.serialNumber);
  return sequence(sequence(sequence(octetString(certHash), issuerSerial)));
}

function attribute(type: string, value: Der): Der {
  return sequence(oid(type), set(value));
}

export interface SignedDataInput {
  /** DER SET of the signed attributes, exactly as signed. */
  signedAttributes: Uint8Array;
  /** Signature value over `signedAttributes` (PKCS#1 v1.5, PSS, or DER ECDSA-Sig-Value). */
  signature: Uint8Array;
  keyAlgorithm: KeyAlgorithm;
  hashAlgorithm: HashAlgorithm;
  certificate: Uint8Array;
  /** Intermediates (and optionally the root), nearest first. */
  chain: readonly Uint8Array[];
  /** RFC 3161 TimeStampToken over the signature value: the PAdES B-T signature timestamp. */
  timestampToken?: Uint8Array;
}

/** DER ContentInfo holding the detached SignedData. */
export function assembleSignedData(input: SignedDataInput): Uint8Array {
  const cert = certificateReference(input.certificate);
  if (input.signedAttributes[0] !== 0x31)
    throw new PkiError('invalid_input', 'The signed attributes are not a DER SET.');
  const signerInfoParts: Der[] = [
    smallInteger(1),
    sequence(cert.issuer, cert.serialNumber),
    digestAlgorithmIdentifier(input.hashAlgorithm),
    retag(input.signedAttributes, 0xa0),
    signatureAlgorithmIdentifier(input.keyAlgorithm, input.hashAlgorithm),
    octetString(input.signature),
  ];
  if (input.timestampToken) {
    const token = input.timestampToken;
    try {
      const e = readElement(token, 0);
      if (e.tag !== 0x30 || e.end !== token.length) throw new Error('trailing data');
    } catch (error) {
      throw new PkiError('tsa_unavailable', 'The timestamp token is not valid DER.', { cause: error });
    }
    signerInfoParts.push(contextConstructed(1, attribute(CMS_OID.signatureTimeStampToken, token)));
  }
  for (const c of input.chain) certificateReference(c); // refuse malformed chain certificates early
  const signedData = sequence(
    smallInteger(1),
    set(digestAlgorithmIdentifier(input.hashAlgorithm)),
    sequence(oid(CMS_OID.data)),
    tlv(0xa0, input.certificate, ...input.chain),
    set(sequence(...signerInfoParts)),
  );
  return sequence(oid(CMS_OID.signedData), contextConstructed(0, signedData));
}

/** Hash of `data` with a CMS hash algorithm. */
export function hash(algorithm: HashAlgorithm, data: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const h = createHash(NODE_HASHES[algorithm]);
  if (data instanceof Uint8Array) h.update(data);
  else for (const part of data) h.update(part);
  return new Uint8Array(h.digest());
}

export interface CmsSignatureInput {
  signer: Signer;
  /** Digest of the signed content with `signer.hashAlgorithm`. */
  messageDigest: Uint8Array;
  /** Fetches the signature timestamp for this signature value (B-T); absent for B-B. */
  timestamp?: (signatureValue: Uint8Array) => Promise<Uint8Array>;
}

/** Signs the attributes with a Signer and assembles the SignedData (with its timestamp when asked). */
export async function createCmsSignature(input: CmsSignatureInput): Promise<Uint8Array> {
  const { signer } = input;
  const attrs = signedAttributes({
    messageDigest: input.messageDigest,
    hashAlgorithm: signer.hashAlgorithm,
    certificate: signer.certificate,
  });
  const signature = await signer.sign(attrs);
  const timestampToken = input.timestamp ? await input.timestamp(signature) : undefined;
  return assembleSignedData({
    signedAttributes: attrs,
    signature,
    keyAlgorithm: signer.keyAlgorithm,
    hashAlgorithm: signer.hashAlgorithm,
    certificate: signer.certificate,
    chain: signer.chain,
    timestampToken,
  });
}
