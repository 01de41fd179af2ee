/**
 * Shared PKI test fixture: a throwaway CA in a temp dir, served over HTTP on 127.0.0.1
 * (port 0, base URL baked into every issued certificate), with ready Signers, TSA and
 * revocation providers (in-process and HTTP), a trust store with the root, files on disk for
 * outside tools (openssl, pyHanko, pdfsig) and an NSS db trusting the root.
 *
 *   const pki = await getPkiFixture();      // one per test process, shared by suites,
 *                                           // closed after the whole run
 *   pki.signers.rsa.signer.sign(bytes)      // RSA 2048 person; .ecdsa P-256 person; .seal
 *   pki.tsa.http / pki.tsa.local            // TimestampAuthority
 *   pki.revocation.http / .local            // RevocationSource
 *   await pki.issueSigner({ ... })          // a fresh certificate you may revoke or expire
 *   await pki.nssDb()                       // directory for `pdfsig -nssdir`
 *
 * Never revoke the shared signers: issue your own with issueSigner(). createPkiFixture()
 * makes an independent (untrusted by the shared one) CA that the caller must close().
 */
import { execFile } from 'node:child_process';
import { promises as fs, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CertificateAuthority, type IssueRequest } from '../../pki/ca/authority';
import { FileCaStore } from '../../pki/ca/file-store';
import { PkiServices } from '../../pki/ca/services';
import type { RevocationReason } from '../../pki/ca/store';
import { derToPem } from '../../pki/crypto/encoding';
import type { KeyType } from '../../pki/crypto/keys';
import { createPkiHandler, type PkiRequestHandler } from '../../pki/http/handler';
import type { ClosableSigner } from '../../pki/keys/key-object-signer';
import { openSoftwareSigner } from '../../pki/keys/software';
import type { RevocationSource, TimestampAuthority } from '../../pki/providers';
import { HttpRevocationSource } from '../../pki/revocation/http-source';
import { TrustStore } from '../../pki/trust/store';
import { HttpTimestampAuthority } from '../../pki/tsa/client';
import { onRunEnd } from '../hooks';

const execFileAsync = promisify(execFile);

/** Low PBKDF2 counts keep the suites fast; production uses the defaults. */
const TEST_KDF_ITERATIONS = 2_000;

export interface FixtureSigner {
  /** Unlocked for the whole test run (tests only; production unlocks per use). */
  signer: ClosableSigner;
  serial: string;
  certificate: Uint8Array;
  certificatePem: string;
  /** PEM certificate file. */
  certPath: string;
  /** Encrypted PKCS#8 PEM key file (passphrase below). */
  keyPath: string;
  /** PKCS#12 file with key, certificate, issuing CA and root. */
  p12Path: string;
  /** Certificate + issuing CA PEM bundle. */
  chainPath: string;
  passphrase: string;
}

export interface IssueSignerOptions {
  profile?: 'person' | 'seal';
  keyType?: KeyType;
  commonName?: string;
  notBefore?: Date;
  notAfter?: Date;
  validityDays?: number;
  /** Skip the load-time certificate checks (for expired / not-yet-valid certificates). */
  at?: Date;
}

export interface PkiFixture {
  dir: string;
  baseUrl: string;
  ocspUrl: string;
  tsaUrl: string;
  caPassphrase: string;
  ca: CertificateAuthority;
  services: PkiServices;
  root: { der: Uint8Array; pem: string; pemPath: string; name: string };
  issuing: { der: Uint8Array; pem: string; pemPath: string; name: string };
  /** Issuing CA + root PEM bundle (for -untrusted / -CAfile use). */
  caBundlePath: string;
  tsaCertificate: { der: Uint8Array; pemPath: string };
  signers: { rsa: FixtureSigner; ecdsa: FixtureSigner; seal: FixtureSigner };
  tsa: { local: TimestampAuthority; http: TimestampAuthority };
  revocation: { local: RevocationSource; http: RevocationSource };
  /** Trusts this fixture's root only. */
  trust: TrustStore;
  issueSigner(options?: IssueSignerOptions): Promise<FixtureSigner>;
  revoke(serial: string, reason?: RevocationReason): Promise<void>;
  /** Creates (once) an NSS db trusting the root ("CT,C,C"); returns its directory. */
  nssDb(): Promise<string>;
  close(): Promise<void>;
}

export interface CreatePkiFixtureOptions {
  organization?: string;
  /** CA key type; ec-p256 keeps fixture creation fast, rsa-3072 is the production default. */
  caKeyType?: KeyType;
}

let shared: Promise<PkiFixture> | null = null;

/** The per-process shared fixture; closed automatically after the whole mocha run. */
export function getPkiFixture(): Promise<PkiFixture> {
  if (!shared) {
    shared = createPkiFixture();
    const created = shared;
    onRunEnd(async () => {
      await (await created).close();
    });
  }
  return shared;
}

