/**
 * Signature primitives shared by every signing path: the AlgorithmIdentifier for a
 * (key, hash) pair, signing with a Node KeyObject, verifying a signature value against a
 * public key, ECDSA value conversions, and signing pkijs TBS structures (certificates, CRLs,
 * OCSP responses) with any Signer — so a CA key can live in software or in a token alike.
 */
import { constants, createHash, type KeyObject, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { PkiError } from '../errors';
import type { HashAlgorithm, KeyAlgorithm, Signer } from '../signer';
import { HASH_LENGTH, HASH_OID, NODE_HASH, OID } from './oids';
import { checkSignatureAlgorithm } from './policy';

const RSA_OIDS: Readonly<Record<HashAlgorithm, string>> = {
  'SHA-256': OID.sha256WithRSAEncryption,
  'SHA-384': OID.sha384WithRSAEncryption,
  'SHA-512': OID.sha512WithRSAEncryption,
};

const ECDSA_OIDS: Readonly<Record<HashAlgorithm, string>> = {
  'SHA-256': OID.ecdsaWithSHA256,
  'SHA-384': OID.ecdsaWithSHA384,
  'SHA-512': OID.ecdsaWithSHA512,
};

export function hashAlgorithmIdentifier(hash: HashAlgorithm): pkijs.AlgorithmIdentifier {
  // RFC 5754: SHA-2 AlgorithmIdentifiers omit the parameters.
  return new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OID[hash] });
}

/** The AlgorithmIdentifier to put next to a signature made by (keyAlgorithm, hash). */
export function signatureAlgorithmIdentifier(
  keyAlgorithm: KeyAlgorithm,
  hash: HashAlgorithm,
): pkijs.AlgorithmIdentifier {
  if (keyAlgorithm === 'ECDSA') return new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_OIDS[hash] });
  if (keyAlgorithm === 'RSA') {
    return new pkijs.AlgorithmIdentifier({ algorithmId: RSA_OIDS[hash], algorithmParams: new asn1js.Null() });
  }
  const hashId = new pkijs.AlgorithmIdentifier({
    algorithmId: HASH_OID[hash],
    algorithmParams: new asn1js.Null(),
  });
  const params = new pkijs.RSASSAPSSParams({
    hashAlgorithm: hashId,
    maskGenAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: OID.mgf1,
      algorithmParams: hashId.toSchema(),
    }),
    saltLength: HASH_LENGTH[hash],
  });
  return new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsassaPss, algorithmParams: params.toSchema() });
}

export function digest(hash: HashAlgorithm, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(NODE_HASH[hash]).update(data).digest());
}

/** DER DigestInfo (PKCS#1 v1.5 input) for a digest: what a raw-RSA token signs. */
export function digestInfo(hash: HashAlgorithm, digestValue: Uint8Array): Uint8Array {
  const info = new asn1js.Sequence({
    value: [
      new pkijs.AlgorithmIdentifier({
        algorithmId: HASH_OID[hash],
        algorithmParams: new asn1js.Null(),
      }).toSchema(),
      new asn1js.OctetString({ valueHex: digestValue }),
    ],
  });
  return new Uint8Array(info.toBER(false));
}

/** Signs `data` with a Node private key; ECDSA values come out DER-encoded. */
export function signWithKey(
  key: KeyObject,
  keyAlgorithm: KeyAlgorithm,
  hash: HashAlgorithm,
  data: Uint8Array,
): Uint8Array {
  const options =
    keyAlgorithm === 'RSA-PSS'
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_LENGTH[hash] }
      : keyAlgorithm === 'ECDSA'
        ? { key, dsaEncoding: 'der' as const }
        : { key, padding: constants.RSA_PKCS1_PADDING };
  return new Uint8Array(nodeSign(NODE_HASH[hash], data, options));
}

/** Verifies a raw signature value (DER for ECDSA) made by (keyAlgorithm, hash). */
export function verifyWithKey(
  publicKey: KeyObject,
  keyAlgorithm: KeyAlgorithm,
  hash: HashAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
  saltLength?: number,
): boolean {
  const options =
    keyAlgorithm === 'RSA-PSS'
      ? {
          key: publicKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: saltLength ?? HASH_LENGTH[hash],
        }
      : keyAlgorithm === 'ECDSA'
        ? { key: publicKey, dsaEncoding: 'der' as const }
        : { key: publicKey, padding: constants.RSA_PKCS1_PADDING };
  try {
    return nodeVerify(NODE_HASH[hash], data, options, signature);
  } catch {
    return false;
  }
}

