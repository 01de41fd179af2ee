/**
 * Keys in a PKCS#11 token or HSM (tested with SoftHSM2). The private key never leaves the
 * token: we hash in Node and ask the token for the raw operation (CKM_RSA_PKCS over a
 * DigestInfo, CKM_RSA_PKCS_PSS over the digest, CKM_ECDSA over the digest), which every
 * token supports, unlike the combined hash-and-sign mechanisms.
 *
 * Lifecycle: openPkcs11Signer() loads the module, opens a session on the token, logs in
 * with the PIN and finds the key and its certificate; close() closes the session (the token
 * logs the application out when its last session closes) and finalizes the module when no
 * other signer uses it. withPkcs11Signer() does both around one use.
 *
 * Failures: module missing or unloadable, token or key not found, PIN locked →
 * key_unavailable; wrong PIN → wrong_passphrase; certificate problems → their own codes.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkcs11js from 'pkcs11js';
import { parseCertificate, parseCertificates, publicKeyOf } from '../crypto/certificate';
import { fromHex, toArrayBuffer } from '../crypto/encoding';
import { HASH_LENGTH, OID } from '../crypto/oids';
import { defaultHashFor } from '../crypto/policy';
import { digest, digestInfo, ecdsaRawToDer, verifyWithKey } from '../crypto/signing';
import { PkiError } from '../errors';
import type { HashAlgorithm, KeyAlgorithm } from '../signer';
import { checkKeyCertificate, type KeyPurpose } from './certificate-checks';
import type { ClosableSigner } from './key-object-signer';

export interface Pkcs11KeyOptions {
  /** Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  module: string;
  /** Token label (preferred) … */
  tokenLabel?: string;
  /** … or the index of the slot among those with a token present. */
  slot?: number;
  pin: string;
  /** Key label (CKA_LABEL) and/or id (CKA_ID, hex or bytes); at least one. */
  keyLabel?: string;
  keyId?: string | Uint8Array;
  /** The key's certificate; read from the token (same CKA_ID, else same label) when omitted. */
  certificate?: Uint8Array | string;
  chain?: Array<Uint8Array | string>;
  hashAlgorithm?: HashAlgorithm;
  rsaPadding?: 'pkcs1' | 'pss';
  purpose?: KeyPurpose;
  at?: Date;
}

interface LoadedModule {
  library: pkcs11js.PKCS11;
  users: number;
}

const modules = new Map<string, LoadedModule>();

