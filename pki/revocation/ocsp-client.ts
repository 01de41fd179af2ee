/**
 * RFC 6960 OCSP client: build a request for a certificate, send it to the responder named
 * in the certificate (or any URL), and check the answer — signed by the issuer or by a
 * responder the issuer delegated (id-kp-OCSPSigning), about this very certificate, with our
 * nonce, and current. Anything less is PkiError('revocation_unavailable').
 */
import { createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import {
  extendedKeyUsagesOf,
  ocspUrlsOf,
  parseCertificate,
  publicKeyOf,
  subjectPublicKeyInfoDer,
} from '../crypto/certificate';
import { bytesEqual, toArrayBuffer } from '../crypto/encoding';
import { OID } from '../crypto/oids';
import { verifyWithAlgorithmIdentifier } from '../crypto/signing';
import { PkiError } from '../errors';
import { fetchBytes } from '../http/client';
import type { CrlReason } from './crl';
import { certIdFor, issuerHashes, readCertStatus, responseStatusName } from './ocsp-common';

export interface OcspRequestOptions {
  /** Add a random nonce (RFC 8954); true unless false. */
  nonce?: boolean;
  /**
   * CertID hash. SHA-1 unless given: RFC 6960/5019 make it the one every responder
   * understands, and here it only names the issuer, it protects nothing.
   */
  certIdHash?: 'SHA-1' | 'SHA-256';
}

export interface BuiltOcspRequest {
  der: Uint8Array;
  nonce: Uint8Array | null;
}

export function buildOcspRequest(
  certificate: Uint8Array,
  issuer: Uint8Array,
  options: OcspRequestOptions = {},
): BuiltOcspRequest {
  const cert = parseCertificate(certificate);
  const issuerCert = parseCertificate(issuer, 'issuer certificate');
  const certId = certIdFor(cert, issuerCert, options.certIdHash === 'SHA-256' ? OID.sha256 : OID.sha1);
  const request = new pkijs.OCSPRequest();
  request.tbsRequest.requestList = [new pkijs.Request({ reqCert: certId })];
  let nonce: Uint8Array | null = null;
  if (options.nonce !== false) {
    nonce = new Uint8Array(randomBytes(16));
    request.tbsRequest.requestExtensions = [
      new pkijs.Extension({
        extnID: OID.ocspNonce,
        extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER(false),
      }),
    ];
  }
  return { der: new Uint8Array(request.toSchema(true).toBER(false)), nonce };
}

export interface OcspCheckOptions {
  certificate: Uint8Array;
  issuer: Uint8Array;
  /** The nonce sent; the response must echo it. Null/omitted: no nonce required. */
  nonce?: Uint8Array | null;
  /** Time the answer must still be current at; now unless given. */
  at?: Date;
}

export interface OcspResult {
  status: 'good' | 'revoked' | 'unknown';
  revocationTime?: Date;
  reason?: CrlReason;
  thisUpdate: Date;
  nextUpdate: Date | null;
  producedAt: Date;
  responderCertificate: Uint8Array;
  /** The OCSPResponse DER that was checked. */
  response: Uint8Array;
}

const SKEW_MS = 5 * 60_000;

function unavailable(detail: string): PkiError {
  return new PkiError('revocation_unavailable', `The OCSP response ${detail}.`);
}

/** SHA-1 of the public key bits: RFC 6960's ResponderID byKey. */
function keyHashOf(cert: pkijs.Certificate): Uint8Array {
  return new Uint8Array(
    createHash('sha1').update(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView).digest(),
  );
}

function signedBy(cert: pkijs.Certificate, issuer: pkijs.Certificate): boolean {
  try {
    return (
      cert.issuer.isEqual(issuer.subject) &&
      verifyWithAlgorithmIdentifier(
        publicKeyOf(issuer),
        cert.signatureAlgorithm,
        cert.tbsView,
        cert.signatureValue.valueBlock.valueHexView,
      )
    );
  } catch {
    return false;
  }
}

/** Parses the DER OCSPResponse and returns its BasicOCSPResponse, or throws revocation_unavailable. */
export function basicResponseOf(responseDer: Uint8Array): pkijs.BasicOCSPResponse {
  let response: pkijs.OCSPResponse;
  try {
    response = pkijs.OCSPResponse.fromBER(toArrayBuffer(responseDer));
  } catch {
    throw unavailable('cannot be read');
  }
  const status = response.responseStatus.valueBlock.valueDec;
  if (status !== 0) throw unavailable(`reports "${responseStatusName(status)}"`);
  if (!response.responseBytes || response.responseBytes.responseType !== OID.ocspBasic) {
    throw unavailable('is not a basic OCSP response');
  }
  try {
    return pkijs.BasicOCSPResponse.fromBER(
      toArrayBuffer(response.responseBytes.response.valueBlock.valueHexView),
    );
  } catch {
    throw unavailable('carries an unreadable basic response');
  }
}

/** Checks an OCSP response about `certificate` and returns the status it proves. */
export function checkOcspResponse(responseDer: Uint8Array, options: OcspCheckOptions): OcspResult {
  const basic = basicResponseOf(responseDer);
  const cert = parseCertificate(options.certificate);
  const issuer = parseCertificate(options.issuer, 'issuer certificate');
  const data = basic.tbsResponseData;

  // Who signed: the issuer itself, or a responder certificate carried in the response.
  const candidates = [issuer, ...(basic.certs ?? [])];
  const responderId: unknown = data.responderID;
  const responder = candidates.find((candidate) =>
    responderId instanceof pkijs.RelativeDistinguishedNames
      ? candidate.subject.isEqual(responderId)
      : responderId instanceof asn1js.OctetString &&
        bytesEqual(keyHashOf(candidate), responderId.valueBlock.valueHexView),
  );
  if (!responder) throw unavailable('names a responder whose certificate is not available');
  let signatureOk = false;
  try {
    signatureOk = verifyWithAlgorithmIdentifier(
      publicKeyOf(responder),
      basic.signatureAlgorithm,
      data.tbsView,
      basic.signature.valueBlock.valueHexView,
      'OCSP response signature',
    );
  } catch (error) {
    throw unavailable(
      `is signed with a refused algorithm (${error instanceof Error ? error.message : 'unknown'})`,
    );
  }
  if (!signatureOk) throw unavailable('signature does not verify');

  const producedAt = data.producedAt;
  const isIssuer = bytesEqual(subjectPublicKeyInfoDer(responder), subjectPublicKeyInfoDer(issuer));
  if (!isIssuer) {
    // RFC 6960 §4.2.2.2: a delegated responder is issued directly by the CA, for OCSP signing.
    if (!signedBy(responder, issuer))
      throw unavailable('is signed by a responder the certificate issuer did not authorise');
    if (!extendedKeyUsagesOf(responder)?.oids.includes(OID.kpOcspSigning)) {
      throw unavailable('is signed by a certificate without the OCSPSigning usage');
    }
    if (responder.notBefore.value > producedAt || responder.notAfter.value < producedAt) {
      throw unavailable('was signed outside the responder certificate validity');
    }
  }

  // The answer must be about this certificate.
  const single = data.responses.find((entry) => {
    const hashes = issuerHashes(issuer, entry.certID.hashAlgorithm.algorithmId);
    return (
      hashes !== null &&
      bytesEqual(hashes.nameHash, entry.certID.issuerNameHash.valueBlock.valueHexView) &&
      bytesEqual(hashes.keyHash, entry.certID.issuerKeyHash.valueBlock.valueHexView) &&
      entry.certID.serialNumber.isEqual(cert.serialNumber)
    );
  });
  if (!single) throw unavailable('does not answer for this certificate');

  if (options.nonce) {
    const echoed = data.responseExtensions?.find((e) => e.extnID === OID.ocspNonce);
    const expected = new asn1js.OctetString({ valueHex: options.nonce }).toBER(false);
    if (!echoed || !bytesEqual(echoed.extnValue.valueBlock.valueHexView, new Uint8Array(expected))) {
      throw unavailable('does not echo our nonce (possible replay)');
    }
  }
  const at = options.at ?? new Date();
  const now = Date.now();
  if (single.thisUpdate.getTime() > now + SKEW_MS) throw unavailable('is dated in the future');
  if (single.nextUpdate && single.nextUpdate.getTime() < at.getTime()) throw unavailable('is out of date');

  const status = readCertStatus(single.certStatus);
  const result: OcspResult = {
    status: status.status,
    thisUpdate: single.thisUpdate,
    nextUpdate: single.nextUpdate ?? null,
    producedAt,
    responderCertificate: new Uint8Array(responder.toSchema().toBER(false)),
    response: responseDer,
  };
  if (status.status === 'revoked') {
    result.revocationTime = status.time;
    result.reason = status.reason;
  }
  return result;
}

export interface OcspQueryOptions {
  /** Responder URL; the certificate's AIA OCSP URL unless given. */
  url?: string;
  timeoutMs?: number;
  at?: Date;
}

/** Asks the responder about `certificate` and checks the answer. */
export async function queryOcsp(
  certificate: Uint8Array,
  issuer: Uint8Array,
  options: OcspQueryOptions = {},
): Promise<OcspResult> {
  const url = options.url ?? ocspUrlsOf(parseCertificate(certificate))[0];
  if (!url) throw new PkiError('revocation_unavailable', 'The certificate names no OCSP responder.');
  const request = buildOcspRequest(certificate, issuer);
  const answer = await fetchBytes(url, {
    method: 'POST',
    body: request.der,
    contentType: 'application/ocsp-request',
    accept: 'application/ocsp-response',
    maxBytes: 1024 * 1024,
    errorCode: 'revocation_unavailable',
    what: 'The OCSP responder',
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return checkOcspResponse(answer.body, {
    certificate,
    issuer,
    nonce: request.nonce,
    ...(options.at ? { at: options.at } : {}),
  });
}
