/**
 * The one way the PKI library talks to other servers (OCSP responders, CRL distribution
 * points, TSAs): http/https only, a hard timeout, a size cap on the answer, and a
 * PkiError with the caller's code on every failure — never a hang or a half-read body.
 */
import { PkiError, type PkiErrorCode } from '../errors';

export interface FetchBytesOptions {
  method?: 'GET' | 'POST';
  body?: Uint8Array;
  contentType?: string;
  accept?: string;
  timeoutMs?: number;
  maxBytes?: number;
  /** Error code on failure: revocation_unavailable for OCSP/CRL, tsa_unavailable for TSA. */
  errorCode: PkiErrorCode;
  /** Words for the message, e.g. "the OCSP responder". */
  what: string;
}

export interface FetchedBytes {
  status: number;
  contentType: string;
  body: Uint8Array;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

export async function fetchBytes(url: string, options: FetchBytesOptions): Promise<FetchedBytes> {
  const fail = (reason: string, cause?: unknown) =>
    new PkiError(
      options.errorCode,
      `${options.what} at ${url} ${reason}.`,
      cause === undefined ? {} : { cause },
    );
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw fail('is not a valid URL', error);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw fail('is not an http(s) URL');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const headers: Record<string, string> = {};
  if (options.contentType) headers['content-type'] = options.contentType;
  if (options.accept) headers.accept = options.accept;
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(parsed, {
      method: options.method ?? 'GET',
      headers,
      ...(options.body ? { body: Buffer.from(options.body) } : {}),
      signal,
      redirect: 'follow',
    });
  } catch (error) {
    if (signal.aborted) throw fail(`did not answer within ${timeoutMs} ms`, error);
    throw fail('could not be reached', error);
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw fail(`sent a body larger than ${maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        total += chunk.byteLength;
        if (total > maxBytes) {
          await response.body.cancel().catch(() => undefined);
          throw fail(`sent a body larger than ${maxBytes} bytes`);
        }
        chunks.push(chunk);
      }
    }
  } catch (error) {
    if (error instanceof PkiError) throw error;
    if (signal.aborted) throw fail(`did not answer within ${timeoutMs} ms`, error);
    throw fail('broke off its answer', error);
  }
  if (!response.ok) throw fail(`answered HTTP ${response.status}`);
  return {
    status: response.status,
    contentType: (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase(),
    body: new Uint8Array(Buffer.concat(chunks)),
  };
}
