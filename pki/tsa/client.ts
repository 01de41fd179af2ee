/**
 * RFC 3161 client side: build a TimeStampReq, check the TimeStampResp against it (status
 * granted, same imprint, same nonce, token signature and TSA certificate), and the two
 * TimestampAuthority implementations — over HTTP, and in-process against our own server.
 * Fail closed: whatever is wrong becomes PkiError('tsa_unavailable'); no token is returned
 * unless it checks out.
 */
import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { bytesEqual, toArrayBuffer, toHex } from '../crypto/encoding';
import { HASH_LENGTH } from '../crypto/oids';
import { checkHashAlgorithm } from '../crypto/policy';
import { hashAlgorithmIdentifier } from '../crypto/signing';
import { PkiError } from '../errors';
import { fetchBytes } from '../http/client';
import type { TimestampAuthority } from '../providers';
import type { HashAlgorithm } from '../signer';
import type { TrustStore } from '../trust/store';
import type { TimestampServer } from './server';
import { checkTimestampToken, type TimestampTokenInfo } from './token';

export interface TimestampRequestOptions {
  /** Ask for the TSA certificate in the token; true unless false. */
  certReq?: boolean;
  /** Send a 64-bit random nonce; true unless false. */
  nonce?: boolean;
  policy?: string;
}

export interface BuiltTimestampRequest {
  der: Uint8Array;
  digest: Uint8Array;
  hashAlgorithm: HashAlgorithm;
  nonce: bigint | null;
  certReq: boolean;
  policy: string | null;
}

function fail(detail: string, cause?: unknown): PkiError {
  return new PkiError(
    'tsa_unavailable',
    `The time-stamping authority ${detail}.`,
    cause === undefined ? {} : { cause },
  );
}

export function buildTimestampRequest(
  digest: Uint8Array,
  hashAlgorithm: HashAlgorithm,
  options: TimestampRequestOptions = {},
): BuiltTimestampRequest {
  const hash = checkHashAlgorithm(hashAlgorithm, 'timestamp hash');
  if (digest.length !== HASH_LENGTH[hash]) {
    throw new PkiError(
      'invalid_input',
      `The digest to timestamp is not a ${hash} value (${digest.length} bytes).`,
    );
  }
  const certReq = options.certReq !== false;
  let nonce: bigint | null = null;
  const request = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: hashAlgorithmIdentifier(hash),
      hashedMessage: new asn1js.OctetString({ valueHex: digest }),
    }),
    certReq,
    ...(options.policy ? { reqPolicy: options.policy } : {}),
  });
  if (options.nonce !== false) {
    const bytes = randomBytes(8);
    bytes[0] = (bytes[0] ?? 0) & 0x7f;
    nonce = BigInt(`0x${toHex(bytes)}`);
    request.nonce = new asn1js.Integer({ valueHex: bytes });
  }
  return {
    der: new Uint8Array(request.toSchema().toBER(false)),
    digest,
    hashAlgorithm: hash,
    nonce,
    certReq,
    policy: options.policy ?? null,
  };
}

const STATUS_NAMES = [
  'granted',
  'grantedWithMods',
  'rejection',
  'waiting',
  'revocationWarning',
  'revocationNotification',
];

export interface CheckedTimestamp extends TimestampTokenInfo {
  /** DER TimeStampToken (ContentInfo). */
  token: Uint8Array;
}

