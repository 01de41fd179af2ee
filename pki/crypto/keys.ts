/**
 * Key pairs and private keys at rest. Keys are generated asynchronously (a server keeps
 * answering while an RSA key is found) and written only as encrypted PKCS#8: PBES2 with
 * PBKDF2-HMAC-SHA256 and AES-256-CBC, with an iteration count we choose (Node's own export
 * is fixed at 2048 iterations, too few for a key file that may be copied off a server).
 */
import {
  createCipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateKeyPairCallback,
  type KeyObject,
  pbkdf2,
  randomBytes,
} from 'node:crypto';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import { PkiError } from '../errors';
import { derToPem, isPem, pemBlocks, toArrayBuffer } from './encoding';
import { OID } from './oids';
import { checkKey } from './policy';

const generateKeyPairAsync = promisify(generateKeyPairCallback);
const pbkdf2Async = promisify(pbkdf2);

export type KeyType = 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ec-p256' | 'ec-p384';
export const KEY_TYPES: readonly KeyType[] = ['rsa-2048', 'rsa-3072', 'rsa-4096', 'ec-p256', 'ec-p384'];

/** OWASP 2023 guidance for PBKDF2-HMAC-SHA256; about 0.1 s per unlock on a server core. */
export const DEFAULT_KDF_ITERATIONS = 600_000;

export function parseKeyType(value: string): KeyType {
  if ((KEY_TYPES as readonly string[]).includes(value)) return value as KeyType;
  throw new PkiError('invalid_input', `Unknown key type "${value}"; use one of ${KEY_TYPES.join(', ')}.`);
}

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export async function generateKeyPair(type: KeyType): Promise<KeyPair> {
  if (type.startsWith('rsa-')) {
    return generateKeyPairAsync('rsa', { modulusLength: Number(type.slice(4)), publicExponent: 0x10001 });
  }
  return generateKeyPairAsync('ec', { namedCurve: type === 'ec-p384' ? 'P-384' : 'P-256' });
}

/** DER SubjectPublicKeyInfo of a public or private key. */
export function spkiOf(key: KeyObject): Uint8Array {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
}

export function publicKeyFromSpki(spki: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (error) {
    throw new PkiError('invalid_input', 'The public key is not a valid SubjectPublicKeyInfo.', {
      cause: error,
    });
  }
}

/** Reads a public key from PEM (SPKI or certificate-free key) or DER SPKI. */
export function parsePublicKey(input: Uint8Array | string): KeyObject {
  try {
    if (isPem(input))
      return createPublicKey(typeof input === 'string' ? input : Buffer.from(input).toString('latin1'));
    if (typeof input === 'string') throw new Error('not PEM');
    return publicKeyFromSpki(input);
  } catch (error) {
    if (error instanceof PkiError) throw error;
    throw new PkiError('invalid_input', 'The public key is neither a PEM nor a DER SubjectPublicKeyInfo.', {
      cause: error,
    });
  }
}

export interface EncryptOptions {
  iterations?: number;
}

/** Encrypted PKCS#8 PEM ("ENCRYPTED PRIVATE KEY"), PBES2/PBKDF2-SHA256/AES-256-CBC. */
export async function encryptPrivateKey(
  key: KeyObject,
  passphrase: string,
  options: EncryptOptions = {},
): Promise<string> {
  if (passphrase.length === 0)
    throw new PkiError('invalid_input', 'An empty passphrase cannot protect a key.');
  const iterations = options.iterations ?? DEFAULT_KDF_ITERATIONS;
  const plain = key.export({ type: 'pkcs8', format: 'der' });
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const derived = await pbkdf2Async(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', derived, iv);
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  const info = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({
        value: [
          new asn1js.ObjectIdentifier({ value: OID.pbes2 }),
          new asn1js.Sequence({
            value: [
              new asn1js.Sequence({
                value: [
                  new asn1js.ObjectIdentifier({ value: OID.pbkdf2 }),
                  new asn1js.Sequence({
                    value: [
                      new asn1js.OctetString({ valueHex: salt }),
                      new asn1js.Integer({ value: iterations }),
                      new asn1js.Sequence({
                        value: [
                          new asn1js.ObjectIdentifier({ value: OID.hmacWithSHA256 }),
                          new asn1js.Null(),
                        ],
                      }),
                    ],
                  }),
                ],
              }),
              new asn1js.Sequence({
                value: [
                  new asn1js.ObjectIdentifier({ value: OID.aes256Cbc }),
                  new asn1js.OctetString({ valueHex: iv }),
                ],
              }),
            ],
          }),
        ],
      }),
      new asn1js.OctetString({ valueHex: encrypted }),
    ],
  });
  return derToPem(new Uint8Array(info.toBER(false)), 'ENCRYPTED PRIVATE KEY');
}

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

