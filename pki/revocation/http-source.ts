/**
 * RevocationSource over the network: OCSP from the certificate's AIA responder URL, CRLs
 * from its CRL distribution points, each with a timeout and size cap. An OCSP answer is
 * returned only when it checks out (signature, responder, nonce, this certificate); a CRL
 * only when it parses. A source that does not answer yields null / [] — the caller decides
 * whether that is fatal.
 */
import { crlUrlsOf, ocspUrlsOf, parseCertificate } from '../crypto/certificate';
import { toDer } from '../crypto/encoding';
import { fetchBytes } from '../http/client';
import type { RevocationSource } from '../providers';
import { parseCrl } from './crl';
import { buildOcspRequest, checkOcspResponse } from './ocsp-client';

export interface HttpRevocationSourceOptions {
  timeoutMs?: number;
  maxCrlBytes?: number;
}

export class HttpRevocationSource implements RevocationSource {
  readonly #timeoutMs: number;
  readonly #maxCrlBytes: number;

  constructor(options: HttpRevocationSourceOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxCrlBytes = options.maxCrlBytes ?? 20 * 1024 * 1024;
  }

  async ocsp(certificate: Uint8Array, issuer: Uint8Array): Promise<Uint8Array | null> {
    for (const url of ocspUrlsOf(parseCertificate(certificate))) {
      try {
        const request = buildOcspRequest(certificate, issuer);
        const answer = await fetchBytes(url, {
          method: 'POST',
          body: request.der,
          contentType: 'application/ocsp-request',
          accept: 'application/ocsp-response',
          timeoutMs: this.#timeoutMs,
          maxBytes: 1024 * 1024,
          errorCode: 'revocation_unavailable',
          what: 'The OCSP responder',
        });
        checkOcspResponse(answer.body, { certificate, issuer, nonce: request.nonce });
        return answer.body;
      } catch {
        // Try the next responder; none answering is reported as null.
      }
    }
    return null;
  }

  async crls(certificate: Uint8Array): Promise<Uint8Array[]> {
    const found: Uint8Array[] = [];
    for (const url of crlUrlsOf(parseCertificate(certificate))) {
      try {
        const answer = await fetchBytes(url, {
          accept: 'application/pkix-crl',
          timeoutMs: this.#timeoutMs,
          maxBytes: this.#maxCrlBytes,
          errorCode: 'revocation_unavailable',
          what: 'The CRL distribution point',
        });
        const der = toDer(answer.body, ['X509 CRL'], 'CRL');
        parseCrl(der);
        found.push(der);
      } catch {
        // An unreachable distribution point contributes nothing.
      }
    }
    return found;
  }
}
