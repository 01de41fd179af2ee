/**
 * External two-phase signing: the key is somewhere we cannot call synchronously (a USB token
 * behind a browser extension, a remote signing service). Phase 1 hands out what must be
 * signed; phase 2 accepts the signature value only after checking it against the
 * certificate. See "External two-phase signing" in pki/README.md for the agreed contract.
 */
import * as asn1js from 'asn1js';
import { parseCertificate, parseCertificates, publicKeyOf } from '../crypto/certificate';
import { bytesEqual, fromBase64, toArrayBuffer, toBase64 } from '../crypto/encoding';
import { ACCEPTED_HASHES, checkHashAlgorithm, defaultHashFor } from '../crypto/policy';
import { digest, digestInfo, ecdsaRawToDer, verifyWithKey } from '../crypto/signing';
import { PkiError } from '../errors';
import type { HashAlgorithm, KeyAlgorithm, Signer } from '../signer';
import { checkKeyCertificate } from './certificate-checks';

export interface ExternalSignatureRequest {
  keyAlgorithm: KeyAlgorithm;
  hashAlgorithm: HashAlgorithm;
  certificate: Uint8Array;
  chain: Uint8Array[];
  data: Uint8Array;
  digest: Uint8Array;
  digestInfo: Uint8Array | null;
}

export interface ExternalSignatureRequestJSON {
  keyAlgorithm: KeyAlgorithm;
  hashAlgorithm: HashAlgorithm;
  certificate: string;
  chain: string[];
  data: string;
  digest: string;
  digestInfo: string | null;
}

export interface ExternalSignatureInput {
  /** DER or PEM; a PEM bundle may carry the chain after the certificate. */
  certificate: Uint8Array | string;
  chain?: Array<Uint8Array | string>;
  data: Uint8Array;
  hashAlgorithm?: HashAlgorithm;
  rsaPadding?: 'pkcs1' | 'pss';
  at?: Date;
}

/** Phase 1: checks the certificate and describes exactly what must be signed. */
export function createExternalSignatureRequest(input: ExternalSignatureInput): ExternalSignatureRequest {
  const bundle = parseCertificates(input.certificate, 'signer certificate');
  const certificate = bundle[0]!;
  const { key } = checkKeyCertificate(certificate, {
    purpose: 'document',
    ...(input.at ? { at: input.at } : {}),
  });
  const hashAlgorithm = input.hashAlgorithm ? checkHashAlgorithm(input.hashAlgorithm) : defaultHashFor(key);
  const keyAlgorithm: KeyAlgorithm =
    key.family === 'ECDSA' ? 'ECDSA' : input.rsaPadding === 'pss' ? 'RSA-PSS' : 'RSA';
  if (!(input.data instanceof Uint8Array) || input.data.length === 0) {
    throw new PkiError('invalid_input', 'There are no bytes to sign.');
  }
  const value = digest(hashAlgorithm, input.data);
  return {
    keyAlgorithm,
    hashAlgorithm,
    certificate,
    chain: input.chain ? input.chain.map((c) => parseCertificates(c)[0]!) : bundle.slice(1),
    data: input.data.slice(),
    digest: value,
    digestInfo: keyAlgorithm === 'RSA' ? digestInfo(hashAlgorithm, value) : null,
  };
}

/** Field size in bytes of the certificate's curve (32 for P-256). */
function coordinateLength(certificate: Uint8Array): number {
  const details = publicKeyOf(parseCertificate(certificate)).asymmetricKeyDetails;
  const curve = details?.namedCurve ?? '';
  return curve === 'secp384r1' || curve === 'P-384'
    ? 48
    : curve === 'secp521r1' || curve === 'P-521'
      ? 66
      : 32;
}

/** A DER ECDSA-Sig-Value (SEQUENCE of two INTEGERs) that parses completely. */
function isDerEcdsa(value: Uint8Array): boolean {
  const parsed = asn1js.fromBER(toArrayBuffer(value));
  return (
    parsed.offset === value.byteLength &&
    parsed.result instanceof asn1js.Sequence &&
    parsed.result.valueBlock.value.length === 2 &&
    parsed.result.valueBlock.value.every((v) => v instanceof asn1js.Integer)
  );
}

