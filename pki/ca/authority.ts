/**
 * Our own certificate authority, for a deployment that has none: a root CA, an issuing CA
 * under it, OCSP responders and a TSA, all persisted in a CaStore.
 *
 * Choice of the root key (default `rsa-3072`): RSA 3072 gives the 128-bit security level
 * that matches SHA-256 and P-256 and stays acceptable well past 2030, which a 20-year root
 * must; every validator our users meet (Adobe, poppler/NSS, OpenSSL, pyHanko, Java and the
 * Vietnamese public-service portals) verifies RSA chains, while ECDSA roots are still refused
 * by some older ones; and RSA verification, which relying parties do for every chain, is
 * faster than ECDSA verification. Its only cost, slower key generation and signing, is paid
 * once and rarely. `ec-p256` remains available (`keyType`).
 *
 * Lifecycle: `CertificateAuthority.open(store, passphrase)` decrypts the two CA keys into
 * memory for as long as the object lives (a CLI command, or a server that must re-sign its
 * CRLs); `close()` drops them.
 */
import type { KeyObject } from 'node:crypto';
import type * as pkijs from 'pkijs';
import { describeName, parseCertificate, serialHexOf } from '../crypto/certificate';
import { derToPem, normaliseSerialHex, toHex } from '../crypto/encoding';
import {
  decryptPrivateKey,
  encryptPrivateKey,
  generateKeyPair,
  type KeyType,
  parsePublicKey,
} from '../crypto/keys';
import { checkKey, defaultHashFor } from '../crypto/policy';
import { signWithKey } from '../crypto/signing';
import { PkiError } from '../errors';
import { KeyObjectSigner } from '../keys/key-object-signer';
import { writePkcs12 } from '../keys/pkcs12';
import { issueCrl } from '../revocation/crl';
import type { Signer } from '../signer';
import {
  buildCertificate,
  type CertificateProfile,
  type EndEntityProfile,
  type IssuerUrls,
  randomSerial,
} from './certificate-builder';
import { buildName, type SubjectInput } from './names';
import type { CaStore, CrlRecord, DeploymentRecord, IssuedRecord, RevocationReason } from './store';
import { REVOCATION_REASONS } from './store';
import { normaliseBaseUrl, pkiUrls } from './urls';

const DAY = 86_400_000;
const CLOCK_SKEW_MS = 5 * 60_000;
export const MIN_PASSPHRASE_LENGTH = 8;

export interface InitOptions {
  /** Protects the CA, OCSP and TSA keys at rest (≥ 8 characters). */
  passphrase: string;
  /** Public base URL baked into every certificate, e.g. http://localhost:3000. */
  baseUrl: string;
  /** Organisation named in the CA subjects, e.g. "Thành ủy Hà Nội". */
  organization?: string;
  country?: string;
  /** CA key type; `rsa-3072` unless given (see the note at the top of this file). */
  keyType?: KeyType;
  /** Key type of the OCSP responders and TSA; `ec-p256` unless given (fast online signing). */
  serviceKeyType?: KeyType;
  rootName?: string;
  issuingName?: string;
  rootValidityYears?: number;
  issuingValidityYears?: number;
  /** Start of the CA validity (tests backdate it); now minus five minutes unless given. */
  notBefore?: Date;
  /** PBKDF2 iterations for the encrypted keys. */
  kdfIterations?: number;
  crlValidityHours?: number;
}

export interface IssueRequest {
  profile: EndEntityProfile;
  subject: SubjectInput;
  /** The subject's public key (SPKI DER or PEM, or a KeyObject). Omit to have a key generated here. */
  publicKey?: KeyObject | Uint8Array | string;
  /** Key type when generating; rsa-2048 for person/seal, ec-p256 for ocsp/tsa unless given. */
  keyType?: KeyType;
  /** Encrypts a generated key (PKCS#8 and PKCS#12). Required when no publicKey is given, unless installing. */
  keyPassphrase?: string;
  /** Issuing CA name; the issuing CA unless given. The root issues only its OCSP responder. */
  issuer?: string;
  validityDays?: number;
  notBefore?: Date;
  notAfter?: Date;
  /** ocsp/tsa with a generated key: store it (under the CA passphrase) as the service credential; no key is returned. */
  install?: boolean;
}

