/**
 * Plain Node HTTP handlers for the public PKI endpoints (no framework; the app mounts the
 * handler under /pki, e.g. `app.use('/pki', handler)`, which strips the prefix):
 *
 *   GET  /crl/<ca>.crl        current CRL, application/pkix-crl (DER)
 *   GET  /certs/<ca>.crt      CA certificate, application/pkix-cert (DER)
 *   POST /ocsp                application/ocsp-request → application/ocsp-response
 *   GET  /ocsp/<base64>       RFC 6960 Appendix A.1 GET form
 *   POST /tsa                 application/timestamp-query → application/timestamp-reply
 *
 * Bodies are capped (413), wrong content types get 415, unknown paths 404, wrong methods 405.
 * Unreadable DER gets a protocol answer (OCSP malformedRequest, TSA badDataFormat), and any
 * failure of ours a 500 with one line of text: the handler never throws.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PkiServices } from '../ca/services';
import { ocspErrorResponse } from '../revocation/ocsp-responder';

export interface PkiHandlerOptions {
  /** Prefix to strip when the handler is not mounted by a framework, e.g. '/pki'. */
  basePath?: string;
  /** Largest accepted request body; 64 KiB unless given. */
  maxRequestBytes?: number;
}

export type PkiRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: Uint8Array | string,
  extra: Record<string, string> = {},
) {
  if (res.headersSent) {
    res.end();
    return;
  }
  const bytes = typeof body === 'string' ? Buffer.from(`${body}\n`, 'utf8') : Buffer.from(body);
  res.writeHead(status, {
    'content-type': type,
    'content-length': String(bytes.length),
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(bytes);
}

function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      req.resume();
      reject(new HttpProblem(413, `Request body larger than ${limit} bytes.`));
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      total += chunk.length;
      if (total > limit) {
        done = true;
        req.resume();
        reject(new HttpProblem(413, `Request body larger than ${limit} bytes.`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(new Uint8Array(Buffer.concat(chunks)));
      }
    });
    req.on('error', (error) => {
      if (!done) {
        done = true;
        reject(error);
      }
    });
  });
}

function contentTypeOf(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function requireMethod(req: IncomingMessage, allowed: string[]): void {
  if (!allowed.includes(req.method ?? '')) {
    throw new HttpProblem(405, `Method ${req.method} not allowed.`, { allow: allowed.join(', ') });
  }
}

function requireType(req: IncomingMessage, type: string): void {
  if (contentTypeOf(req) !== type) throw new HttpProblem(415, `Content-Type must be ${type}.`);
}

/** Decodes the GET form: URL-encoded base64 (standard or url-safe) of the DER request. */
function decodeOcspGet(encoded: string): Uint8Array | null {
  let text: string;
  try {
    text = decodeURIComponent(encoded);
  } catch {
    return null;
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return null;
  return new Uint8Array(Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

export function createPkiHandler(services: PkiServices, options: PkiHandlerOptions = {}): PkiRequestHandler {
  const limit = options.maxRequestBytes ?? 64 * 1024;
  const base = (options.basePath ?? '').replace(/\/+$/, '');

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let pathname = new URL(req.url ?? '/', 'http://pki.invalid').pathname;
    if (base && (pathname === base || pathname.startsWith(`${base}/`)))
      pathname = pathname.slice(base.length) || '/';

    const crl = /^\/crl\/([a-z0-9-]+)\.crl$/.exec(pathname);
    if (crl) {
      requireMethod(req, ['GET', 'HEAD']);
      const name = crl[1]!;
      if (!services.caCertificate(name)) throw new HttpProblem(404, `No CA named ${name}.`);
      send(res, 200, 'application/pkix-crl', await services.crl(name));
      return;
    }
    const cert = /^\/certs\/([a-z0-9-]+)\.crt$/.exec(pathname);
    if (cert) {
      requireMethod(req, ['GET', 'HEAD']);
      const der = services.caCertificate(cert[1]!);
      if (!der) throw new HttpProblem(404, `No CA named ${cert[1]}.`);
      send(res, 200, 'application/pkix-cert', der, { 'cache-control': 'max-age=86400' });
      return;
    }
    if (pathname === '/ocsp' || pathname === '/ocsp/') {
      requireMethod(req, ['POST']);
      requireType(req, 'application/ocsp-request');
      const body = await readBody(req, limit);
      send(res, 200, 'application/ocsp-response', await services.ocsp.respond(body));
      return;
    }
    if (pathname.startsWith('/ocsp/')) {
      requireMethod(req, ['GET']);
      // Use the raw path: decoding '%2F' before splitting would break the base64.
      const raw = (req.url ?? '').split('?')[0]!;
      const encoded = raw.slice(raw.indexOf('/ocsp/') + '/ocsp/'.length);
      const der = encoded.length > limit * 2 ? null : decodeOcspGet(encoded);
      send(
        res,
        200,
        'application/ocsp-response',
        der ? await services.ocsp.respond(der) : ocspErrorResponse('malformedRequest'),
      );
      return;
    }
    if (pathname === '/tsa' || pathname === '/tsa/') {
      requireMethod(req, ['POST']);
      requireType(req, 'application/timestamp-query');
      const body = await readBody(req, limit);
      send(res, 200, 'application/timestamp-reply', await services.tsa.respond(body));
      return;
    }
    throw new HttpProblem(404, 'Not found.');
  }

  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      if (error instanceof HttpProblem) {
        send(res, error.status, 'text/plain; charset=utf-8', error.message, error.headers);
      } else {
        send(res, 500, 'text/plain; charset=utf-8', 'The PKI service failed to answer.');
      }
    });
  };
}