function errorName(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function hasCode(error: unknown, code: number): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

function acquireModule(path: string): pkcs11js.PKCS11 {
  const loaded = modules.get(path);
  if (loaded) {
    loaded.users += 1;
    return loaded.library;
  }
  const library = new pkcs11js.PKCS11();
  try {
    library.load(path);
  } catch (error) {
    throw new PkiError(
      'key_unavailable',
      `The PKCS#11 module ${path} cannot be loaded (${errorName(error)}).`,
      {
        cause: error,
      },
    );
  }
  try {
    library.C_Initialize();
  } catch (error) {
    if (!hasCode(error, pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
      library.close();
      throw new PkiError(
        'key_unavailable',
        `The PKCS#11 module ${path} failed to initialise (${errorName(error)}).`,
        {
          cause: error,
        },
      );
    }
  }
  modules.set(path, { library, users: 1 });
  return library;
}

function releaseModule(path: string): void {
  const loaded = modules.get(path);
  if (!loaded) return;
  loaded.users -= 1;
  if (loaded.users > 0) return;
  modules.delete(path);
  try {
    loaded.library.C_Finalize();
  } catch {
    // Finalizing a module that failed is not worth a second error.
  }
  loaded.library.close();
}

function findSlot(library: pkcs11js.PKCS11, options: Pkcs11KeyOptions): pkcs11js.Handle {
  const slots = library.C_GetSlotList(true);
  if (options.tokenLabel !== undefined) {
    for (const slot of slots) {
      const label = library.C_GetTokenInfo(slot).label.trim();
      if (label === options.tokenLabel) return slot;
    }
    throw new PkiError('key_unavailable', `No PKCS#11 token labelled "${options.tokenLabel}" is present.`);
  }
  const slot = slots[options.slot ?? 0];
  if (!slot) throw new PkiError('key_unavailable', `PKCS#11 slot ${options.slot ?? 0} has no token.`);
  return slot;
}

function findObjects(
  library: pkcs11js.PKCS11,
  session: pkcs11js.Handle,
  template: pkcs11js.Template,
): pkcs11js.Handle[] {
  library.C_FindObjectsInit(session, template);
  try {
    return library.C_FindObjects(session, 16);
  } finally {
    library.C_FindObjectsFinal(session);
  }
}

function keyTemplate(objectClass: number, options: Pkcs11KeyOptions): pkcs11js.Template {
  const template: pkcs11js.Template = [{ type: pkcs11js.CKA_CLASS, value: objectClass }];
  if (options.keyLabel !== undefined) template.push({ type: pkcs11js.CKA_LABEL, value: options.keyLabel });
  if (options.keyId !== undefined) {
    const id = typeof options.keyId === 'string' ? fromHex(options.keyId, 'PKCS#11 key id') : options.keyId;
    template.push({ type: pkcs11js.CKA_ID, value: Buffer.from(id) });
  }
  return template;
}

function describeKey(options: Pkcs11KeyOptions): string {
  const parts = [];
  if (options.keyLabel !== undefined) parts.push(`labelled "${options.keyLabel}"`);
  if (options.keyId !== undefined)
    parts.push(
      `with id ${typeof options.keyId === 'string' ? options.keyId : Buffer.from(options.keyId).toString('hex')}`,
    );
  return parts.join(' and ');
}

/** One attribute value, or null when the object does not have it (or hides it). */
function attribute(
  library: pkcs11js.PKCS11,
  session: pkcs11js.Handle,
  object: pkcs11js.Handle,
  type: number,
): Buffer | null {
  try {
    const [value] = library.C_GetAttributeValue(session, object, [{ type }]);
    return Buffer.isBuffer(value?.value) ? value.value : null;
  } catch {
    return null;
  }
}

/** An open, logged-in session on the token that holds the key. */
class TokenSession {
  readonly library: pkcs11js.PKCS11;
  readonly session: pkcs11js.Handle;
  #open = true;

  private constructor(
    readonly modulePath: string,
    library: pkcs11js.PKCS11,
    session: pkcs11js.Handle,
  ) {
    this.library = library;
    this.session = session;
  }

  static open(options: Pkcs11KeyOptions): TokenSession {
    if (options.keyLabel === undefined && options.keyId === undefined) {
      throw new PkiError('invalid_input', 'Name the PKCS#11 key by label or id.');
    }
    const library = acquireModule(options.module);
    let session: pkcs11js.Handle | null = null;
    try {
      const slot = findSlot(library, options);
      session = library.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
      try {
        library.C_Login(session, pkcs11js.CKU_USER, options.pin);
      } catch (error) {
        if (!hasCode(error, pkcs11js.CKR_USER_ALREADY_LOGGED_IN)) throw error;
      }
      return new TokenSession(options.module, library, session);
    } catch (error) {
      if (session !== null) {
        try {
          library.C_CloseSession(session);
        } catch {
          // The session is being abandoned anyway.
        }
      }
      releaseModule(options.module);
      if (error instanceof PkiError) throw error;
      if (hasCode(error, pkcs11js.CKR_PIN_INCORRECT) || hasCode(error, pkcs11js.CKR_PIN_LEN_RANGE)) {
        throw new PkiError('wrong_passphrase', 'The PIN was refused by the token.', { cause: error });
      }
      if (hasCode(error, pkcs11js.CKR_PIN_LOCKED)) {
        throw new PkiError(
          'key_unavailable',
          'The token PIN is locked; ask its security officer to unlock it.',
          {
            cause: error,
          },
        );
      }
      throw new PkiError('key_unavailable', `The PKCS#11 token could not be opened (${errorName(error)}).`, {
        cause: error,
      });
    }
  }

  find(objectClass: number, options: Pkcs11KeyOptions): pkcs11js.Handle | null {
    return findObjects(this.library, this.session, keyTemplate(objectClass, options))[0] ?? null;
  }

  attribute(object: pkcs11js.Handle, type: number): Buffer | null {
    return attribute(this.library, this.session, object, type);
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    try {
      this.library.C_CloseSession(this.session);
    } catch {
      // Closing is best effort; the module is finalized below in any case.
    }
    releaseModule(this.modulePath);
  }
}

/** Reads the certificate stored next to the key: same CKA_ID, else same label. */
function certificateFromToken(
  token: TokenSession,
  privateKey: pkcs11js.Handle,
  options: Pkcs11KeyOptions,
): Uint8Array {
  const id = token.attribute(privateKey, pkcs11js.CKA_ID);
  const byId =
    id && id.length > 0
      ? token.find(pkcs11js.CKO_CERTIFICATE, { ...options, keyLabel: undefined, keyId: id })
      : null;
  const object =
    byId ??
    (options.keyLabel !== undefined
      ? token.find(pkcs11js.CKO_CERTIFICATE, { ...options, keyId: undefined })
      : null);
  const value = object ? token.attribute(object, pkcs11js.CKA_VALUE) : null;
  if (!value) {
    throw new PkiError(
      'key_unavailable',
      `The token holds no certificate for the key ${describeKey(options)}; give it explicitly.`,
    );
  }
  return new Uint8Array(value);
}

class Pkcs11Signer implements ClosableSigner {
  readonly keyAlgorithm: KeyAlgorithm;
  readonly hashAlgorithm: HashAlgorithm;
  readonly certificate: Uint8Array;
  readonly chain: readonly Uint8Array[];
  readonly #outputLength: number;
  #token: TokenSession | null;
  readonly #key: pkcs11js.Handle;

  constructor(
    token: TokenSession,
    key: pkcs11js.Handle,
    certificate: Uint8Array,
    chain: Uint8Array[],
    options: Pkcs11KeyOptions,
  ) {
    const { key: description } = checkKeyCertificate(certificate, {
      purpose: options.purpose ?? 'document',
      ...(options.at ? { at: options.at } : {}),
    });
    this.keyAlgorithm =
      description.family === 'ECDSA' ? 'ECDSA' : options.rsaPadding === 'pss' ? 'RSA-PSS' : 'RSA';
    this.hashAlgorithm = options.hashAlgorithm ?? defaultHashFor(description);
    this.certificate = certificate;
    this.chain = chain;
    this.#outputLength =
      description.family === 'ECDSA' ? 2 * Math.ceil(description.bits / 8) : Math.ceil(description.bits / 8);
    this.#token = token;
    this.#key = key;
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    const token = this.#token;
    if (!token) throw new PkiError('key_unavailable', 'The PKCS#11 session of this key has been closed.');
    const hashed = digest(this.hashAlgorithm, data);
    let mechanism: pkcs11js.Mechanism;
    let input: Uint8Array;
    if (this.keyAlgorithm === 'ECDSA') {
      mechanism = { mechanism: pkcs11js.CKM_ECDSA };
      input = hashed;
    } else if (this.keyAlgorithm === 'RSA-PSS') {
      const pss: Record<HashAlgorithm, [number, number]> = {
        'SHA-256': [pkcs11js.CKM_SHA256, pkcs11js.CKG_MGF1_SHA256],
        'SHA-384': [pkcs11js.CKM_SHA384, pkcs11js.CKG_MGF1_SHA384],
        'SHA-512': [pkcs11js.CKM_SHA512, pkcs11js.CKG_MGF1_SHA512],
      };
      const [hashAlg, mgf] = pss[this.hashAlgorithm];
      const parameter: pkcs11js.RsaPSS = {
        type: pkcs11js.CK_PARAMS_RSA_PSS,
        hashAlg,
        mgf,
        saltLen: HASH_LENGTH[this.hashAlgorithm],
      };
      mechanism = { mechanism: pkcs11js.CKM_RSA_PKCS_PSS, parameter };
      input = hashed;
    } else {
      mechanism = { mechanism: pkcs11js.CKM_RSA_PKCS };
      input = digestInfo(this.hashAlgorithm, hashed);
    }
    let value: Buffer;
    try {
      token.library.C_SignInit(token.session, mechanism, this.#key);
      value = token.library.C_Sign(token.session, Buffer.from(input), Buffer.alloc(this.#outputLength + 16));
    } catch (error) {
      throw new PkiError('key_unavailable', `The PKCS#11 token refused to sign (${errorName(error)}).`, {
        cause: error,
      });
    }
    return this.keyAlgorithm === 'ECDSA' ? ecdsaRawToDer(new Uint8Array(value)) : new Uint8Array(value);
  }

  async close(): Promise<void> {
    this.#token?.close();
    this.#token = null;
  }
}

/** Opens the token, logs in and returns a Signer for the key; close() it when done. */
export async function openPkcs11Signer(options: Pkcs11KeyOptions): Promise<ClosableSigner> {
  const token = TokenSession.open(options);
  try {
    const key = token.find(pkcs11js.CKO_PRIVATE_KEY, options);
    if (key === null) {
      throw new PkiError('key_unavailable', `The token holds no private key ${describeKey(options)}.`);
    }
    const certificate = options.certificate
      ? parseCertificates(options.certificate)[0]!
      : certificateFromToken(token, key, options);
    const chain = (options.chain ?? []).map((c) => parseCertificates(c)[0]!);
    const signer = new Pkcs11Signer(token, key, certificate, chain, options);
    // The certificate must belong to this very key: sign a probe and verify it.
    const probe = new TextEncoder().encode('vanthu key/certificate match probe');
    if (
      !verifyWithKey(
        publicKeyOf(parseCertificate(certificate)),
        signer.keyAlgorithm,
        signer.hashAlgorithm,
        probe,
        await signer.sign(probe),
      )
    ) {
      throw new PkiError('invalid_input', 'The certificate does not belong to the key in the token.');
    }
    return signer;
  } catch (error) {
    token.close();
    throw error;
  }
}

/** Opens the token for the duration of `use` only. */
export async function withPkcs11Signer<T>(
  options: Pkcs11KeyOptions,
  use: (signer: ClosableSigner) => Promise<T>,
): Promise<T> {
  const signer = await openPkcs11Signer(options);
  try {
    return await use(signer);
  } finally {
    await signer.close();
  }
}

const CURVES_BY_PARAMS: Readonly<Record<string, 'P-256' | 'P-384' | 'P-521'>> = {
  [OID.secp256r1]: 'P-256',
  [OID.secp384r1]: 'P-384',
  [OID.secp521r1]: 'P-521',
};

/**
 * The public key of a token key (from its CKO_PUBLIC_KEY object), e.g. to have our CA
 * issue its certificate. Needs the PIN only when the token hides public objects.
 */
export async function readPkcs11PublicKey(options: Pkcs11KeyOptions): Promise<KeyObject> {
  const token = TokenSession.open(options);
  try {
    const object = token.find(pkcs11js.CKO_PUBLIC_KEY, options);
    if (object === null)
      throw new PkiError('key_unavailable', `The token holds no public key ${describeKey(options)}.`);
    const modulus = token.attribute(object, pkcs11js.CKA_MODULUS);
    if (modulus) {
      const exponent = token.attribute(object, pkcs11js.CKA_PUBLIC_EXPONENT);
      if (!exponent) throw new PkiError('key_unavailable', 'The token RSA key has no public exponent.');
      return createPublicKey({
        key: { kty: 'RSA', n: modulus.toString('base64url'), e: exponent.toString('base64url') },
        format: 'jwk',
      });
    }
    const params = token.attribute(object, pkcs11js.CKA_EC_PARAMS);
    const pointDer = token.attribute(object, pkcs11js.CKA_EC_POINT);
    if (!params || !pointDer) throw new PkiError('key_unavailable', 'The token key is neither RSA nor EC.');
    const curveOid = asn1js.fromBER(toArrayBuffer(params)).result;
    const curve =
      curveOid instanceof asn1js.ObjectIdentifier
        ? CURVES_BY_PARAMS[curveOid.valueBlock.toString()]
        : undefined;
    if (!curve)
      throw new PkiError('weak_algorithm', 'The token key uses a curve outside P-256, P-384 and P-521.');
    // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point 04‖x‖y.
    const wrapped = asn1js.fromBER(toArrayBuffer(pointDer)).result;
    const point =
      wrapped instanceof asn1js.OctetString ? Buffer.from(wrapped.valueBlock.valueHexView) : pointDer;
    const size = (point.length - 1) / 2;
    if (point[0] !== 0x04 || !Number.isInteger(size))
      throw new PkiError('key_unavailable', 'The token EC point is not uncompressed.');
    return createPublicKey({
      key: {
        kty: 'EC',
        crv: curve,
        x: point.subarray(1, 1 + size).toString('base64url'),
        y: point.subarray(1 + size).toString('base64url'),
      },
      format: 'jwk',
    });
  } finally {
    token.close();
  }
}