export interface IssuedCertificate {
  caName: string;
  serial: string;
  profile: EndEntityProfile;
  certificate: Uint8Array;
  certificatePem: string;
  /** CA certificates above it, nearest first, without the root. */
  chain: Uint8Array[];
  root: Uint8Array;
  /** Present when the key was generated here: encrypted PKCS#8 PEM. */
  encryptedKeyPem?: string;
  /** Present when the key was generated here: PKCS#12 with the chain up to the root. */
  pkcs12?: Uint8Array;
}

export interface RevokeOptions {
  reason?: RevocationReason;
  /** When the revocation takes effect; now unless given (no later than now). */
  time?: Date;
  /** Which CA issued the certificate; looked up when omitted. */
  caName?: string;
}

const DEFAULT_VALIDITY_DAYS: Record<EndEntityProfile, number> = {
  person: 730,
  seal: 730,
  ocsp: 730,
  tsa: 1825,
};

interface LoadedAuthority {
  name: string;
  role: 'root' | 'issuing';
  der: Uint8Array;
  cert: pkijs.Certificate;
  signer: KeyObjectSigner;
}

function checkPassphrase(passphrase: string, what: string): void {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new PkiError(
      'invalid_input',
      `The ${what} must be at least ${MIN_PASSPHRASE_LENGTH} characters long.`,
    );
  }
}

function checkCaName(name: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) {
    throw new PkiError(
      'invalid_input',
      `"${name}" is not a valid CA name (lower-case letters, digits, hyphens).`,
    );
  }
  return name;
}

/** A Signer over a key that has no certificate yet: only for self-signing the root. */
function bareSigner(privateKey: KeyObject): Signer {
  const key = checkKey(privateKey, 'CA key');
  const keyAlgorithm = key.family === 'ECDSA' ? 'ECDSA' : 'RSA';
  const hashAlgorithm = defaultHashFor(key);
  return {
    keyAlgorithm,
    hashAlgorithm,
    certificate: new Uint8Array(0),
    chain: [],
    sign: async (data) => signWithKey(privateKey, keyAlgorithm, hashAlgorithm, data),
  };
}

function validityYears(years: number | undefined, fallback: number): number {
  const value = years ?? fallback;
  if (!Number.isFinite(value) || value <= 0 || value > 50) {
    throw new PkiError('invalid_input', 'CA validity must be between 0 and 50 years.');
  }
  return value;
}

/** Reads the CA certificates of a store without any passphrase (for list / export-root). */
export async function readCaCertificates(
  store: CaStore,
): Promise<{ deployment: DeploymentRecord; root: Uint8Array; issuing: Uint8Array }> {
  const deployment = await store.readDeployment();
  if (!deployment)
    throw new PkiError('not_found', 'No certificate authority has been set up here yet (run "ca init").');
  const root = await store.readAuthority(deployment.root);
  const issuing = await store.readAuthority(deployment.issuing);
  if (!root || !issuing)
    throw new PkiError('internal', 'The CA store is incomplete: a CA record is missing.');
  return { deployment, root: root.certificate, issuing: issuing.certificate };
}

export class CertificateAuthority {
  readonly #passphrase: string;
  readonly #authorities: Map<string, LoadedAuthority>;
  readonly #crlValidityMs: number;
  readonly #kdfIterations: number | undefined;

  private constructor(
    readonly store: CaStore,
    readonly deployment: DeploymentRecord,
    authorities: LoadedAuthority[],
    passphrase: string,
    options: { crlValidityHours?: number; kdfIterations?: number },
  ) {
    this.#authorities = new Map(authorities.map((a) => [a.name, a]));
    this.#passphrase = passphrase;
    this.#crlValidityMs = (options.crlValidityHours ?? 24 * 7) * 3_600_000;
    this.#kdfIterations = options.kdfIterations;
  }

