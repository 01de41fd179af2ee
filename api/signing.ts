/**
 * Signing with a key vanthu holds for someone: a software key stored as encrypted PKCS#8,
 * or a key on a PKCS#11 token. The passphrase (or PIN) arrives with the request, unlocks
 * the key in this process for exactly one signature, and goes nowhere else — not into
 * Temporal, not into a log. The workflow prepares what to sign and embeds the value.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { DomainError } from '../domain/errors';
import { isPkiError } from '../pki/errors';
import { withPkcs11Signer } from '../pki/keys/pkcs11';
import { withSoftwareSigner } from '../pki/keys/software';
import type { Signer } from '../pki/signer';

export interface StoredKey {
  id: number;
  kind: 'software' | 'pkcs11' | 'external';
  label: string;
  certificate: Buffer;
  chain: Buffer[];
  encrypted_key: string | null;
  pkcs11: { module: string; tokenLabel?: string; slot?: number; keyLabel?: string; keyId?: string } | null;
}

export async function personalKeyOf(sequelize: Sequelize, personId: number): Promise<StoredKey> {
  const [key] = await sequelize.query<StoredKey>(
    `SELECT id, kind, label, certificate, chain, encrypted_key, pkcs11 FROM signing_key
      WHERE person_id = $1 AND purpose = 'personal' AND active ORDER BY id DESC LIMIT 1`,
    { bind: [personId], type: QueryTypes.SELECT },
  );
  if (!key) {
    throw new DomainError(
      'validation',
      'you have no signing key here; ask the administrator, or sign with your token',
    );
  }
  return key;
}

export async function sealKeyOf(sequelize: Sequelize, unitId: number): Promise<StoredKey> {
  const [key] = await sequelize.query<StoredKey>(
    `SELECT id, kind, label, certificate, chain, encrypted_key, pkcs11 FROM signing_key
      WHERE unit_id = $1 AND purpose = 'seal' AND active ORDER BY id DESC LIMIT 1`,
    { bind: [unitId], type: QueryTypes.SELECT },
  );
  if (!key) throw new DomainError('validation', 'this unit has no seal key here; use its token');
  return key;
}

export function certificateOf(key: StoredKey): { certificate: string; chain: string[] } {
  return {
    certificate: key.certificate.toString('base64'),
    chain: key.chain.map((c) => c.toString('base64')),
  };
}

/**
 * Unlocks `key` with `secret`, lets `use` sign once through it, and locks it again.
 * A wrong passphrase or a missing token is the caller's to fix: a clear 400/403.
 */
export async function withStoredKey<T>(
  key: StoredKey,
  secret: string,
  use: (signer: Signer) => Promise<T>,
): Promise<T> {
  try {
    if (key.kind === 'software' && key.encrypted_key) {
      return await withSoftwareSigner(
        { key: key.encrypted_key, passphrase: secret, certificate: key.certificate, chain: key.chain },
        use,
      );
    }
    if (key.kind === 'pkcs11' && key.pkcs11) {
      return await withPkcs11Signer(
        { ...key.pkcs11, pin: secret, certificate: key.certificate, chain: key.chain },
        use,
      );
    }
  } catch (error) {
    if (isPkiError(error)) {
      if (error.code === 'wrong_passphrase')
        throw new DomainError('forbidden', 'sai mật khẩu khóa ký (wrong key passphrase)', 'body.passphrase');
      if (error.code === 'key_unavailable') throw new DomainError('unavailable', error.message);
      if (error.code.startsWith('certificate_')) throw new DomainError('validation', error.message);
    }
    throw error;
  }
  throw new DomainError(
    'validation',
    `${key.label} is held outside vanthu: prepare the signature and sign it with the token`,
  );
}

/** The two halves of a signature the workflow takes: what to sign, then the value. */
export interface SigningPhases<T> {
  prepare(certificate: {
    certificate: string;
    chain: string[];
  }): Promise<{ sessionId: string; toBeSigned: string }>;
  complete(signed: { sessionId: string; signatureValue: string }): Promise<T>;
}

/**
 * Both phases with a key vanthu holds: the key is unlocked first, so a wrong passphrase
 * changes nothing in the workflow; then it signs exactly what the workflow prepared.
 */
export function signWithStoredKey<T>(key: StoredKey, secret: string, phases: SigningPhases<T>): Promise<T> {
  return withStoredKey(key, secret, async (signer) => {
    const ready = await phases.prepare(certificateOf(key));
    const value = await signer.sign(Buffer.from(ready.toBeSigned, 'base64'));
    return phases.complete({
      sessionId: ready.sessionId,
      signatureValue: Buffer.from(value).toString('base64'),
    });
  });
}
