/**
 * The algorithm policy of Thông tư 15/2025/TT-BKHCN, in one place: RSA keys of at least 2048
 * bits (PKCS#1 v1.5 or PSS signatures), ECDSA on curves of at least 256 bits (P-256, P-384,
 * P-521), and SHA-256/384/512. Everything that accepts a key, a certificate or a signature
 * algorithm asks here and gets PkiError('weak_algorithm') with the reason when it falls short.
 */
import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { PkiError } from '../errors';
import type { HashAlgorithm, KeyAlgorithm } from '../signer';
import { publicKeyOf } from './certificate';
import { CURVE_BY_OID, HASH_BY_OID, OID, SIGNATURE_ALGORITHMS } from './oids';

export const MIN_RSA_BITS = 2048;
export const ACCEPTED_HASHES: readonly HashAlgorithm[] = ['SHA-256', 'SHA-384', 'SHA-512'];
export const ACCEPTED_CURVES = ['P-256', 'P-384', 'P-521'] as const;
export type Curve = (typeof ACCEPTED_CURVES)[number];

const RULE = 'Thông tư 15/2025/TT-BKHCN';

/** Node's curve names → NIST names. */
const NODE_CURVES: Readonly<Record<string, Curve>> = {
  prime256v1: 'P-256',
  'P-256': 'P-256',
  secp384r1: 'P-384',
  'P-384': 'P-384',
  secp521r1: 'P-521',
  'P-521': 'P-521',
};

export interface KeyDescription {
  /** 'RSA' for rsaEncryption and RSASSA-PSS keys alike; the padding is chosen when signing. */
  family: 'RSA' | 'ECDSA';
  bits: number;
  curve: Curve | null;
}

function weak(message: string): PkiError {
  return new PkiError('weak_algorithm', message);
}

/** Accepts a hash by name ('SHA-256', 'sha256') or OID; refuses SHA-1, MD5, SHA-224. */
export function checkHashAlgorithm(hash: string, context = 'hash algorithm'): HashAlgorithm {
  const fromOid = HASH_BY_OID[hash];
  const name = fromOid ?? hash.toUpperCase().replace(/^SHA-?/, 'SHA-');
  if ((ACCEPTED_HASHES as readonly string[]).includes(name)) return name as HashAlgorithm;
  if (name === 'SHA-1' || name === 'MD5' || name === 'SHA-224') {
    throw weak(`The ${context} ${name} is not allowed by ${RULE}; use SHA-256, SHA-384 or SHA-512.`);
  }
  throw weak(`The ${context} "${hash}" is not supported; use SHA-256, SHA-384 or SHA-512.`);
}

/** Describes a public or private key and checks it against the policy. */
export function checkKey(key: KeyObject, context = 'key'): KeyDescription {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw weak(`The ${context} is RSA ${bits} bits; ${RULE} requires at least ${MIN_RSA_BITS}.`);
    }
    return { family: 'RSA', bits, curve: null };
  }
  if (type === 'ec') {
    const curve = NODE_CURVES[details.namedCurve ?? ''];
    if (!curve) {
      throw weak(
        `The ${context} uses the elliptic curve ${details.namedCurve ?? 'unknown'}; ${RULE} allows P-256, P-384 or P-521.`,
      );
    }
    return { family: 'ECDSA', bits: Number(curve.slice(2)), curve };
  }
  throw weak(
    `The ${context} is a ${type ?? 'unknown'} key; ${RULE} allows RSA (≥ 2048 bits) or ECDSA (≥ P-256).`,
  );
}

/** The hash that naturally pairs with a key: SHA-384 for P-384, SHA-512 for P-521, else SHA-256. */
export function defaultHashFor(key: KeyDescription): HashAlgorithm {
  if (key.curve === 'P-384') return 'SHA-384';
  if (key.curve === 'P-521') return 'SHA-512';
  return 'SHA-256';
}

export interface SignatureAlgorithm {
  keyAlgorithm: KeyAlgorithm;
  hashAlgorithm: HashAlgorithm;
  /** PSS only. */
  saltLength?: number;
}

function hashOfAlgorithmIdentifier(id: pkijs.AlgorithmIdentifier, context: string): HashAlgorithm {
  const name = HASH_BY_OID[id.algorithmId];
  if (!name) throw weak(`The ${context} uses the unknown hash ${id.algorithmId}.`);
  return checkHashAlgorithm(name, context);
}

/**
 * Reads a signature AlgorithmIdentifier (certificate, CRL, OCSP, CMS signerInfo) and checks
 * it. RSASSA-PSS parameters must name an allowed hash and use MGF1 with the same hash.
 */
export function checkSignatureAlgorithm(
  id: pkijs.AlgorithmIdentifier,
  context = 'signature',
): SignatureAlgorithm {
  const classic = SIGNATURE_ALGORITHMS[id.algorithmId];
  if (classic) {
    return { keyAlgorithm: classic.key, hashAlgorithm: checkHashAlgorithm(classic.hash, `${context} hash`) };
  }
  if (id.algorithmId === OID.rsassaPss) {
    let params: pkijs.RSASSAPSSParams;
    try {
      params = new pkijs.RSASSAPSSParams({ schema: id.algorithmParams });
    } catch (error) {
      throw new PkiError('invalid_input', `The ${context} has unreadable RSASSA-PSS parameters.`, {
        cause: error,
      });
    }
    const hash = hashOfAlgorithmIdentifier(params.hashAlgorithm, `${context} hash`);
    if (params.maskGenAlgorithm.algorithmId !== OID.mgf1) {
      throw weak(`The ${context} uses an RSASSA-PSS mask generation function other than MGF1.`);
    }
    const mgfHash = new pkijs.AlgorithmIdentifier({ schema: params.maskGenAlgorithm.algorithmParams });
    if (hashOfAlgorithmIdentifier(mgfHash, `${context} MGF1 hash`) !== hash) {
      throw weak(`The ${context} uses RSASSA-PSS with different message and MGF1 hashes.`);
    }
    return { keyAlgorithm: 'RSA-PSS', hashAlgorithm: hash, saltLength: params.saltLength };
  }
  if (id.algorithmId === OID.rsaEncryption) {
    // CMS allows rsaEncryption as the signatureAlgorithm; the digest algorithm names the hash.
    return { keyAlgorithm: 'RSA', hashAlgorithm: 'SHA-256' };
  }
  throw weak(`The ${context} algorithm ${id.algorithmId} is not allowed by ${RULE}.`);
}

/** The named curve OID of an EC SubjectPublicKeyInfo, if any (for messages only). */
function curveOfCertificate(cert: pkijs.Certificate): string | null {
  const params = cert.subjectPublicKeyInfo.algorithm.algorithmParams;
  return params instanceof asn1js.ObjectIdentifier
    ? (CURVE_BY_OID[params.valueBlock.toString()] ?? null)
    : null;
}

/**
 * Checks a certificate's public key and, unless it is a self-signed trust anchor (whose own
 * signature proves nothing), the algorithm its issuer signed it with.
 */
export function checkCertificateAlgorithms(
  cert: pkijs.Certificate,
  context = 'certificate',
  options: { ignoreOwnSignature?: boolean } = {},
): KeyDescription {
  const description = checkKey(publicKeyOf(cert), `${context}'s public key`);
  if (description.family === 'ECDSA' && curveOfCertificate(cert) === null) {
    throw weak(`The ${context}'s public key does not use a named NIST curve.`);
  }
  if (!options.ignoreOwnSignature) checkSignatureAlgorithm(cert.signatureAlgorithm, `${context}'s signature`);
  return description;
}
