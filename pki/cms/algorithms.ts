/**
 * Object identifiers and AlgorithmIdentifiers used in PAdES CMS signatures
 * (RFC 5652, RFC 5035, RFC 3161, RFC 5754, RFC 4055, RFC 5758).
 */
import { PkiError } from '../errors';
import type { HashAlgorithm, KeyAlgorithm } from '../signer';
import { contextConstructed, type Der, nullValue, oid, sequence, smallInteger } from './der';

export const CMS_OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  ecPublicKey: '1.2.840.10045.2.1',
} as const;

export const HASH_OIDS: Readonly<Record<HashAlgorithm, string>> = {
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};

export const HASH_LENGTHS: Readonly<Record<HashAlgorithm, number>> = {
  'SHA-256': 32,
  'SHA-384': 48,
  'SHA-512': 64,
};

/** Node's name for a hash algorithm. */
export const NODE_HASHES: Readonly<Record<HashAlgorithm, string>> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

const ECDSA_OIDS: Readonly<Record<HashAlgorithm, string>> = {
  'SHA-256': '1.2.840.10045.4.3.2',
  'SHA-384': '1.2.840.10045.4.3.3',
  'SHA-512': '1.2.840.10045.4.3.4',
};

export function hashAlgorithmFromOid(oid: string): HashAlgorithm | undefined {
  return (Object.keys(HASH_OIDS) as HashAlgorithm[]).find((h) => HASH_OIDS[h] === oid);
}

const algorithmCache = new Map<string, Der>();

function cached(key: string, build: () => Der): Der {
  let der = algorithmCache.get(key);
  if (!der) {
    der = build();
    algorithmCache.set(key, der);
  }
  return der;
}

/** DER AlgorithmIdentifier for a digest: SHA-2 without parameters (RFC 5754 §2). */
export function digestAlgorithmIdentifier(hash: HashAlgorithm): Der {
  return cached(`digest:${hash}`, () => sequence(oid(HASH_OIDS[hash])));
}

/**
 * DER signatureAlgorithm of a SignerInfo. RSA PKCS#1 v1.5 uses rsaEncryption with NULL, as
 * OpenSSL and most signers do (RFC 3370 §3.2); PSS carries its parameters (RFC 4055):
 * the signature hash, MGF1 with the same hash, salt length = hash length.
 */
export function signatureAlgorithmIdentifier(key: KeyAlgorithm, hash: HashAlgorithm): Der {
  return cached(`sig:${key}:${hash}`, () => {
    switch (key) {
      case 'ECDSA':
        return sequence(oid(ECDSA_OIDS[hash]));
      case 'RSA':
        return sequence(oid(CMS_OID.rsaEncryption), nullValue());
      case 'RSA-PSS': {
        const hashId = sequence(oid(HASH_OIDS[hash]), nullValue());
        const params = sequence(
          contextConstructed(0, hashId),
          contextConstructed(1, sequence(oid(CMS_OID.mgf1), hashId)),
          contextConstructed(2, smallInteger(HASH_LENGTHS[hash])),
        );
        return sequence(oid(CMS_OID.rsassaPss), params);
      }
      default:
        throw new PkiError('invalid_input', `Unsupported key algorithm ${String(key)}.`);
    }
  });
}
