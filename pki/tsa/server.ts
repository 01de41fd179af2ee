/**
 * RFC 3161 time-stamping server. `respond()` reads a TimeStampReq and always returns a
 * TimeStampResp: granted with a token signed by the TSA certificate, or a rejection whose
 * failInfo names the problem (badDataFormat for unreadable DER, badAlg for a hash outside
 * SHA-256/384/512, unacceptedPolicy, unacceptedExtension, systemFailure). Never throws on
 * bad input.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from '../crypto/encoding';
import { HASH_BY_OID, HASH_LENGTH, OID } from '../crypto/oids';
import { PkiError } from '../errors';
import { checkKeyCertificate } from '../keys/certificate-checks';
import type { HashAlgorithm, Signer } from '../signer';
import { buildTimestampTokenSchema, type TsaIdentity, tsaIdentity } from './token';

export const TSA_FAILURE = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;
export type TsaFailure = keyof typeof TSA_FAILURE;

export interface TimestampServerOptions {
  /** The TSA key; its certificate must carry the critical timeStamping EKU only. */
  signer: Signer;
  /** TSA policy OID written in every token. */
  policy?: string;
  /** Accuracy claimed for genTime, in seconds (genTime is truncated to whole seconds). */
  accuracySeconds?: number;
}

/** DER named bit string with only `bit` set (trailing zero bits removed, as DER requires). */
function failureBits(bit: number): asn1js.BitString {
  const bytes = new Uint8Array(Math.floor(bit / 8) + 1);
  bytes[bit >> 3] = 0x80 >> (bit & 7);
  return new asn1js.BitString({ valueHex: bytes, unusedBits: 7 - (bit % 8) });
}

/** A rejection TimeStampResp (DER). */
export function timestampRejection(failure: TsaFailure, text: string): Uint8Array {
  const response = new pkijs.TimeStampResp({
    status: new pkijs.PKIStatusInfo({
      status: pkijs.PKIStatus.rejection,
      statusStrings: [new asn1js.Utf8String({ value: text })],
      failInfo: failureBits(TSA_FAILURE[failure]),
    }),
  });
  return new Uint8Array(response.toSchema().toBER(false));
}

export class TimestampServer {
  readonly policy: string;
  readonly #signer: Signer;
  readonly #identity: TsaIdentity;
  readonly #accuracySeconds: number;

  constructor(options: TimestampServerOptions) {
    checkKeyCertificate(options.signer.certificate, { purpose: 'timestamp' });
    this.#signer = options.signer;
    this.#identity = tsaIdentity(options.signer);
    this.policy = options.policy ?? OID.vanthuTsaPolicy;
    this.#accuracySeconds = options.accuracySeconds ?? 1;
  }

  get certificate(): Uint8Array {
    return this.#signer.certificate;
  }

  /** Answers a DER TimeStampReq with a DER TimeStampResp. */
  async respond(requestDer: Uint8Array): Promise<Uint8Array> {
    let request: pkijs.TimeStampReq;
    try {
      request = pkijs.TimeStampReq.fromBER(toArrayBuffer(requestDer));
    } catch {
      return timestampRejection('badDataFormat', 'The request is not a DER TimeStampReq.');
    }
    if (request.version !== 1)
      return timestampRejection('badRequest', 'Only version 1 requests are supported.');
    const hashName = HASH_BY_OID[request.messageImprint.hashAlgorithm.algorithmId];
    if (hashName !== 'SHA-256' && hashName !== 'SHA-384' && hashName !== 'SHA-512') {
      return timestampRejection('badAlg', 'Only SHA-256, SHA-384 and SHA-512 message imprints are accepted.');
    }
    const hashAlgorithm: HashAlgorithm = hashName;
    const hashedMessage = request.messageImprint.hashedMessage.valueBlock.valueHexView;
    if (hashedMessage.length !== HASH_LENGTH[hashAlgorithm]) {
      return timestampRejection('badDataFormat', `The message imprint is not a ${hashAlgorithm} value.`);
    }
    if (request.reqPolicy !== undefined && request.reqPolicy !== this.policy) {
      return timestampRejection(
        'unacceptedPolicy',
        `This TSA issues tokens under policy ${this.policy} only.`,
      );
    }
    if (request.extensions && request.extensions.length > 0) {
      return timestampRejection('unacceptedExtension', 'This TSA supports no request extensions.');
    }
    try {
      const token = await buildTimestampTokenSchema(
        {
          signer: this.#signer,
          policy: this.policy,
          hashAlgorithm,
          hashedMessage,
          ...(request.nonce ? { nonce: request.nonce } : {}),
          includeCertificates: request.certReq === true,
          genTime: new Date(Math.floor(Date.now() / 1000) * 1000),
          accuracySeconds: this.#accuracySeconds,
        },
        this.#identity,
      );
      // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo }
      const response = new asn1js.Sequence({
        value: [new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.granted }).toSchema(), token],
      });
      return new Uint8Array(response.toBER(false));
    } catch (error) {
      const reason = error instanceof PkiError ? error.message : 'The TSA could not sign.';
      return timestampRejection('systemFailure', reason);
    }
  }
}