/** Verifies a signature value described by an AlgorithmIdentifier (policy-checked first). */
export function verifyWithAlgorithmIdentifier(
  publicKey: KeyObject,
  algorithm: pkijs.AlgorithmIdentifier,
  data: Uint8Array,
  signature: Uint8Array,
  context = 'signature',
): boolean {
  const { keyAlgorithm, hashAlgorithm, saltLength } = checkSignatureAlgorithm(algorithm, context);
  return verifyWithKey(publicKey, keyAlgorithm, hashAlgorithm, data, signature, saltLength);
}

/** Byte length of one ECDSA coordinate for a curve's field size in bits. */
export function ecdsaCoordinateLength(curveBits: number): number {
  return Math.ceil(curveBits / 8);
}

function unsignedInteger(bytes: Uint8Array): asn1js.Integer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  const value = (trimmed[0] ?? 0) & 0x80 ? Uint8Array.of(0, ...trimmed) : trimmed;
  return new asn1js.Integer({ valueHex: value });
}

/** IEEE P1363 r‖s (WebCrypto, PKCS#11 CKM_ECDSA) → DER ECDSA-Sig-Value. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new PkiError('invalid_input', 'The ECDSA signature value has an odd length.');
  }
  const half = raw.length / 2;
  const sequence = new asn1js.Sequence({
    value: [unsignedInteger(raw.subarray(0, half)), unsignedInteger(raw.subarray(half))],
  });
  return new Uint8Array(sequence.toBER(false));
}

/** DER ECDSA-Sig-Value → r‖s with each coordinate padded to `coordinateLength` bytes, or null. */
export function ecdsaDerToRaw(der: Uint8Array, coordinateLength: number): Uint8Array | null {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset !== der.byteLength || !(parsed.result instanceof asn1js.Sequence)) return null;
  const parts = parsed.result.valueBlock.value;
  if (parts.length !== 2) return null;
  const out = new Uint8Array(coordinateLength * 2);
  for (const [index, part] of parts.entries()) {
    if (!(part instanceof asn1js.Integer)) return null;
    let bytes = part.valueBlock.valueHexView;
    while (bytes.length > coordinateLength && bytes[0] === 0) bytes = bytes.subarray(1);
    if (bytes.length > coordinateLength) return null;
    out.set(bytes, index * coordinateLength + coordinateLength - bytes.length);
  }
  return out;
}

/** True when `value` parses exactly as a DER SEQUENCE of two INTEGERs. */
export function isDerEcdsaSignature(value: Uint8Array): boolean {
  return ecdsaDerToRaw(value, 132) !== null;
}

type TbsSigned = pkijs.Certificate | pkijs.CertificateRevocationList;

/** Signs a certificate or CRL with any Signer: sets both algorithm fields, TBS and value. */
export async function signTbs(target: TbsSigned, signer: Signer): Promise<void> {
  const algorithm = signatureAlgorithmIdentifier(signer.keyAlgorithm, signer.hashAlgorithm);
  target.signature = algorithm;
  target.signatureAlgorithm = signatureAlgorithmIdentifier(signer.keyAlgorithm, signer.hashAlgorithm);
  // toSchema(true) re-encodes the TBS from the fields; its first element is the TBS itself.
  const tbs = target.toSchema(true).valueBlock.value[0];
  if (!tbs) throw new PkiError('internal', 'The structure to sign has no TBS part.');
  target.tbsView = new Uint8Array(tbs.toBER(false));
  const value = await signer.sign(target.tbsView);
  target.signatureValue = new asn1js.BitString({ valueHex: value });
}

/** Signs an OCSP BasicOCSPResponse with any Signer. */
export async function signOcspResponse(target: pkijs.BasicOCSPResponse, signer: Signer): Promise<void> {
  target.signatureAlgorithm = signatureAlgorithmIdentifier(signer.keyAlgorithm, signer.hashAlgorithm);
  target.tbsResponseData.tbsView = new Uint8Array(target.tbsResponseData.toSchema(true).toBER(false));
  const value = await signer.sign(target.tbsResponseData.tbsView);
  target.signature = new asn1js.BitString({ valueHex: value });
}