/** Checks a TimeStampResp against the request that asked for it. */
export function checkTimestampResponse(
  responseDer: Uint8Array,
  request: BuiltTimestampRequest,
  options: { tsaCertificate?: Uint8Array } = {},
): CheckedTimestamp {
  let response: pkijs.TimeStampResp;
  try {
    response = pkijs.TimeStampResp.fromBER(toArrayBuffer(responseDer));
  } catch (error) {
    throw fail('answered with something that is not a TimeStampResp', error);
  }
  const status = response.status.status;
  if (status !== 0 && status !== 1) {
    const text = response.status.statusStrings?.map((s) => s.valueBlock.value).join(' ') ?? '';
    throw fail(`refused the request (${STATUS_NAMES[status] ?? status}${text ? `: ${text}` : ''})`);
  }
  if (!response.timeStampToken) throw fail('granted the request but sent no token');
  const token = new Uint8Array(response.timeStampToken.toSchema().toBER(false));
  const info = checkTimestampToken(token, {
    errorCode: 'tsa_unavailable',
    ...(options.tsaCertificate ? { tsaCertificate: options.tsaCertificate } : {}),
  });
  if (info.hashAlgorithm !== request.hashAlgorithm || !bytesEqual(info.hashedMessage, request.digest)) {
    throw fail('timestamped another message imprint than the one asked for');
  }
  if (request.nonce !== null && info.nonce !== request.nonce) throw fail('did not echo our nonce');
  if (request.policy !== null && info.policy !== request.policy)
    throw fail('used another policy than the one asked for');
  if (request.certReq && info.certificates.length === 0)
    throw fail('left out its certificate although asked for it');
  const skew = Math.abs(info.genTime.getTime() - Date.now());
  if (skew > 10 * 60_000) throw fail(`reports a time ${Math.round(skew / 1000)} s away from ours`);
  return { ...info, token };
}

export interface TimestampAuthorityOptions {
  /** Validate the TSA certificate chain against this trust store at genTime. */
  trust?: TrustStore;
  requestOptions?: TimestampRequestOptions;
}

async function checkTrust(info: CheckedTimestamp, trust: TrustStore | undefined): Promise<void> {
  if (!trust) return;
  const result = await trust.validate(info.tsaCertificate, {
    at: info.genTime,
    extraCertificates: info.certificates,
    purpose: 'timestamp',
  });
  if (result.status !== 'valid') throw fail(`certificate is not trusted: ${result.reason}`);
}

/** Any RFC 3161 TSA reachable over HTTP(S). */
export class HttpTimestampAuthority implements TimestampAuthority {
  readonly #timeoutMs: number;

  constructor(
    readonly url: string,
    private readonly options: TimestampAuthorityOptions & { timeoutMs?: number } = {},
  ) {
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Returns the full checked result; timestamp() returns only the token. */
  async request(digest: Uint8Array, hashAlgorithm: HashAlgorithm): Promise<CheckedTimestamp> {
    const request = buildTimestampRequest(digest, hashAlgorithm, this.options.requestOptions);
    const answer = await fetchBytes(this.url, {
      method: 'POST',
      body: request.der,
      contentType: 'application/timestamp-query',
      accept: 'application/timestamp-reply',
      timeoutMs: this.#timeoutMs,
      maxBytes: 1024 * 1024,
      errorCode: 'tsa_unavailable',
      what: 'The time-stamping authority',
    });
    // 'application/timestamp-response' is the pre-RFC name some TSAs still send.
    if (
      answer.contentType !== 'application/timestamp-reply' &&
      answer.contentType !== 'application/timestamp-response'
    ) {
      throw fail(
        `answered with content type "${answer.contentType || 'none'}" instead of application/timestamp-reply`,
      );
    }
    const checked = checkTimestampResponse(answer.body, request);
    await checkTrust(checked, this.options.trust);
    return checked;
  }

  async timestamp(digest: Uint8Array, hashAlgorithm: HashAlgorithm): Promise<Uint8Array> {
    return (await this.request(digest, hashAlgorithm)).token;
  }
}

/** Our own TSA in the same process: the same request/check path without the network. */
export class LocalTimestampAuthority implements TimestampAuthority {
  constructor(
    private readonly server: TimestampServer,
    private readonly options: TimestampAuthorityOptions = {},
  ) {}

  async request(digest: Uint8Array, hashAlgorithm: HashAlgorithm): Promise<CheckedTimestamp> {
    const request = buildTimestampRequest(digest, hashAlgorithm, this.options.requestOptions);
    const checked = checkTimestampResponse(await this.server.respond(request.der), request);
    await checkTrust(checked, this.options.trust);
    return checked;
  }

  async timestamp(digest: Uint8Array, hashAlgorithm: HashAlgorithm): Promise<Uint8Array> {
    return (await this.request(digest, hashAlgorithm)).token;
  }
}