export async function createPkiFixture(options: CreatePkiFixtureOptions = {}): Promise<PkiFixture> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vanthu-pki-'));
  const caPassphrase = 'fixture CA passphrase';
  const organization = options.organization ?? 'Thành ủy Thử nghiệm';

  // The server comes first: its port goes into every certificate's CRL/OCSP/AIA URLs.
  let handler: PkiRequestHandler | null = null;
  const server: Server = createServer((req, res) => {
    if (handler) handler(req, res);
    else {
      res.writeHead(503);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;

  const store = new FileCaStore(path.join(dir, 'ca'));
  const backdate = new Date(Date.now() - 3 * 365 * 86_400_000);
  const initialised = await CertificateAuthority.init(store, {
    passphrase: caPassphrase,
    baseUrl,
    organization,
    keyType: options.caKeyType ?? 'ec-p256',
    notBefore: backdate,
    kdfIterations: TEST_KDF_ITERATIONS,
  });
  await initialised.close();
  const services = await PkiServices.open(store, caPassphrase, { kdfIterations: TEST_KDF_ITERATIONS });
  const ca = services.ca;
  handler = createPkiHandler(services, { basePath: '/pki' });

  const files = path.join(dir, 'files');
  await fs.mkdir(files, { recursive: true });
  const write = (name: string, data: string | Uint8Array) => {
    const file = path.join(files, name);
    writeFileSync(file, data);
    return file;
  };
  const rootDer = ca.certificate(ca.rootName);
  const issuingDer = ca.certificate(ca.issuingName);
  const rootPem = derToPem(rootDer, 'CERTIFICATE');
  const issuingPem = derToPem(issuingDer, 'CERTIFICATE');
  const tsaDer = services.tsa.certificate;

  let counter = 0;
  const issueSigner = async (opts: IssueSignerOptions = {}): Promise<FixtureSigner> => {
    counter += 1;
    const profile = opts.profile ?? 'person';
    const passphrase = `signer passphrase ${counter}`;
    const request: IssueRequest = {
      profile,
      subject:
        profile === 'seal'
          ? { commonName: organization, organization, organizationalUnit: 'Văn phòng' }
          : {
              commonName: opts.commonName ?? `Nguyễn Văn Thử ${counter}`,
              organization,
              organizationalUnit: 'Ban Tổ chức',
              email: `signer${counter}@example.vn`,
            },
      keyType: opts.keyType ?? 'ec-p256',
      keyPassphrase: passphrase,
      ...(opts.notBefore ? { notBefore: opts.notBefore } : {}),
      ...(opts.notAfter ? { notAfter: opts.notAfter } : {}),
      ...(opts.validityDays ? { validityDays: opts.validityDays } : {}),
    };
    const issued = await ca.issue(request);
    const base = `${profile}-${counter}-${issued.serial}`;
    const signer = await openSoftwareSigner({
      key: issued.pkcs12!,
      passphrase,
      ...(opts.at ? { at: opts.at } : {}),
    });
    return {
      signer,
      serial: issued.serial,
      certificate: issued.certificate,
      certificatePem: issued.certificatePem,
      certPath: write(`${base}.pem`, issued.certificatePem),
      keyPath: write(`${base}.key.pem`, issued.encryptedKeyPem!),
      p12Path: write(`${base}.p12`, issued.pkcs12!),
      chainPath: write(`${base}.chain.pem`, issued.certificatePem + issuingPem),
      passphrase,
    };
  };

  const [rsa, ecdsa, seal] = [
    await issueSigner({ keyType: 'rsa-2048', commonName: 'Trần Thị Ký (RSA)' }),
    await issueSigner({ keyType: 'ec-p256', commonName: 'Lê Văn Ký (ECDSA)' }),
    await issueSigner({ profile: 'seal', keyType: 'rsa-2048' }),
  ];

  let nssDir: Promise<string> | null = null;
  const nssDb = () => {
    nssDir ??= (async () => {
      const db = path.join(dir, 'nssdb');
      await fs.mkdir(db, { recursive: true });
      await execFileAsync('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
      await execFileAsync('certutil', [
        '-A',
        '-d',
        `sql:${db}`,
        '-n',
        'vanthu-test-root',
        '-t',
        'CT,C,C',
        '-i',
        rootPemPath,
      ]);
      return db;
    })();
    return nssDir;
  };

  const rootPemPath = write('root.pem', rootPem);
  const signersToClose = [rsa, ecdsa, seal];
  let closed = false;
  return {
    dir,
    baseUrl,
    ocspUrl: `${baseUrl}/pki/ocsp`,
    tsaUrl: `${baseUrl}/pki/tsa`,
    caPassphrase,
    ca,
    services,
    root: { der: rootDer, pem: rootPem, pemPath: rootPemPath, name: ca.rootName },
    issuing: {
      der: issuingDer,
      pem: issuingPem,
      pemPath: write('issuing.pem', issuingPem),
      name: ca.issuingName,
    },
    caBundlePath: write('ca-bundle.pem', issuingPem + rootPem),
    tsaCertificate: { der: tsaDer, pemPath: write('tsa.pem', derToPem(tsaDer, 'CERTIFICATE')) },
    signers: { rsa, ecdsa, seal },
    tsa: { local: services.timestampAuthority(), http: new HttpTimestampAuthority(`${baseUrl}/pki/tsa`) },
    revocation: { local: services.revocationSource(), http: new HttpRevocationSource({ timeoutMs: 5_000 }) },
    trust: new TrustStore([rootDer], [issuingDer]),
    issueSigner: async (opts) => {
      const issued = await issueSigner(opts);
      signersToClose.push(issued);
      return issued;
    },
    revoke: async (serial, reason = 'keyCompromise') => {
      await ca.revoke(serial, { reason });
    },
    nssDb,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const s of signersToClose) await s.signer.close();
      await services.close();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
