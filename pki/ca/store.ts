/**
 * What a certificate authority remembers, behind a small interface so the file-system store
 * (pki/ca/file-store.ts) can later be swapped for a PostgreSQL one. Private keys only ever
 * reach a store encrypted (PKCS#8 PEM with a passphrase).
 *
 * Every read goes to the backing store: OCSP and CRL answers must show a revocation at once,
 * even when it was made by another process (the CLI) than the one answering (the server).
 */
import type { CertificateProfile } from './certificate-builder';

/** RFC 5280 CRLReason names (no certificateHold: our revocations are final). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

/** The deployment: which CAs exist and where relying parties reach them. */
export interface DeploymentRecord {
  version: 1;
  /** Public base URL, e.g. http://localhost:3000; the PKI lives under `${baseUrl}/pki`. */
  baseUrl: string;
  root: string;
  issuing: string;
  createdAt: string;
}

/** A CA's certificate and its encrypted key. */
export interface AuthorityRecord {
  name: string;
  role: 'root' | 'issuing';
  /** Name of the CA that issued this one; null for the root. */
  parent: string | null;
  certificate: Uint8Array;
  encryptedKey: string;
}

/** An online service key: an OCSP responder of one CA, or the TSA. */
export interface CredentialRecord {
  name: string;
  kind: 'ocsp' | 'tsa';
  /** The CA that issued the credential's certificate (and, for OCSP, whose certificates it answers for). */
  caName: string;
  certificate: Uint8Array;
  encryptedKey: string;
}

export interface RevocationRecord {
  /** ISO time the revocation takes effect. */
  time: string;
  reason: RevocationReason;
}

export interface IssuedRecord {
  caName: string;
  /** Lower-case hex without leading zeros. */
  serial: string;
  profile: CertificateProfile;
  subject: string;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  certificate: Uint8Array;
  revocation: RevocationRecord | null;
}

export interface RevokedEntry extends RevocationRecord {
  serial: string;
}

export interface CrlRecord {
  caName: string;
  /** Decimal CRL number. */
  number: string;
  thisUpdate: string;
  nextUpdate: string;
  /** The revocation revision this CRL reflects; a newer revision makes it stale. */
  revision: number;
  der: Uint8Array;
}

export interface CaStore {
  readDeployment(): Promise<DeploymentRecord | null>;
  writeDeployment(record: DeploymentRecord): Promise<void>;

  readAuthority(name: string): Promise<AuthorityRecord | null>;
  writeAuthority(record: AuthorityRecord): Promise<void>;

  readCredential(name: string): Promise<CredentialRecord | null>;
  writeCredential(record: CredentialRecord): Promise<void>;
  listCredentials(): Promise<CredentialRecord[]>;

  /** Records an issued certificate; PkiError('conflict') when the serial is taken. */
  addIssued(record: IssuedRecord): Promise<void>;
  findIssued(caName: string, serial: string): Promise<IssuedRecord | null>;
  listIssued(caName?: string): Promise<IssuedRecord[]>;

  /**
   * Marks a certificate revoked and bumps the CA's revocation revision, atomically.
   * not_found for an unknown serial, conflict when it is already revoked.
   */
  revoke(caName: string, serial: string, revocation: RevocationRecord): Promise<IssuedRecord>;
  listRevoked(caName: string): Promise<RevokedEntry[]>;
  /** Increases with every revocation of the CA's certificates. */
  revocationRevision(caName: string): Promise<number>;

  /** Returns the next CRL number (1, 2, …), never the same twice. */
  takeCrlNumber(caName: string): Promise<bigint>;
  writeCrl(record: CrlRecord): Promise<void>;
  readCrl(caName: string): Promise<CrlRecord | null>;
}
