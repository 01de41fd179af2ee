/**
 * Object identifiers used across the PKI library, in one table so that a typo cannot hide
 * in a module. Names follow the RFCs that define them.
 */
export const OID = {
  // Public keys (RFC 3279, RFC 4055, RFC 5480)
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  dsa: '1.2.840.10040.4.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  // Named curves
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
  // Hashes
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  md5: '1.2.840.113549.2.5',
  mgf1: '1.2.840.113549.1.1.8',
  // Signature algorithms
  md5WithRSAEncryption: '1.2.840.113549.1.1.4',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  sha224WithRSAEncryption: '1.2.840.113549.1.1.14',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  ecdsaWithSHA1: '1.2.840.10045.4.1',
  ecdsaWithSHA224: '1.2.840.10045.4.3.1',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  // Password-based encryption (RFC 8018)
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  // Name attributes (RFC 5280, RFC 4519)
  commonName: '2.5.4.3',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  title: '2.5.4.12',
  givenName: '2.5.4.42',
  organizationIdentifier: '2.5.4.97',
  emailAddress: '1.2.840.113549.1.9.1',
  userId: '0.9.2342.19200300.100.1.1',
  // Certificate extensions (RFC 5280)
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  // Access methods and extended key usages
  adOcsp: '1.3.6.1.5.5.7.48.1',
  adCaIssuers: '1.3.6.1.5.5.7.48.2',
  kpClientAuth: '1.3.6.1.5.5.7.3.2',
  kpEmailProtection: '1.3.6.1.5.5.7.3.4',
  kpTimeStamping: '1.3.6.1.5.5.7.3.8',
  kpOcspSigning: '1.3.6.1.5.5.7.3.9',
  anyExtendedKeyUsage: '2.5.29.37.0',
  // OCSP (RFC 6960)
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  // CMS and timestamps (RFC 5652, RFC 3161, RFC 5035)
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  // Adobe/ETSI document-signing EKU accepted for signer certificates
  adobeAuthenticDocumentsTrust: '1.2.840.113583.1.1.5',
  documentSigning: '1.3.6.1.4.1.311.10.3.12',
  // vanthu's own arc: a UUID-based OID (ITU-T X.667, 2.25.<uuid>), unique without registration.
  vanthuArc: '2.25.92993792709073019063551256548720817622',
  vanthuTsaPolicy: '2.25.92993792709073019063551256548720817622.1',
  vanthuCertificatePolicy: '2.25.92993792709073019063551256548720817622.2',
} as const;

export type HashName = 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512' | 'MD5';

/** Hash OID → name (including the weak ones, so the policy can name what it refuses). */
export const HASH_BY_OID: Readonly<Record<string, HashName>> = {
  [OID.sha1]: 'SHA-1',
  [OID.sha224]: 'SHA-224',
  [OID.sha256]: 'SHA-256',
  [OID.sha384]: 'SHA-384',
  [OID.sha512]: 'SHA-512',
  [OID.md5]: 'MD5',
};

export const HASH_OID: Readonly<Record<'SHA-256' | 'SHA-384' | 'SHA-512', string>> = {
  'SHA-256': OID.sha256,
  'SHA-384': OID.sha384,
  'SHA-512': OID.sha512,
};

/** Node's digest names for the hashes we accept. */
export const NODE_HASH: Readonly<Record<'SHA-256' | 'SHA-384' | 'SHA-512', string>> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

export const HASH_LENGTH: Readonly<Record<'SHA-256' | 'SHA-384' | 'SHA-512', number>> = {
  'SHA-256': 32,
  'SHA-384': 48,
  'SHA-512': 64,
};

export const CURVE_BY_OID: Readonly<Record<string, 'P-256' | 'P-384' | 'P-521'>> = {
  [OID.secp256r1]: 'P-256',
  [OID.secp384r1]: 'P-384',
  [OID.secp521r1]: 'P-521',
};

/** Signature algorithm OID → [key family, hash] for the classic (non-PSS) algorithms. */
export const SIGNATURE_ALGORITHMS: Readonly<Record<string, { key: 'RSA' | 'ECDSA'; hash: HashName }>> = {
  [OID.md5WithRSAEncryption]: { key: 'RSA', hash: 'MD5' },
  [OID.sha1WithRSAEncryption]: { key: 'RSA', hash: 'SHA-1' },
  [OID.sha224WithRSAEncryption]: { key: 'RSA', hash: 'SHA-224' },
  [OID.sha256WithRSAEncryption]: { key: 'RSA', hash: 'SHA-256' },
  [OID.sha384WithRSAEncryption]: { key: 'RSA', hash: 'SHA-384' },
  [OID.sha512WithRSAEncryption]: { key: 'RSA', hash: 'SHA-512' },
  [OID.ecdsaWithSHA1]: { key: 'ECDSA', hash: 'SHA-1' },
  [OID.ecdsaWithSHA224]: { key: 'ECDSA', hash: 'SHA-224' },
  [OID.ecdsaWithSHA256]: { key: 'ECDSA', hash: 'SHA-256' },
  [OID.ecdsaWithSHA384]: { key: 'ECDSA', hash: 'SHA-384' },
  [OID.ecdsaWithSHA512]: { key: 'ECDSA', hash: 'SHA-512' },
};
