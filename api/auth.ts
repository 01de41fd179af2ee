/**
 * Who is calling: password sign-in (argon2id) opens a session whose token travels in an
 * HttpOnly, SameSite=Strict cookie; only the token's SHA-256 is stored. State-changing
 * requests must be JSON, which a cross-site form cannot send without a CORS preflight.
 */
import { createHash, randomBytes } from 'node:crypto';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { NextFunction, Request, Response } from 'express';
import { QueryTypes, type Sequelize } from 'sequelize';
import { verifyPassword } from '../db/passwords';
import { type Actor, loadActor } from '../db/people';
import { DomainError } from '../domain/errors';

export const SESSION_COOKIE = 'vanthu_session';
const SESSION_HOURS = 12;

declare global {
  namespace Express {
    interface Request {
      actor?: Actor;
    }
  }
}

function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function signIn(
  sequelize: Sequelize,
  username: string,
  password: string,
  client: string,
): Promise<{ token: string; actor: Actor; expiresAt: Date }> {
  const [person] = await sequelize.query<{ id: number; password_hash: string | null }>(
    'SELECT id, password_hash FROM person WHERE username = :username AND active',
    { replacements: { username: username.trim().toLowerCase() }, type: QueryTypes.SELECT },
  );
  const valid = person?.password_hash ? await verifyPassword(person.password_hash, password) : false;
  if (!person || !valid) {
    throw new DomainError(
      'unauthenticated',
      'tên đăng nhập hoặc mật khẩu không đúng (wrong user name or password)',
    );
  }
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + SESSION_HOURS * 3_600_000);
  await sequelize.query(
    'INSERT INTO session (token_sha256, person_id, expires_at, client) VALUES (:digest, :personId, :expiresAt, :client)',
    { replacements: { digest: tokenDigest(token), personId: person.id, expiresAt, client } },
  );
  const actor = await loadActor(sequelize, person.id);
  return { token, actor: actor!, expiresAt };
}

export async function signOut(sequelize: Sequelize, token: string): Promise<void> {
  await sequelize.query('DELETE FROM session WHERE token_sha256 = :digest', {
    replacements: { digest: tokenDigest(token) },
  });
}

export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  return serializeCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure,
    path: '/',
    expires: expiresAt,
  });
}

export function clearedSessionCookie(secure: boolean): string {
  return serializeCookie(SESSION_COOKIE, '', {
    httpOnly: true,
    sameSite: 'strict',
    secure,
    path: '/',
    maxAge: 0,
  });
}

export function sessionToken(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const token = parseCookies(header)[SESSION_COOKIE];
  return token && /^[A-Za-z0-9_-]{43}$/.test(token) ? token : undefined;
}

/** Attaches req.actor when the request carries a live session; never refuses by itself. */
export function identify(sequelize: Sequelize) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const token = sessionToken(req);
    if (token) {
      const [session] = await sequelize.query<{ person_id: number }>(
        'SELECT person_id FROM session WHERE token_sha256 = :digest AND expires_at > now()',
        { replacements: { digest: tokenDigest(token) }, type: QueryTypes.SELECT },
      );
      if (session) req.actor = (await loadActor(sequelize, session.person_id)) ?? undefined;
    }
    next();
  };
}