  /** Opens the CA of `store`, unlocking its keys. wrong_passphrase / not_found on failure. */
  static async open(
    store: CaStore,
    passphrase: string,
    options: { crlValidityHours?: number; kdfIterations?: number } = {},
  ): Promise<CertificateAuthority> {
    const deployment = await store.readDeployment();
    if (!deployment)
      throw new PkiError('not_found', 'No certificate authority has been set up here yet (run "ca init").');
    const authorities: LoadedAuthority[] = [];
    for (const name of [deployment.root, deployment.issuing]) {
      const record = await store.readAuthority(name);
      if (!record) throw new PkiError('internal', `The CA store is incomplete: CA "${name}" is missing.`);
      const privateKey = decryptPrivateKey(record.encryptedKey, passphrase);
      authorities.push({
        name,
        role: record.role,
        der: record.certificate,
        cert: parseCertificate(record.certificate),
        signer: new KeyObjectSigner({ privateKey, certificate: record.certificate, purpose: 'ca' }),
      });
    }
    return new CertificateAuthority(store, deployment, authorities, passphrase, options);
  }

  /**
   * Creates the root and issuing CAs, the OCSP responders of both (the root's is issued by
   * the root itself, so the root key can stay offline) and the TSA, and publishes the first
   * CRLs. Refuses (conflict) when the store already holds a CA.
   */
  static async init(store: CaStore, options: InitOptions): Promise<CertificateAuthority> {
    if (await store.readDeployment()) {
      throw new PkiError('conflict', 'A certificate authority already exists here; it is never overwritten.');
    }
    checkPassphrase(options.passphrase, 'CA passphrase');
    const baseUrl = normaliseBaseUrl(options.baseUrl);
    const rootName = checkCaName(options.rootName ?? 'root-ca');
    const issuingName = checkCaName(options.issuingName ?? 'issuing-ca');
    if (rootName === issuingName)
      throw new PkiError('invalid_input', 'The root and issuing CA need different names.');
    const organization = options.organization ?? 'vanthu';
    const country = options.country ?? 'VN';
    const keyType = options.keyType ?? 'rsa-3072';
    const notBefore = options.notBefore ?? new Date(Date.now() - CLOCK_SKEW_MS);
    const rootYears = validityYears(options.rootValidityYears, 20);
    const issuingYears = validityYears(options.issuingValidityYears, 10);
    const encryptOptions = options.kdfIterations === undefined ? {} : { iterations: options.kdfIterations };
    const urls = pkiUrls(baseUrl);

    const [rootKeys, issuingKeys] = await Promise.all([generateKeyPair(keyType), generateKeyPair(keyType)]);
    const rootDer = await buildCertificate({
      profile: 'root',
      subject: buildName({ commonName: `${organization} Root CA`, organization, country }),
      publicKey: rootKeys.publicKey,
      serial: randomSerial(),
      notBefore,
      notAfter: new Date(notBefore.getTime() + rootYears * 365.25 * DAY),
      issuerCertificate: null,
      issuerSigner: bareSigner(rootKeys.privateKey),
      urls: null,
    });
    const rootCert = parseCertificate(rootDer);
    const rootSigner = new KeyObjectSigner({
      privateKey: rootKeys.privateKey,
      certificate: rootDer,
      purpose: 'ca',
    });
    const issuingDer = await buildCertificate({
      profile: 'issuing',
      subject: buildName({ commonName: `${organization} Issuing CA`, organization, country }),
      publicKey: issuingKeys.publicKey,
      serial: randomSerial(),
      notBefore,
      notAfter: new Date(
        Math.min(notBefore.getTime() + issuingYears * 365.25 * DAY, rootCert.notAfter.value.getTime()),
      ),
      issuerCertificate: rootCert,
      issuerSigner: rootSigner,
      urls: { crl: urls.crl(rootName), ocsp: urls.ocsp, caIssuers: urls.caCertificate(rootName) },
    });
    const issuingCert = parseCertificate(issuingDer);
    const now = new Date().toISOString();
    await store.writeAuthority({
      name: rootName,
      role: 'root',
      parent: null,
      certificate: rootDer,
      encryptedKey: await encryptPrivateKey(rootKeys.privateKey, options.passphrase, encryptOptions),
    });
    await store.writeAuthority({
      name: issuingName,
      role: 'issuing',
      parent: rootName,
      certificate: issuingDer,
      encryptedKey: await encryptPrivateKey(issuingKeys.privateKey, options.passphrase, encryptOptions),
    });
    await store.addIssued({
      caName: rootName,
      serial: serialHexOf(issuingCert),
      profile: 'issuing',
      subject: describeName(issuingCert.subject),
      notBefore: issuingCert.notBefore.value.toISOString(),
      notAfter: issuingCert.notAfter.value.toISOString(),
      issuedAt: now,
      certificate: issuingDer,
      revocation: null,
    });
    const deployment: DeploymentRecord = {
      version: 1,
      baseUrl,
      root: rootName,
      issuing: issuingName,
      createdAt: now,
    };
    const ca = new CertificateAuthority(
      store,
      deployment,
      [
        { name: rootName, role: 'root', der: rootDer, cert: rootCert, signer: rootSigner },
        {
          name: issuingName,
          role: 'issuing',
          der: issuingDer,
          cert: issuingCert,
          signer: new KeyObjectSigner({
            privateKey: issuingKeys.privateKey,
            certificate: issuingDer,
            purpose: 'ca',
          }),
        },
      ],
      options.passphrase,
      {
        ...(options.crlValidityHours === undefined ? {} : { crlValidityHours: options.crlValidityHours }),
        ...(options.kdfIterations === undefined ? {} : { kdfIterations: options.kdfIterations }),
      },
    );
    const serviceKeyType = options.serviceKeyType ?? 'ec-p256';
    for (const issuer of [rootName, issuingName]) {
      await ca.issue({
        profile: 'ocsp',
        issuer,
        subject: { commonName: `${organization} OCSP Responder (${issuer})`, organization, country },
        keyType: serviceKeyType,
        install: true,
      });
    }
    await ca.issue({
      profile: 'tsa',
      subject: { commonName: `${organization} Time-Stamping Authority`, organization, country },
      keyType: serviceKeyType,
      install: true,
    });
    await ca.issueCrl(rootName);
    await ca.issueCrl(issuingName);
    await store.writeDeployment(deployment);
    return ca;
  }