/**
 * Phase 2: verifies `signatureValue` over request.data with request.certificate and returns
 * it as CMS wants it. Raw r‖s ECDSA values are converted to DER.
 */
export function acceptExternalSignature(
  request: ExternalSignatureRequest,
  signatureValue: Uint8Array,
  certificate?: Uint8Array | string,
): Uint8Array {
  if (certificate !== undefined) {
    const returned = parseCertificates(certificate, 'returned certificate')[0]!;
    if (!bytesEqual(returned, request.certificate)) {
      throw new PkiError(
        'invalid_input',
        'The signature came back with another certificate than the one prepared for.',
      );
    }
  }
  if (!(signatureValue instanceof Uint8Array) || signatureValue.length === 0) {
    throw new PkiError('invalid_input', 'The external signature value is empty.');
  }
  let value = signatureValue;
  if (request.keyAlgorithm === 'ECDSA' && !isDerEcdsa(value)) {
    const expected = coordinateLength(request.certificate) * 2;
    if (value.length !== expected) {
      throw new PkiError(
        'invalid_input',
        'The external ECDSA signature is neither DER nor a raw r‖s value of the right size.',
      );
    }
    value = ecdsaRawToDer(value);
  }
  const publicKey = publicKeyOf(parseCertificate(request.certificate));
  if (!verifyWithKey(publicKey, request.keyAlgorithm, request.hashAlgorithm, request.data, value)) {
    throw new PkiError(
      'invalid_input',
      'The external signature does not verify with the signer certificate over the prepared data.',
    );
  }
  return value;
}

export function externalSignatureRequestToJSON(
  request: ExternalSignatureRequest,
): ExternalSignatureRequestJSON {
  return {
    keyAlgorithm: request.keyAlgorithm,
    hashAlgorithm: request.hashAlgorithm,
    certificate: toBase64(request.certificate),
    chain: request.chain.map(toBase64),
    data: toBase64(request.data),
    digest: toBase64(request.digest),
    digestInfo: request.digestInfo ? toBase64(request.digestInfo) : null,
  };
}

/** Restores a stored request, re-deriving the digest so a tampered store cannot swap it. */
export function externalSignatureRequestFromJSON(json: unknown): ExternalSignatureRequest {
  const bad = () => new PkiError('invalid_input', 'The stored external signature request is malformed.');
  if (typeof json !== 'object' || json === null) throw bad();
  const value = json as Record<string, unknown>;
  const keyAlgorithm = value.keyAlgorithm;
  const hashAlgorithm = value.hashAlgorithm;
  if (keyAlgorithm !== 'RSA' && keyAlgorithm !== 'RSA-PSS' && keyAlgorithm !== 'ECDSA') throw bad();
  if (typeof hashAlgorithm !== 'string' || !(ACCEPTED_HASHES as readonly string[]).includes(hashAlgorithm))
    throw bad();
  if (typeof value.certificate !== 'string' || typeof value.data !== 'string' || !Array.isArray(value.chain))
    throw bad();
  if (!value.chain.every((c): c is string => typeof c === 'string')) throw bad();
  const hash = hashAlgorithm as HashAlgorithm;
  const certificate = fromBase64(value.certificate, 'certificate');
  parseCertificate(certificate);
  const data = fromBase64(value.data, 'data');
  const computed = digest(hash, data);
  if (typeof value.digest === 'string' && !bytesEqual(fromBase64(value.digest, 'digest'), computed))
    throw bad();
  return {
    keyAlgorithm,
    hashAlgorithm: hash,
    certificate,
    chain: value.chain.map((c) => fromBase64(c, 'chain certificate')),
    data,
    digest: computed,
    digestInfo: keyAlgorithm === 'RSA' ? digestInfo(hash, computed) : null,
  };
}

