/**
 * Software keys: an encrypted PKCS#8 file (with its certificate) or a PKCS#12 file, unlocked
 * with a passphrase.
 *
 * Lifecycle — the key is in clear only while it is used:
 *   withSoftwareSigner(options, async (signer) => …)   decrypts, checks, runs the callback,
 *                                                      then locks the key again, even on error.
 *   openSoftwareSigner(options) → ClosableSigner        the same, with close() left to the
 *                                                      caller (use try/finally).
 * The passphrase is not kept: a closed signer cannot be reopened without it. On load the
 * certificate is checked (validity, key usage for the purpose, algorithm policy) and must
 * belong to the key.
 */
import { parseCertificate, parseCertificates } from '../crypto/certificate';
import { isPem } from '../crypto/encoding';
import { decryptPrivateKey } from '../crypto/keys';
import { PkiError } from '../errors';
import type { HashAlgorithm } from '../signer';
import type { KeyPurpose } from './certificate-checks';
import { type ClosableSigner, KeyObjectSigner } from './key-object-signer';
import { readPkcs12 } from './pkcs12';

export interface SoftwareKeyOptions {
  /** Encrypted PKCS#8 (PEM or DER) or PKCS#12 bytes. */
  key: Uint8Array | string;
  passphrase: string;
  /** Certificate (PEM/DER; a PEM bundle may carry the chain after it). Required for PKCS#8. */
  certificate?: Uint8Array | string;
  /** Intermediates, nearest first; taken from the PKCS#12 file or the PEM bundle when omitted. */
  chain?: Array<Uint8Array | string>;
  hashAlgorithm?: HashAlgorithm;
  rsaPadding?: 'pkcs1' | 'pss';
  /** Certificate validation time; now unless given. */
  at?: Date;
  /** What the key will sign; 'document' unless given. */
  purpose?: KeyPurpose;
}

/** True when DER bytes look like a PKCS#12 PFX (SEQUENCE { INTEGER 3, … }). */
function looksLikePkcs12(bytes: Uint8Array): boolean {
  // 30 len 02 01 03 — with a short, long-1 or long-2 form length.
  for (const offset of [2, 3, 4]) {
    if (bytes[offset] === 0x02 && bytes[offset + 1] === 0x01 && bytes[offset + 2] === 0x03)
      return bytes[0] === 0x30;
  }
  return false;
}

/** Decrypts the key and checks it with its certificate; the caller must close() the signer. */
export async function openSoftwareSigner(options: SoftwareKeyOptions): Promise<ClosableSigner> {
  if (typeof options.passphrase !== 'string' || options.passphrase.length === 0) {
    throw new PkiError('wrong_passphrase', 'A passphrase is needed to unlock this key.');
  }
  const key = options.key;
  let privateKey: ReturnType<typeof decryptPrivateKey>;
  let certificate: Uint8Array;
  let chain: Uint8Array[];
  if (!isPem(key) && typeof key !== 'string' && looksLikePkcs12(key)) {
    const contents = readPkcs12(key, options.passphrase, { requireKey: true });
    if (!contents.privateKey || !contents.certificate) {
      throw new PkiError('invalid_input', 'The PKCS#12 file holds no key with its certificate.');
    }
    privateKey = contents.privateKey;
    certificate = options.certificate ? parseCertificates(options.certificate)[0]! : contents.certificate;
    chain = options.chain ? options.chain.map((c) => parseCertificates(c)[0]!) : contents.chain;
  } else {
    if (!options.certificate) {
      throw new PkiError('invalid_input', 'A PKCS#8 key needs its certificate alongside.');
    }
    privateKey = decryptPrivateKey(key, options.passphrase);
    const bundle = parseCertificates(options.certificate, 'certificate file');
    certificate = bundle[0]!;
    chain = options.chain ? options.chain.map((c) => parseCertificates(c)[0]!) : bundle.slice(1);
  }
  // Drop a self-signed root from the chain: Signer.chain is the intermediates.
  chain = chain.filter((der) => {
    const cert = parseCertificate(der);
    return !cert.subject.isEqual(cert.issuer);
  });
  return new KeyObjectSigner({
    privateKey,
    certificate,
    chain,
    purpose: options.purpose ?? 'document',
    ...(options.hashAlgorithm ? { hashAlgorithm: options.hashAlgorithm } : {}),
    ...(options.rsaPadding ? { rsaPadding: options.rsaPadding } : {}),
    ...(options.at ? { at: options.at } : {}),
  });
}

/** Unlocks the key for the duration of `use` only. */
export async function withSoftwareSigner<T>(
  options: SoftwareKeyOptions,
  use: (signer: ClosableSigner) => Promise<T>,
): Promise<T> {
  const signer = await openSoftwareSigner(options);
  try {
    return await use(signer);
  } finally {
    await signer.close();
  }
}
