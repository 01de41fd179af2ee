/**
 * Signature and digest algorithms as they appear in CMS, certificates, OCSP and CRLs,
 * mapped to Node crypto, and judged against Thông tư 15/2025/TT-BKHCN: RSA ≥ 2048 bits
 * (PKCS#1 v1.5 or PSS), ECDSA ≥ 256 bits, SHA-256/384/512.
 */
import { constants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { children, DerError, explicit, isContext, oid, smallInteger, type Tlv } from './der';

export const OID = {
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  ecPublicKey: '1.2.840.10045.2.1',
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  signatureTimeStamp: '1.2.840.113549.1.9.16.2.14',
  adbeRevocationInfoArchival: '1.2.840.113583.1.1.8',
  ocspResponseRevInfo: '1.3.6.1.5.5.7.16.2',
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ekuTimeStamping: '1.3.6.1.5.5.7.3.8',
  ekuOcspSigning: '1.3.6.1.5.5.7.3.9',
} as const;

export type DigestName = 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';

const DIGESTS: Record<string, DigestName> = {
  [OID.sha1]: 'SHA-1',
  [OID.sha224]: 'SHA-224',
  [OID.sha256]: 'SHA-256',
  [OID.sha384]: 'SHA-384',
  [OID.sha512]: 'SHA-512',
};

/** Node's name for a digest. */
export function nodeHash(d: DigestName): string {
  return d.replace('-', '').toLowerCase();
}

export function digestByOid(o: string): DigestName | undefined {
  return DIGESTS[o];
}

/** `AlgorithmIdentifier` of a digest; undefined when unknown. */
export function digestAlgorithm(t: Tlv): DigestName | undefined {
  const c = children(t);
  return c[0] ? DIGESTS[oid(c[0])] : undefined;
}

export type SignatureScheme = 'RSA' | 'RSA-PSS' | 'ECDSA';

export interface SignatureAlgorithm {
  readonly scheme: SignatureScheme;
  readonly hash: DigestName;
  readonly saltLength?: number;
  /** e.g. "RSA-PSS with SHA-256". */
  readonly label: string;
}

const RSA_PKCS1: Record<string, DigestName> = {
  '1.2.840.113549.1.1.5': 'SHA-1',
  '1.2.840.113549.1.1.14': 'SHA-224',
  '1.2.840.113549.1.1.11': 'SHA-256',
  '1.2.840.113549.1.1.12': 'SHA-384',
  '1.2.840.113549.1.1.13': 'SHA-512',
};
const ECDSA: Record<string, DigestName> = {
  '1.2.840.10045.4.1': 'SHA-1',
  '1.2.840.10045.4.3.1': 'SHA-224',
  '1.2.840.10045.4.3.2': 'SHA-256',
  '1.2.840.10045.4.3.3': 'SHA-384',
  '1.2.840.10045.4.3.4': 'SHA-512',
};

/**
 * Interprets a signature `AlgorithmIdentifier`. CMS signers may name only the key type
 * (rsaEncryption, ecPublicKey); then the SignerInfo's digest algorithm supplies the hash.
 */
export function signatureAlgorithm(t: Tlv, digestHint?: DigestName): SignatureAlgorithm {
  const c = children(t);
  if (!c[0]) throw new DerError('Signature algorithm identifier is empty.');
  const o = oid(c[0]);
  const make = (scheme: SignatureScheme, hash: DigestName | undefined, saltLength?: number) => {
    if (!hash) throw new DerError(`Signature algorithm ${o} names no usable digest.`);
    const label = `${scheme === 'RSA' ? 'RSA PKCS#1 v1.5' : scheme} with ${hash}`;
    return saltLength === undefined ? { scheme, hash, label } : { scheme, hash, saltLength, label };
  };
  if (RSA_PKCS1[o]) return make('RSA', RSA_PKCS1[o]);
  if (ECDSA[o]) return make('ECDSA', ECDSA[o]);
  if (o === OID.rsaEncryption) return make('RSA', digestHint);
  if (o === OID.ecPublicKey) return make('ECDSA', digestHint);
  if (o === OID.rsaPss) {
    // RSASSA-PSS-params: [0] hash (default SHA-1), [1] MGF (default MGF1-SHA-1), [2] salt (default 20).
    let hash: DigestName | undefined = 'SHA-1';
    let mgfHash: DigestName | undefined = 'SHA-1';
    let salt = 20;
    const params = c[1] && c[1].tag === 0x30 ? children(c[1]) : [];
    for (const p of params) {
      if (isContext(p, 0)) hash = digestAlgorithm(explicit(p));
      else if (isContext(p, 1)) {
        const mgf = children(explicit(p));
        if (!mgf[0] || oid(mgf[0]) !== OID.mgf1 || !mgf[1])
          throw new DerError('RSA-PSS mask generation is not MGF1.');
        mgfHash = digestAlgorithm(mgf[1]);
      } else if (isContext(p, 2)) salt = smallInteger(explicit(p));
    }
    if (!hash || hash !== mgfHash) throw new DerError('RSA-PSS with a mask hash different from its digest.');
    return make('RSA-PSS', hash, salt);
  }
  throw new DerError(`Signature algorithm ${o} is not supported.`);
}

/** Verifies a raw signature value; false on any mismatch or key/algorithm disagreement. */
export function verifySignature(
  key: KeyObject,
  alg: SignatureAlgorithm,
  data: Buffer,
  signature: Buffer,
): boolean {
  const hash = nodeHash(alg.hash);
  try {
    switch (alg.scheme) {
      case 'RSA':
        if (key.asymmetricKeyType !== 'rsa') return false;
        return cryptoVerify(hash, data, key, signature);
      case 'RSA-PSS':
        if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') return false;
        return cryptoVerify(
          hash,
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength ?? 20 },
          signature,
        );
      case 'ECDSA':
        if (key.asymmetricKeyType !== 'ec') return false;
        return cryptoVerify(hash, data, { key, dsaEncoding: 'der' }, signature);
    }
  } catch {
    return false;
  }
}

