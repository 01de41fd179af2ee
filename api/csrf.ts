/**
 * Cross-site request forgery protection for cookie sessions. The session cookie is
 * HttpOnly and SameSite=Strict; on top of that every unsafe request (POST, PUT, PATCH,
 * DELETE) made with the session cookie must carry the session's CSRF token in the
 * `X-CSRF-Token` header. A page from another site can neither read the token nor set
 * that header without a CORS preflight, which this api never grants.
 *
 * The token is derived from the session token (HMAC-SHA256), so nothing more is stored
 * and it dies with the session. It reaches the browser three ways: the sign-in response
 * body, `GET /api/v1/session`, and the readable cookie `vanthu_csrf`. Requests with an
 * API token (Authorization: Bearer) carry no ambient credential and need no CSRF token.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { serialize as serializeCookie } from 'cookie';
import type { Request } from 'express';
import { ApiProblem } from './problem';

export const CSRF_HEADER = 'X-CSRF-Token';
export const CSRF_COOKIE = 'vanthu_csrf';

export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('vanthu csrf v1').digest('base64url');
}

/** Readable by the page's script (not HttpOnly), so it can copy it into the header. */
export function csrfCookie(token: string, expiresAt: Date, secure: boolean): string {
  return serializeCookie(CSRF_COOKIE, token, { sameSite: 'strict', secure, path: '/', expires: expiresAt });
}

export function clearedCsrfCookie(secure: boolean): string {
  return serializeCookie(CSRF_COOKIE, '', { sameSite: 'strict', secure, path: '/', maxAge: 0 });
}

export function isUnsafeMethod(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}

/** Refuses an unsafe request authenticated by a session cookie without the right token. */
export function checkCsrf(req: Request): void {
  const principal = req.principal;
  if (principal?.kind !== 'session' || !isUnsafeMethod(req.method)) return;
  const sent = req.get(CSRF_HEADER);
  const expected = Buffer.from(principal.csrfToken);
  const given = Buffer.from(sent ?? '');
  if (!sent || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ApiProblem(
      403,
      'Thiếu mã chống giả mạo (CSRF token missing or wrong)',
      `send the session's CSRF token in the ${CSRF_HEADER} header (from the sign-in response or GET /api/v1/session)`,
      { field: `header.${CSRF_HEADER}` },
    );
  }
}