/** Whether bytes are an EncryptedPrivateKeyInfo: SEQUENCE { AlgorithmIdentifier, OCTET STRING }. */
function isEncryptedKeyInfo(der: Uint8Array): boolean {
  const parsed = asn1js.fromBER(toArrayBuffer(der));
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) return false;
  const [algorithm, data, ...rest] = parsed.result.valueBlock.value;
  return algorithm instanceof asn1js.Sequence && data instanceof asn1js.OctetString && rest.length === 0;
}

/**
 * Decrypts an encrypted PKCS#8 key (PEM or DER). Refuses a key stored in clear: keys at
 * rest must be encrypted (DESIGN invariant 7).
 */
export function decryptPrivateKey(input: Uint8Array | string, passphrase: string): KeyObject {
  let der: Buffer;
  if (isPem(input)) {
    const blocks = pemBlocks(input);
    const encrypted = blocks.find((b) => b.label === 'ENCRYPTED PRIVATE KEY');
    if (!encrypted) {
      if (blocks.some((b) => b.label.endsWith('PRIVATE KEY'))) {
        throw new PkiError(
          'invalid_input',
          'The private key is stored unencrypted; only encrypted PKCS#8 or PKCS#12 keys are accepted.',
        );
      }
      throw new PkiError('invalid_input', 'No ENCRYPTED PRIVATE KEY block found in the key file.');
    }
    der = Buffer.from(encrypted.der);
  } else {
    if (typeof input === 'string') throw new PkiError('invalid_input', 'The key is neither PEM nor DER.');
    der = Buffer.from(input);
    // EncryptedPrivateKeyInfo starts with an AlgorithmIdentifier; a clear PrivateKeyInfo
    // starts with its version INTEGER and must not slip through as "decrypted".
    const parsed = asn1js.fromBER(toArrayBuffer(input));
    const first = parsed.result instanceof asn1js.Sequence ? parsed.result.valueBlock.value[0] : undefined;
    if (first instanceof asn1js.Integer) {
      throw new PkiError(
        'invalid_input',
        'The private key is stored unencrypted; only encrypted PKCS#8 or PKCS#12 keys are accepted.',
      );
    }
  }
  try {
    return createPrivateKey({
      key: der,
      format: 'der',
      type: 'pkcs8',
      passphrase: Buffer.from(passphrase, 'utf8'),
    });
  } catch (error) {
    const code = errorCode(error);
    if (
      code === 'ERR_OSSL_BAD_DECRYPT' ||
      code === 'ERR_OSSL_EVP_BAD_DECRYPT' ||
      /bad decrypt/i.test(String(error)) ||
      // About one wrong passphrase in 256 decrypts to bytes whose CBC padding happens to be
      // valid; OpenSSL then fails reading them as a key. The envelope was sound, so it is
      // still the passphrase that is wrong, not the file.
      (isEncryptedKeyInfo(der) && /asn1 encoding routines|DECODER routines/i.test(String(error)))
    ) {
      throw new PkiError('wrong_passphrase', 'The passphrase does not unlock this private key.', {
        cause: error,
      });
    }
    throw new PkiError('invalid_input', 'The private key file cannot be read as encrypted PKCS#8.', {
      cause: error,
    });
  }
}

/** Checks a private key against the algorithm policy and returns its description. */
export function describePrivateKey(key: KeyObject): ReturnType<typeof checkKey> {
  return checkKey(key, 'private key');
}
