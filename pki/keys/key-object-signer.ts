/**
 * A Signer over a private key already unlocked in memory (Node KeyObject). The software
 * signer hands one out for the span of a single use; the CA, OCSP responder and TSA hold
 * theirs while they are running. close() drops the key: later sign() calls fail.
 */
import type { KeyObject } from 'node:crypto';
import { parseCertificate } from '../crypto/certificate';
import { checkHashAlgorithm, defaultHashFor } from '../crypto/policy';
import { signWithKey } from '../crypto/signing';
import { PkiError } from '../errors';
import type { HashAlgorithm, KeyAlgorithm, Signer } from '../signer';
import { checkKeyCertificate, type KeyPurpose } from './certificate-checks';

/** A Signer that must be closed when its use is over. */
export interface ClosableSigner extends Signer {
  close(): Promise<void>;
}

export interface KeyObjectSignerOptions {
  privateKey: KeyObject;
  certificate: Uint8Array;
  chain?: readonly Uint8Array[];
  hashAlgorithm?: HashAlgorithm;
  /** RSA keys: PKCS#1 v1.5 (default) or PSS. Ignored for ECDSA. */
  rsaPadding?: 'pkcs1' | 'pss';
  purpose?: KeyPurpose;
  /** Validation time for the certificate checks; now unless given. */
  at?: Date;
}

export class KeyObjectSigner implements ClosableSigner {
  readonly keyAlgorithm: KeyAlgorithm;
  readonly hashAlgorithm: HashAlgorithm;
  readonly certificate: Uint8Array;
  readonly chain: readonly Uint8Array[];
  #key: KeyObject | null;

  constructor(options: KeyObjectSignerOptions) {
    const { key } = checkKeyCertificate(options.certificate, {
      purpose: options.purpose ?? 'document',
      privateKey: options.privateKey,
      ...(options.at ? { at: options.at } : {}),
    });
    // An RSASSA-PSS key can only make PSS signatures, whatever padding was asked for.
    const pssOnly = options.privateKey.asymmetricKeyType === 'rsa-pss';
    this.keyAlgorithm =
      key.family === 'ECDSA' ? 'ECDSA' : options.rsaPadding === 'pss' || pssOnly ? 'RSA-PSS' : 'RSA';
    this.hashAlgorithm = options.hashAlgorithm
      ? checkHashAlgorithm(options.hashAlgorithm, 'signature hash')
      : defaultHashFor(key);
    this.certificate = options.certificate;
    this.chain = options.chain ? [...options.chain] : [];
    this.#key = options.privateKey;
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    if (!this.#key)
      throw new PkiError('key_unavailable', 'This signing key has been locked again; unlock it anew.');
    return signWithKey(this.#key, this.keyAlgorithm, this.hashAlgorithm, data);
  }

  async close(): Promise<void> {
    this.#key = null;
  }
}

/** Builds a KeyObjectSigner for a CA or service key without usage checks beyond `purpose`. */
export function keyObjectSigner(
  privateKey: KeyObject,
  certificate: Uint8Array,
  purpose: KeyPurpose,
  chain: readonly Uint8Array[] = [],
): KeyObjectSigner {
  parseCertificate(certificate);
  return new KeyObjectSigner({ privateKey, certificate, chain, purpose });
}
