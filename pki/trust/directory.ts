/**
 * A trust store kept in a directory (the app uses <data>/pki/trust):
 *   anchors/<sha256>.crt         trusted roots, DER
 *   intermediates/<sha256>.crt   path-building helpers, DER
 * An empty or missing directory trusts nothing.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { certificateDer, isCaCertificate, parseCertificate } from '../crypto/certificate';
import { PkiError } from '../errors';
import { type ImportResult, importCertificates, readCertificateFile, TrustStore } from './store';

const KIND_DIRECTORY = { anchor: 'anchors', intermediate: 'intermediates' } as const;

async function readDirectory(directory: string): Promise<Uint8Array[]> {
  let names: string[];
  try {
    names = await fs.readdir(directory);
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT') return [];
    throw new PkiError('internal', `The trust directory ${directory} cannot be read.`, { cause: error });
  }
  const certificates: Uint8Array[] = [];
  for (const name of names.filter((n) => n.endsWith('.crt')).sort()) {
    certificates.push(new Uint8Array(await fs.readFile(path.join(directory, name))));
  }
  return certificates;
}

/** Loads the trust store kept in `directory`. */
export async function loadTrustStore(directory: string): Promise<TrustStore> {
  return new TrustStore(
    await readDirectory(path.join(directory, KIND_DIRECTORY.anchor)),
    await readDirectory(path.join(directory, KIND_DIRECTORY.intermediate)),
  );
}

/**
 * Imports the CA certificates of a file (PEM, DER or PKCS#12 with `passphrase`) into the
 * trust directory, as anchors or intermediates.
 */
export async function importTrustFile(
  directory: string,
  file: Uint8Array,
  options: { kind: 'anchor' | 'intermediate'; passphrase?: string },
): Promise<ImportResult> {
  const certificates = readCertificateFile(file, options.passphrase);
  const outcome = importCertificates(await loadTrustStore(directory), certificates, options.kind);
  const target = path.join(directory, KIND_DIRECTORY[options.kind]);
  await fs.mkdir(target, { recursive: true, mode: 0o700 });
  for (const der of certificates) {
    const cert = parseCertificate(der);
    if (!isCaCertificate(cert)) continue;
    const canonical = certificateDer(cert);
    const name = `${createHash('sha256').update(canonical).digest('hex')}.crt`;
    const temp = path.join(target, `.${name}.${process.pid}.tmp`);
    await fs.writeFile(temp, canonical, { mode: 0o644 });
    await fs.rename(temp, path.join(target, name));
  }
  return outcome;
}
