/**
 * CaStore on a directory (the app puts it at <data>/pki). Layout:
 *
 *   deployment.json                      which CAs exist, public base URL
 *   authorities/<name>.json + .key.pem   CA certificate, encrypted key
 *   credentials/<name>.json + .key.pem   OCSP responder / TSA certificate, encrypted key
 *   issued/<ca>/<serial>.json            every certificate issued, with its revocation
 *   state/<ca>.json                      CRL number, revocation revision, revoked list
 *   crl/<ca>.json                        latest CRL (DER, base64) and its metadata
 *
 * Files are written to a temporary name and renamed, so a crash never leaves half a file;
 * counters change under a lock file so the CLI and a running server can share the
 * directory. Directories are 0700 and files 0600: the key files are encrypted, the rest is
 * nobody else's business either.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { PkiError } from '../errors';
import type {
  AuthorityRecord,
  CaStore,
  CredentialRecord,
  CrlRecord,
  DeploymentRecord,
  IssuedRecord,
  RevocationRecord,
  RevokedEntry,
} from './store';

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const SERIAL = /^[0-9a-f]{1,40}$/;
const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 10_000;

interface StateFile {
  crlNumber: string;
  revision: number;
  revoked: RevokedEntry[];
}

interface StoredCertificate {
  certificate: string;
}

function checkName(name: string): string {
  if (!NAME.test(name)) {
    throw new PkiError('invalid_input', `"${name}" is not a valid CA or credential name (a-z, 0-9, -).`);
  }
  return name;
}

function checkSerial(serial: string): string {
  if (!SERIAL.test(serial))
    throw new PkiError('invalid_input', `"${serial}" is not a normalised hex serial number.`);
  return serial;
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function unb64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}

export class FileCaStore implements CaStore {
  constructor(readonly directory: string) {}

  private file(...parts: string[]): string {
    return path.join(this.directory, ...parts);
  }

  private async write(file: string, data: string | Uint8Array): Promise<void> {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
    await fs.writeFile(temp, data, { mode: 0o600 });
    await fs.rename(temp, file);
  }

  private async read(file: string): Promise<Buffer | null> {
    try {
      return await fs.readFile(file);
    } catch (error) {
      if (isMissing(error)) return null;
      throw new PkiError('internal', `The CA store file ${file} cannot be read.`, { cause: error });
    }
  }

  private async readJson<T>(file: string): Promise<T | null> {
    const data = await this.read(file);
    if (data === null) return null;
    try {
      return JSON.parse(data.toString('utf8')) as T;
    } catch (error) {
      throw new PkiError('internal', `The CA store file ${file} is damaged.`, { cause: error });
    }
  }

  private async writeJson(file: string, value: unknown): Promise<void> {
    await this.write(file, `${JSON.stringify(value, null, 2)}\n`);
  }

  /** Runs `action` holding <dir>/state/<name>.lock, across processes. */
  private async locked<T>(name: string, action: () => Promise<T>): Promise<T> {
    const lock = this.file('state', `${name}.lock`);
    await fs.mkdir(path.dirname(lock), { recursive: true, mode: 0o700 });
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const handle = await fs.open(lock, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
        await handle.writeFile(String(process.pid));
        await handle.close();
        break;
      } catch (error) {
        if (!(typeof error === 'object' && error !== null && 'code' in error && error.code === 'EEXIST'))
          throw error;
        const stat = await fs.stat(lock).catch(() => null);
        if (stat && Date.now() - stat.mtimeMs > LOCK_STALE_MS) {
          await fs.rm(lock, { force: true });
          continue;
        }
        if (Date.now() > deadline) {
          throw new PkiError('conflict', `The CA store is locked by another process (${lock}).`);
        }
        await new Promise((resolve) => setTimeout(resolve, 15 + Math.random() * 20));
      }
    }
    try {
      return await action();
    } finally {
      await fs.rm(lock, { force: true });
    }
  }

  private async readState(caName: string): Promise<StateFile> {
    return (
      (await this.readJson<StateFile>(this.file('state', `${caName}.json`))) ?? {
        crlNumber: '0',
        revision: 0,
        revoked: [],
      }
    );
  }

  async readDeployment(): Promise<DeploymentRecord | null> {
    return this.readJson<DeploymentRecord>(this.file('deployment.json'));
  }

  async writeDeployment(record: DeploymentRecord): Promise<void> {
    await this.writeJson(this.file('deployment.json'), record);
  }

  async readAuthority(name: string): Promise<AuthorityRecord | null> {
    checkName(name);
    const meta = await this.readJson<
      Omit<AuthorityRecord, 'certificate' | 'encryptedKey'> & StoredCertificate
    >(this.file('authorities', `${name}.json`));
    const key = await this.read(this.file('authorities', `${name}.key.pem`));
    if (!meta || !key) return null;
    return { ...meta, certificate: unb64(meta.certificate), encryptedKey: key.toString('utf8') };
  }

  async writeAuthority(record: AuthorityRecord): Promise<void> {
    checkName(record.name);
    await this.write(this.file('authorities', `${record.name}.key.pem`), record.encryptedKey);
    const { encryptedKey: _key, ...meta } = record;
    await this.writeJson(this.file('authorities', `${record.name}.json`), {
      ...meta,
      certificate: b64(record.certificate),
    });
  }

  async readCredential(name: string): Promise<CredentialRecord | null> {
    checkName(name);
    const meta = await this.readJson<
      Omit<CredentialRecord, 'certificate' | 'encryptedKey'> & StoredCertificate
    >(this.file('credentials', `${name}.json`));
    const key = await this.read(this.file('credentials', `${name}.key.pem`));
    if (!meta || !key) return null;
    return { ...meta, certificate: unb64(meta.certificate), encryptedKey: key.toString('utf8') };
  }

  async writeCredential(record: CredentialRecord): Promise<void> {
    checkName(record.name);
    await this.write(this.file('credentials', `${record.name}.key.pem`), record.encryptedKey);
    const { encryptedKey: _key, ...meta } = record;
    await this.writeJson(this.file('credentials', `${record.name}.json`), {
      ...meta,
      certificate: b64(record.certificate),
    });
  }

  async listCredentials(): Promise<CredentialRecord[]> {
    const names = await fs.readdir(this.file('credentials')).catch((error: unknown) => {
      if (isMissing(error)) return [] as string[];
      throw error;
    });
    const records = await Promise.all(
      names.filter((n) => n.endsWith('.json')).map((n) => this.readCredential(n.slice(0, -5))),
    );
    return records.filter((r): r is CredentialRecord => r !== null);
  }

  private issuedFile(caName: string, serial: string): string {
    return this.file('issued', checkName(caName), `${checkSerial(serial)}.json`);
  }

  private toIssued(
    stored: (Omit<IssuedRecord, 'certificate'> & StoredCertificate) | null,
  ): IssuedRecord | null {
    return stored ? { ...stored, certificate: unb64(stored.certificate) } : null;
  }

  async addIssued(record: IssuedRecord): Promise<void> {
    const file = this.issuedFile(record.caName, record.serial);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const body = `${JSON.stringify({ ...record, certificate: b64(record.certificate) }, null, 2)}\n`;
    try {
      // 'wx' makes the serial claim atomic: a second writer of the same serial fails here.
      await fs.writeFile(file, body, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'EEXIST') {
        throw new PkiError(
          'conflict',
          `Serial ${record.serial} has already been issued by ${record.caName}.`,
        );
      }
      throw error;
    }
  }

  async findIssued(caName: string, serial: string): Promise<IssuedRecord | null> {
    return this.toIssued(await this.readJson(this.issuedFile(caName, serial)));
  }

  async listIssued(caName?: string): Promise<IssuedRecord[]> {
    const cas = caName
      ? [checkName(caName)]
      : await fs.readdir(this.file('issued')).catch((error: unknown) => {
          if (isMissing(error)) return [] as string[];
          throw error;
        });
    const records: IssuedRecord[] = [];
    for (const ca of cas) {
      const files = await fs.readdir(this.file('issued', ca)).catch((error: unknown) => {
        if (isMissing(error)) return [] as string[];
        throw error;
      });
      for (const name of files.filter((f) => f.endsWith('.json'))) {
        const record = await this.findIssued(ca, name.slice(0, -5));
        if (record) records.push(record);
      }
    }
    return records.sort((a, b) => a.issuedAt.localeCompare(b.issuedAt));
  }

  async revoke(caName: string, serial: string, revocation: RevocationRecord): Promise<IssuedRecord> {
    return this.locked(checkName(caName), async () => {
      const record = await this.findIssued(caName, serial);
      if (!record)
        throw new PkiError('not_found', `${caName} has not issued a certificate with serial ${serial}.`);
      if (record.revocation) {
        throw new PkiError(
          'conflict',
          `The certificate ${serial} was already revoked on ${record.revocation.time}.`,
        );
      }
      const updated: IssuedRecord = { ...record, revocation };
      await this.writeJson(this.issuedFile(caName, serial), {
        ...updated,
        certificate: b64(updated.certificate),
      });
      const state = await this.readState(caName);
      state.revoked.push({ serial, ...revocation });
      state.revision += 1;
      await this.writeJson(this.file('state', `${caName}.json`), state);
      return updated;
    });
  }

  async listRevoked(caName: string): Promise<RevokedEntry[]> {
    return (await this.readState(checkName(caName))).revoked;
  }

  async revocationRevision(caName: string): Promise<number> {
    return (await this.readState(checkName(caName))).revision;
  }

  async takeCrlNumber(caName: string): Promise<bigint> {
    return this.locked(checkName(caName), async () => {
      const state = await this.readState(caName);
      const next = BigInt(state.crlNumber) + 1n;
      state.crlNumber = next.toString();
      await this.writeJson(this.file('state', `${caName}.json`), state);
      return next;
    });
  }

  async writeCrl(record: CrlRecord): Promise<void> {
    await this.locked(checkName(record.caName), async () => {
      // Keep the newest: a slow writer must not replace a later CRL with an older one.
      const current = await this.readCrl(record.caName);
      if (current && BigInt(current.number) > BigInt(record.number)) return;
      await this.writeJson(this.file('crl', `${record.caName}.json`), { ...record, der: b64(record.der) });
    });
  }

  async readCrl(caName: string): Promise<CrlRecord | null> {
    const stored = await this.readJson<Omit<CrlRecord, 'der'> & { der: string }>(
      this.file('crl', `${checkName(caName)}.json`),
    );
    return stored ? { ...stored, der: unb64(stored.der) } : null;
  }
}