/** Key strength as a person reads it, e.g. "RSA 2048" or "ECDSA P-256". */
export function describeKey(key: KeyObject): { label: string; bits: number } {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    const bits = d.modulusLength ?? 0;
    return { label: `RSA ${bits}`, bits };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = d.namedCurve ?? '';
    const bits =
      { prime256v1: 256, 'P-256': 256, secp384r1: 384, 'P-384': 384, secp521r1: 521, 'P-521': 521 }[curve] ??
      Number(/(\d{3})/.exec(curve)?.[1] ?? 0);
    const name = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[curve] ?? curve;
    return { label: `ECDSA ${name}`, bits };
  }
  return { label: key.asymmetricKeyType ?? 'unknown', bits: 0 };
}

/**
 * Why an algorithm/key pair falls short of Thông tư 15/2025/TT-BKHCN, or undefined when
 * it is allowed.
 */
export function policyProblem(alg: SignatureAlgorithm, key: KeyObject): string | undefined {
  if (alg.hash !== 'SHA-256' && alg.hash !== 'SHA-384' && alg.hash !== 'SHA-512') {
    return `${alg.hash} is below the SHA-256 minimum of Thông tư 15/2025/TT-BKHCN.`;
  }
  const { label, bits } = describeKey(key);
  if ((alg.scheme === 'RSA' || alg.scheme === 'RSA-PSS') && bits < 2048) {
    return `${label} is below the RSA 2048-bit minimum of Thông tư 15/2025/TT-BKHCN.`;
  }
  if (alg.scheme === 'ECDSA' && bits < 256) {
    return `${label} is below the ECDSA 256-bit minimum of Thông tư 15/2025/TT-BKHCN.`;
  }
  return undefined;
}
