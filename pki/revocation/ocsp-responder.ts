/**
 * RFC 6960 OCSP responder. Each CA we serve has a delegated responder certificate
 * (id-kp-OCSPSigning, ocsp-nocheck); a request is matched to a CA by its CertID hashes, the
 * status is looked up *at request time* (nothing cached, so a revocation shows at once), and
 * the answer is signed by that CA's responder with the request's nonce echoed.
 *
 * `respond()` never throws for bad input: a request that cannot be read gets a
 * malformedRequest response, a CA we do not serve gets unauthorized, a failure of ours
 * internalError.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { parseCertificate } from '../crypto/certificate';
import { bytesEqual, toArrayBuffer, toHex } from '../crypto/encoding';
import { OID } from '../crypto/oids';
import { signOcspResponse } from '../crypto/signing';
import type { Signer } from '../signer';
import { CRL_REASON_CODES } from './crl';
import {
  type CertificateStatus,
  issuerHashes,
  OCSP_RESPONSE_STATUS,
  type OcspResponseStatus,
} from './ocsp-common';

export interface OcspResponderCredential {
  /** The CA whose certificates this responder answers for. */
  caName: string;
  caCertificate: Uint8Array;
  /** Signs the responses; its certificate is the responder certificate. */
  signer: Signer;
}

/** Fresh status of a serial (lower-case hex) issued by `caName`. */
export type StatusLookup = (caName: string, serial: string) => Promise<CertificateStatus>;

export interface OcspResponderOptions {
  /** How long an answer may be relied on (nextUpdate − thisUpdate); one hour unless given. */
  validityMinutes?: number;
  /** Largest number of certificates answered in one request. */
  maxRequests?: number;
}

interface ServedCa {
  credential: OcspResponderCredential;
  caCert: pkijs.Certificate;
  responderCert: pkijs.Certificate;
  /** CertID hashes of the CA by hash OID, computed on first use. */
  hashes: Map<string, ReturnType<typeof issuerHashes>>;
}

/** An OCSPResponse carrying only an error status. */
export function ocspErrorResponse(status: Exclude<OcspResponseStatus, 'successful'>): Uint8Array {
  return new Uint8Array(
    new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: OCSP_RESPONSE_STATUS[status] }) })
      .toSchema()
      .toBER(false),
  );
}

function certStatusNode(status: CertificateStatus): asn1js.BaseBlock {
  if (status.status === 'good') {
    return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
  }
  if (status.status === 'unknown') {
    return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
  }
  const value: asn1js.AsnType[] = [new asn1js.GeneralizedTime({ valueDate: wholeSeconds(status.time) })];
  if (status.reason !== 'unspecified') {
    value.push(
      new asn1js.Constructed({
        idBlock: { tagClass: 3, tagNumber: 0 },
        value: [new asn1js.Enumerated({ value: CRL_REASON_CODES[status.reason] })],
      }),
    );
  }
  return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value });
}

/** DER GeneralizedTime must not carry a fraction of zeros; we answer in whole seconds. */
function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

export class OcspResponder {
  readonly #served: ServedCa[];
  readonly #lookup: StatusLookup;
  readonly #validityMs: number;
  readonly #maxRequests: number;

  constructor(
    credentials: readonly OcspResponderCredential[],
    lookup: StatusLookup,
    options: OcspResponderOptions = {},
  ) {
    this.#served = credentials.map((credential) => ({
      credential,
      caCert: parseCertificate(credential.caCertificate, 'CA certificate'),
      responderCert: parseCertificate(credential.signer.certificate, 'OCSP responder certificate'),
      hashes: new Map(),
    }));
    this.#lookup = lookup;
    this.#validityMs = (options.validityMinutes ?? 60) * 60_000;
    this.#maxRequests = options.maxRequests ?? 64;
  }

  #caFor(certId: pkijs.CertID): ServedCa | null {
    for (const served of this.#served) {
      const algorithm = certId.hashAlgorithm.algorithmId;
      if (!served.hashes.has(algorithm)) served.hashes.set(algorithm, issuerHashes(served.caCert, algorithm));
      const hashes = served.hashes.get(algorithm);
      if (
        hashes &&
        bytesEqual(hashes.nameHash, certId.issuerNameHash.valueBlock.valueHexView) &&
        bytesEqual(hashes.keyHash, certId.issuerKeyHash.valueBlock.valueHexView)
      ) {
        return served;
      }
    }
    return null;
  }

  /** Answers a DER OCSPRequest with a DER OCSPResponse. */
  async respond(requestDer: Uint8Array): Promise<Uint8Array> {
    let request: pkijs.OCSPRequest;
    try {
      request = pkijs.OCSPRequest.fromBER(toArrayBuffer(requestDer));
    } catch {
      return ocspErrorResponse('malformedRequest');
    }
    const entries = request.tbsRequest.requestList;
    if (entries.length === 0 || entries.length > this.#maxRequests)
      return ocspErrorResponse('malformedRequest');
    try {
      return await this.#answer(request);
    } catch {
      return ocspErrorResponse('internalError');
    }
  }

  async #answer(request: pkijs.OCSPRequest): Promise<Uint8Array> {
    const entries = request.tbsRequest.requestList;
    const matches = entries.map((entry) => this.#caFor(entry.reqCert));
    const served = matches.find((m): m is ServedCa => m !== null);
    if (!served) return ocspErrorResponse('unauthorized');

    const now = wholeSeconds(new Date());
    const responses: pkijs.SingleResponse[] = [];
    for (const [index, entry] of entries.entries()) {
      // A certificate of another CA cannot be vouched for by this responder: unknown.
      const status: CertificateStatus =
        matches[index] === served
          ? await this.#lookup(served.credential.caName, serialOf(entry.reqCert.serialNumber))
          : { status: 'unknown' };
      responses.push(
        new pkijs.SingleResponse({
          certID: entry.reqCert,
          certStatus: certStatusNode(status),
          thisUpdate: now,
          nextUpdate: new Date(now.getTime() + this.#validityMs),
        }),
      );
    }

    const responseData = new pkijs.ResponseData({
      responderID: served.responderCert.subject,
      producedAt: now,
      responses,
    });
    const nonce = request.tbsRequest.requestExtensions?.find((e) => e.extnID === OID.ocspNonce);
    if (nonce) {
      responseData.responseExtensions = [
        new pkijs.Extension({
          extnID: OID.ocspNonce,
          extnValue: nonce.extnValue.valueBlock.valueHexView.slice().buffer,
        }),
      ];
    }
    const basic = new pkijs.BasicOCSPResponse({
      tbsResponseData: responseData,
      certs: [served.responderCert],
    });
    await signOcspResponse(basic, served.credential.signer);
    const response = new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: OCSP_RESPONSE_STATUS.successful }),
      responseBytes: new pkijs.ResponseBytes({
        responseType: OID.ocspBasic,
        response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }),
      }),
    });
    return new Uint8Array(response.toSchema().toBER(false));
  }
}

function serialOf(serial: asn1js.Integer): string {
  const hex = toHex(serial.valueBlock.valueHexView).replace(/^0+/, '');
  return hex.length === 0 ? '0' : hex;
}