  get rootName(): string {
    return this.deployment.root;
  }

  get issuingName(): string {
    return this.deployment.issuing;
  }

  #authority(name: string): LoadedAuthority {
    const authority = this.#authorities.get(name);
    if (!authority) throw new PkiError('not_found', `There is no CA named "${name}" here.`);
    return authority;
  }

  /** DER of a CA certificate. */
  certificate(caName: string): Uint8Array {
    return this.#authority(caName).der;
  }

  /** CA certificates from `caName` up to (without) the root, nearest first. */
  chainFor(caName: string): Uint8Array[] {
    return caName === this.rootName ? [] : [this.#authority(caName).der];
  }

  urlsFor(caName: string): IssuerUrls {
    const urls = pkiUrls(this.deployment.baseUrl);
    return { crl: urls.crl(caName), ocsp: urls.ocsp, caIssuers: urls.caCertificate(caName) };
  }

  /** Issues an end-entity certificate (person, seal, OCSP responder, TSA). */
  async issue(request: IssueRequest): Promise<IssuedCertificate> {
    const profile = request.profile;
    if (!['person', 'seal', 'ocsp', 'tsa'].includes(profile)) {
      throw new PkiError(
        'invalid_input',
        `Unknown certificate type "${profile}"; use person, seal, ocsp or tsa.`,
      );
    }
    const caName = request.issuer ?? this.issuingName;
    const issuer = this.#authority(caName);
    if (issuer.role === 'root' && profile !== 'ocsp') {
      throw new PkiError(
        'invalid_input',
        'The root CA issues only its own OCSP responder; use the issuing CA.',
      );
    }
    if (profile === 'person' && (!request.subject.organization || !request.subject.organizationalUnit)) {
      throw new PkiError(
        'invalid_input',
        'A person certificate needs the organisation and organisational unit.',
      );
    }
    if (profile === 'seal' && !request.subject.organization) {
      throw new PkiError('invalid_input', 'An organisation seal certificate needs the organisation name.');
    }
    const subject = buildName(request.subject);

    let publicKey: KeyObject;
    let privateKey: KeyObject | null = null;
    if (request.publicKey !== undefined) {
      publicKey =
        typeof request.publicKey === 'string' || request.publicKey instanceof Uint8Array
          ? parsePublicKey(request.publicKey)
          : request.publicKey;
      if (publicKey.type === 'private')
        throw new PkiError('invalid_input', 'Give the public key, not the private key.');
    } else {
      if (!request.install) {
        if (!request.keyPassphrase) {
          throw new PkiError(
            'invalid_input',
            'A passphrase is needed to protect the key generated for this certificate.',
          );
        }
        checkPassphrase(request.keyPassphrase, 'key passphrase');
      }
      const keyType =
        request.keyType ?? (profile === 'person' || profile === 'seal' ? 'rsa-2048' : 'ec-p256');
      const pair = await generateKeyPair(keyType);
      publicKey = pair.publicKey;
      privateKey = pair.privateKey;
    }
    checkKey(publicKey, 'subject public key');
    if (request.install && (!privateKey || (profile !== 'ocsp' && profile !== 'tsa'))) {
      throw new PkiError(
        'invalid_input',
        'Only a generated OCSP or TSA key can be installed as a service credential.',
      );
    }

    const notBefore = request.notBefore ?? new Date(Date.now() - CLOCK_SKEW_MS);
    const days = request.validityDays ?? DEFAULT_VALIDITY_DAYS[profile];
    if (!Number.isFinite(days) || days <= 0 || days > 3660) {
      throw new PkiError('invalid_input', 'Certificate validity must be between 1 and 3660 days.');
    }
    // A certificate never outlives its issuer (RFC 5280 path validation would reject it later).
    const notAfter = new Date(
      Math.min(
        (request.notAfter ?? new Date(notBefore.getTime() + days * DAY)).getTime(),
        issuer.cert.notAfter.value.getTime(),
      ),
    );

    let der: Uint8Array | null = null;
    let serial = '';
    for (let attempt = 0; der === null; attempt++) {
      const serialBytes = randomSerial();
      serial = normaliseSerialHex(toHex(serialBytes));
      const candidate = await buildCertificate({
        profile,
        subject,
        publicKey,
        serial: serialBytes,
        notBefore,
        notAfter,
        issuerCertificate: issuer.cert,
        issuerSigner: issuer.signer,
        urls: this.urlsFor(caName),
        ...(request.subject.email ? { email: request.subject.email.trim() } : {}),
      });
      try {
        await this.store.addIssued({
          caName,
          serial,
          profile,
          subject: describeName(subject),
          notBefore: notBefore.toISOString(),
          notAfter: notAfter.toISOString(),
          issuedAt: new Date().toISOString(),
          certificate: candidate,
          revocation: null,
        });
        der = candidate;
      } catch (error) {
        // 128 random bits collide only by a fault; one retry, then report it.
        if (!(error instanceof PkiError && error.code === 'conflict') || attempt > 0) throw error;
      }
    }

    const chain = this.chainFor(caName);
    const root = this.certificate(this.rootName);
    const issued: IssuedCertificate = {
      caName,
      serial,
      profile,
      certificate: der,
      certificatePem: derToPem(der, 'CERTIFICATE'),
      chain,
      root,
    };
    const encryptOptions = this.#kdfIterations === undefined ? {} : { iterations: this.#kdfIterations };
    if (privateKey && request.install) {
      // A service key stays in the store, under the CA passphrase; nothing is handed out.
      await this.store.writeCredential({
        name: profile === 'tsa' ? 'tsa' : `ocsp-${caName}`,
        kind: profile === 'tsa' ? 'tsa' : 'ocsp',
        caName,
        certificate: der,
        encryptedKey: await encryptPrivateKey(privateKey, this.#passphrase, encryptOptions),
      });
    } else if (privateKey && request.keyPassphrase) {
      issued.encryptedKeyPem = await encryptPrivateKey(privateKey, request.keyPassphrase, encryptOptions);
      issued.pkcs12 = await writePkcs12(privateKey, der, [...chain, root], request.keyPassphrase, {
        friendlyName: request.subject.commonName,
        ...(this.#kdfIterations === undefined
          ? {}
          : { iterations: this.#kdfIterations, macIterations: this.#kdfIterations }),
      });
    }
    return issued;
  }

  /** Finds the CA that issued `serial` (issuing CA first). */
  async #findIssuer(serial: string): Promise<string> {
    for (const name of [this.issuingName, this.rootName]) {
      if (await this.store.findIssued(name, serial)) return name;
    }
    throw new PkiError('not_found', `No certificate with serial ${serial} was issued here.`);
  }

  /**
   * Revokes a certificate and publishes a new CRL at once; OCSP answers from the store, so
   * it reports the revocation from this moment too.
   */
  async revoke(serialInput: string, options: RevokeOptions = {}): Promise<IssuedRecord> {
    const serial = normaliseSerialHex(serialInput);
    const reason = options.reason ?? 'unspecified';
    if (!(reason in REVOCATION_REASONS)) {
      throw new PkiError(
        'invalid_input',
        `Unknown revocation reason "${reason}"; use one of ${Object.keys(REVOCATION_REASONS).join(', ')}.`,
      );
    }
    const now = new Date();
    const time = options.time ?? now;
    if (Number.isNaN(time.getTime()) || time.getTime() > now.getTime() + CLOCK_SKEW_MS) {
      throw new PkiError('invalid_input', 'A revocation cannot take effect in the future.');
    }
    const caName = options.caName ?? (await this.#findIssuer(serial));
    this.#authority(caName);
    const record = await this.store.revoke(caName, serial, { time: time.toISOString(), reason });
    await this.issueCrl(caName);
    return record;
  }

  /** Issues (and stores) a new CRL for `caName` listing every revocation so far. */
  async issueCrl(caName: string): Promise<CrlRecord> {
    const authority = this.#authority(caName);
    const revision = await this.store.revocationRevision(caName);
    const revoked = await this.store.listRevoked(caName);
    const number = await this.store.takeCrlNumber(caName);
    const thisUpdate = new Date(Date.now() - 60_000);
    const nextUpdate = new Date(thisUpdate.getTime() + this.#crlValidityMs);
    const der = await issueCrl({
      issuerCertificate: authority.der,
      signer: authority.signer,
      number,
      thisUpdate,
      nextUpdate,
      revoked: revoked.map((r) => ({ serial: r.serial, time: new Date(r.time), reason: r.reason })),
    });
    const record: CrlRecord = {
      caName,
      number: number.toString(),
      thisUpdate: thisUpdate.toISOString(),
      nextUpdate: nextUpdate.toISOString(),
      revision,
      der,
    };
    await this.store.writeCrl(record);
    return record;
  }

  /**
   * The CRL to serve now: the stored one while it reflects every revocation and has more
   * than half its life left; otherwise a freshly issued one.
   */
  async currentCrl(caName: string): Promise<CrlRecord> {
    this.#authority(caName);
    const stored = await this.store.readCrl(caName);
    if (stored) {
      const revision = await this.store.revocationRevision(caName);
      const start = Date.parse(stored.thisUpdate);
      const end = Date.parse(stored.nextUpdate);
      if (stored.revision === revision && Date.now() < start + (end - start) / 2) return stored;
    }
    return this.issueCrl(caName);
  }

  async list(caName?: string): Promise<IssuedRecord[]> {
    return this.store.listIssued(caName);
  }

  /** Drops the unlocked CA keys. */
  async close(): Promise<void> {
    for (const authority of this.#authorities.values()) await authority.signer.close();
  }
}

export type { CertificateProfile, EndEntityProfile };