export interface ExternalSignerOptions {
  certificate: Uint8Array | string;
  chain?: Array<Uint8Array | string>;
  hashAlgorithm?: HashAlgorithm;
  rsaPadding?: 'pkcs1' | 'pss';
  /** How long sign() waits for complete(); 5 minutes unless given. */
  timeoutMs?: number;
  at?: Date;
}

interface Pending {
  request: ExternalSignatureRequest;
  resolve: (value: Uint8Array) => void;
  reject: (error: PkiError) => void;
  timer: NodeJS.Timeout;
}

/**
 * A Signer whose sign() waits for complete(): for code that takes a Signer (CMS, PAdES)
 * while the signature comes from elsewhere in the same process lifetime.
 */
export class ExternalSigner implements Signer {
  readonly keyAlgorithm: KeyAlgorithm;
  readonly hashAlgorithm: HashAlgorithm;
  readonly certificate: Uint8Array;
  readonly chain: readonly Uint8Array[];
  readonly #options: ExternalSignerOptions;
  readonly #timeoutMs: number;
  #pending: Pending | null = null;
  #notify: ((request: ExternalSignatureRequest) => void) | null = null;
  #requested: Promise<ExternalSignatureRequest>;

  constructor(options: ExternalSignerOptions) {
    // A probe request checks the certificate now, so a bad one fails at construction.
    const probe = createExternalSignatureRequest({ ...options, data: new Uint8Array([0]) });
    this.keyAlgorithm = probe.keyAlgorithm;
    this.hashAlgorithm = probe.hashAlgorithm;
    this.certificate = probe.certificate;
    this.chain = probe.chain;
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? 5 * 60_000;
    this.#requested = this.#nextRequested();
  }

  #nextRequested(): Promise<ExternalSignatureRequest> {
    return new Promise((resolve) => {
      this.#notify = resolve;
    });
  }

  /** Resolves with the request of the current or next sign() call. */
  get requested(): Promise<ExternalSignatureRequest> {
    return this.#pending ? Promise.resolve(this.#pending.request) : this.#requested;
  }

  pending(): ExternalSignatureRequest | null {
    return this.#pending?.request ?? null;
  }

  sign(data: Uint8Array): Promise<Uint8Array> {
    if (this.#pending) {
      return Promise.reject(
        new PkiError('conflict', 'An external signature is already awaited for this signer.'),
      );
    }
    const request = createExternalSignatureRequest({
      certificate: this.certificate,
      chain: [...this.chain],
      data,
      hashAlgorithm: this.hashAlgorithm,
      ...(this.#options.rsaPadding ? { rsaPadding: this.#options.rsaPadding } : {}),
      ...(this.#options.at ? { at: this.#options.at } : {}),
    });
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#settle(
          null,
          new PkiError('key_unavailable', `The external signer did not answer within ${this.#timeoutMs} ms.`),
        );
      }, this.#timeoutMs);
      timer.unref?.();
      this.#pending = { request, resolve, reject, timer };
      const notify = this.#notify;
      this.#requested = this.#nextRequested();
      notify?.(request);
    });
  }

  #settle(value: Uint8Array | null, error: PkiError | null): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = null;
    clearTimeout(pending.timer);
    if (value) pending.resolve(value);
    else pending.reject(error ?? new PkiError('key_unavailable', 'The external signature was cancelled.'));
  }

  /** Checks the returned value and fulfils the pending sign(); throws (and keeps waiting) if it is wrong. */
  complete(signatureValue: Uint8Array, certificate?: Uint8Array | string): void {
    const pending = this.#pending;
    if (!pending) throw new PkiError('conflict', 'No external signature is awaited for this signer.');
    const value = acceptExternalSignature(pending.request, signatureValue, certificate);
    this.#settle(value, null);
  }

  cancel(reason = 'The external signature was cancelled.'): void {
    this.#settle(null, new PkiError('key_unavailable', reason));
  }
}
