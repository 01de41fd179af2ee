/**
 * Who is calling. People sign in with a password (argon2id) and get a session whose token
 * travels in an HttpOnly, SameSite=Strict cookie (plus a CSRF token, see csrf.ts); other
 * systems send an API token as `Authorization: Bearer vt_…`. Only SHA-256 digests of
 * session tokens, API tokens and activation codes are stored.
 *
 * `identify` attaches the principal and never refuses by itself: a public route (sign-in)
 * must work with a stale cookie. When a request carried credentials that did not hold
 * (expired session, malformed cookie, revoked token), `req.authProblem` says which, and
 * a route that needs a caller answers 401 naming it.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { NextFunction, Request, Response } from 'express';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { appendAudit } from '../db/audit';
import { hashPassword, verifyPassword } from '../db/passwords';
import { ACTOR_COLUMNS, ACTOR_JOINS, type Actor, actorFromRows, type PrincipalRow } from '../db/people';
import { DomainError } from '../domain/errors';
import { csrfTokenFor } from './csrf';
import { LookupBatcher } from './lookup-batcher';
import { onePer } from './one-per';
import type { PreparedQuery } from './prepared';
import { principalCacheOf } from './principal-cache';
import {
  checkThrottle,
  clearThrottle,
  DEFAULT_SIGN_IN_POLICY,
  recordFailure,
  type SignInPolicy,
  type ThrottleSubject,
} from './sign-in-throttle';

export const SESSION_COOKIE = 'vanthu_session';
export const SESSION_HOURS = 12;
export const API_TOKEN_PATTERN = /^vt_[A-Za-z0-9_-]{43}$/;
const SESSION_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const ACTIVATION_HOURS = 72;
export const MIN_PASSWORD_LENGTH = 10;

export type Principal =
  | { kind: 'session'; actor: Actor; sessionDigest: string; csrfToken: string; expiresAt: Date }
  | { kind: 'token'; actor: Actor; tokenId: number };

export type AuthProblem =
  | 'session_expired'
  | 'session_unknown'
  | 'cookie_malformed'
  | 'authorization_malformed'
  | 'token_unknown'
  | 'token_revoked'
  | 'token_expired';

declare global {
  namespace Express {
    interface Request {
      actor?: Actor;
      principal?: Principal;
      authProblem?: AuthProblem;
    }
  }
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** 256 random bits, URL-safe: session tokens and the secret part of API tokens. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

// ---------------------------------------------------------------- identification

type SessionRow = PrincipalRow & { token_sha256: string; expires_at: Date };
type TokenRow = PrincipalRow & {
  token_sha256: string;
  token_id: number;
  revoked: boolean;
  expires_at: Date | null;
  last_used_at: Date | null;
};

/**
 * Sessions and their people with every role, many digests per round trip: this runs on
 * every request whose principal is not cached (principal-cache.ts). Whether a session or
 * token has expired is decided per request, against the clock, not by the query.
 */
const SESSION_PRINCIPALS: PreparedQuery = {
  name: 'vanthu_session_principals',
  text: `SELECT s.token_sha256, s.expires_at, ${ACTOR_COLUMNS}
           FROM session s JOIN person p ON p.id = s.person_id AND p.active ${ACTOR_JOINS}
          WHERE s.token_sha256 = ANY($1::char(64)[])`,
};

const TOKEN_PRINCIPALS: PreparedQuery = {
  name: 'vanthu_token_principals',
  text: `SELECT t.token_sha256, t.id AS token_id, t.revoked_at IS NOT NULL AS revoked, t.expires_at,
                t.last_used_at, ${ACTOR_COLUMNS}
           FROM api_token t JOIN person p ON p.id = t.person_id ${ACTOR_JOINS}
          WHERE t.token_sha256 = ANY($1::char(64)[])`,
};

/**
 * The rows of a credential's digest (one per role the person holds): from the cache, or
 * read with others asked for meanwhile and then kept.
 */
function principalRowsBy<R extends { token_sha256: string; id: number }>(kind: string, query: PreparedQuery) {
  const batchers = onePer(
    (sequelize: Sequelize) =>
      new LookupBatcher<string, R[]>(async (digests) => {
        const cache = principalCacheOf(sequelize);
        const { rows, ticket } = await cache.read<R>(sequelize, query, [digests]);
        const found = new Map<string, R[]>();
        for (const row of rows) {
          const group = found.get(row.token_sha256);
          if (group) group.push(row);
          else found.set(row.token_sha256, [row]);
        }
        for (const [digest, group] of found) cache.store(kind + digest, group, group[0]!.id, ticket);
        return found;
      }),
  );
  return async (sequelize: Sequelize, digest: string): Promise<readonly R[]> =>
    principalCacheOf(sequelize).get<R>(kind + digest) ?? (await batchers(sequelize).get(digest)) ?? [];
}
const sessionRows = principalRowsBy<SessionRow>('session:', SESSION_PRINCIPALS);
const tokenRows = principalRowsBy<TokenRow>('token:', TOKEN_PRINCIPALS);

/**
 * What a credential's rows give every request, made once per cached rows: the actor (frozen,
 * since requests share it) and, for a session, its CSRF token (an HMAC of the token).
 */
const derivedFrom = new WeakMap<readonly PrincipalRow[], { actor: Actor; csrfToken?: string }>();

function derived(rows: readonly PrincipalRow[], token?: string): { actor: Actor; csrfToken?: string } {
  let known = derivedFrom.get(rows);
  if (!known) {
    const actor = actorFromRows(rows)!;
    for (const role of actor.roles) Object.freeze(role);
    Object.freeze(actor.roles);
    known = { actor: Object.freeze(actor), ...(token ? { csrfToken: csrfTokenFor(token) } : {}) };
    derivedFrom.set(rows, known);
  }
  return known;
}

async function sessionPrincipal(sequelize: Sequelize, token: string): Promise<Principal | AuthProblem> {
  const digest = tokenDigest(token);
  const rows = await sessionRows(sequelize, digest);
  const first = rows[0];
  if (!first) return 'session_unknown';
  if (first.expires_at.getTime() <= Date.now()) return 'session_expired';
  const { actor, csrfToken } = derived(rows, token);
  return {
    kind: 'session',
    actor,
    sessionDigest: digest,
    csrfToken: csrfToken!,
    expiresAt: first.expires_at,
  };
}

/** When this process last wrote each token's "last used", per database. */
const tokenUseWritten = onePer((_: Sequelize) => new Map<number, number>());

async function tokenPrincipal(sequelize: Sequelize, token: string): Promise<Principal | AuthProblem> {
  const rows = await tokenRows(sequelize, tokenDigest(token));
  const first = rows[0];
  if (!first) return 'token_unknown';
  if (first.revoked) return 'token_revoked';
  const now = Date.now();
  if (first.expires_at && first.expires_at.getTime() <= now) return 'token_expired';
  // At most one write a minute per token: "last used" is for administrators, not a hot path.
  const written = tokenUseWritten(sequelize);
  const last = written.get(first.token_id) ?? first.last_used_at?.getTime() ?? 0;
  if (now - last >= 60_000) {
    written.set(first.token_id, now);
    sequelize
      .query('UPDATE api_token SET last_used_at = now() WHERE id = $1', { bind: [first.token_id] })
      .catch(() => undefined);
  }
  return { kind: 'token', actor: derived(rows).actor, tokenId: first.token_id };
}

export function sessionToken(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const token = parseCookies(header)[SESSION_COOKIE];
  return token && SESSION_TOKEN_PATTERN.test(token) ? token : undefined;
}

function cookieProblem(req: Request): boolean {
  const header = req.headers.cookie;
  if (!header) return false;
  const token = parseCookies(header)[SESSION_COOKIE];
  return token !== undefined && token !== '' && !SESSION_TOKEN_PATTERN.test(token);
}

/** Attaches req.principal and req.actor when the credentials hold; notes why when they do not. */
export function identify(sequelize: Sequelize) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    try {
      const authorization = req.get('authorization');
      let found: Principal | AuthProblem | undefined;
      if (authorization !== undefined) {
        const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
        found =
          match && API_TOKEN_PATTERN.test(match[1]!)
            ? await tokenPrincipal(sequelize, match[1]!)
            : 'authorization_malformed';
      } else {
        const token = sessionToken(req);
        if (token) found = await sessionPrincipal(sequelize, token);
        else if (cookieProblem(req)) found = 'cookie_malformed';
      }
      if (typeof found === 'string') req.authProblem = found;
      else if (found) {
        req.principal = found;
        req.actor = found.actor;
      }
      next();
    } catch (error) {
      next(error);
    }
  };
}

const AUTH_PROBLEM_DETAIL: Record<AuthProblem, string> = {
  session_expired: 'your session has expired; sign in again',
  session_unknown: 'this session is not known (signed out or replaced); sign in again',
  cookie_malformed: 'the session cookie is malformed; sign in again',
  authorization_malformed: 'the Authorization header must be "Bearer vt_…" with an API token',
  token_unknown: 'this API token is not known',
  token_revoked: 'this API token has been revoked',
  token_expired: 'this API token has expired',
};

/** The 401 for a route that needs a caller, naming what was wrong with the credentials. */
export function unauthenticated(req: Request): DomainError {
  const detail = req.authProblem
    ? AUTH_PROBLEM_DETAIL[req.authProblem]
    : 'hãy đăng nhập trước (sign in first)';
  return new DomainError('unauthenticated', detail);
}

// ---------------------------------------------------------------- sessions

export interface OpenedSession {
  token: string;
  actor: Actor;
  expiresAt: Date;
  csrfToken: string;
}

let dummyHash: Promise<string> | undefined;

/**
 * An argon2id hash of nothing anyone knows: unknown users and accounts without a password
 * are verified against it, so they take as long as a wrong password does.
 */
export function warmUpPasswordCheck(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(24).toString('base64url'));
  return dummyHash;
}

async function audit(
  sequelize: Sequelize,
  transaction: Transaction | null,
  entry: { action: string; personId: number | null; unitId: number | null; source: string; detail?: object },
): Promise<void> {
  const write = (t: Transaction) =>
    appendAudit(sequelize, t, [
      {
        actorPersonId: entry.personId,
        actorUnitId: entry.unitId,
        source: entry.source,
        action: entry.action,
        documentId: null,
        versionSha256: null,
        detail: { ...(entry.detail ?? {}) },
        idempotencyKey: null,
      },
    ]);
  if (transaction) await write(transaction);
  else await sequelize.transaction(write);
}

/** Opens a session for a person (after a password or an activation code was checked). */
async function openSession(
  sequelize: Sequelize,
  personId: number,
  client: string,
  action: string,
): Promise<OpenedSession> {
  const token = newSecret();
  const expiresAt = new Date(Date.now() + SESSION_HOURS * 3_600_000);
  const actor = await sequelize.transaction(async (transaction) => {
    // Sessions expired for a day are gone for good; younger ones still answer "expired".
    await sequelize.query(
      `DELETE FROM session WHERE person_id = $1 AND expires_at < now() - interval '1 day'`,
      { bind: [personId], transaction },
    );
    await sequelize.query(
      'INSERT INTO session (token_sha256, person_id, expires_at, client) VALUES ($1, $2, $3, $4)',
      { bind: [tokenDigest(token), personId, expiresAt, client], transaction },
    );
    const rows = await sequelize.query<PrincipalRow>(
      `SELECT ${ACTOR_COLUMNS} FROM person p ${ACTOR_JOINS} WHERE p.id = $1`,
      { bind: [personId], type: QueryTypes.SELECT, transaction },
    );
    const loaded = actorFromRows(rows)!;
    await audit(sequelize, transaction, {
      action,
      personId,
      unitId: loaded.homeUnitId,
      source: client,
    });
    return loaded;
  });
  return { token, actor, expiresAt, csrfToken: csrfTokenFor(token) };
}

export interface Credentials {
  username: string;
  password: string;
  /** The client address, for throttling and the audit trail. */
  client: string;
}

function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

function throttleSubjects(username: string, client: string): ThrottleSubject[] {
  return [
    { scope: 'account', subject: username.slice(0, 200) || '-' },
    { scope: 'client', subject: client.slice(0, 200) || '-' },
  ];
}

const WRONG_CREDENTIALS = 'tên đăng nhập hoặc mật khẩu không đúng (wrong user name or password)';

async function failSignIn(
  sequelize: Sequelize,
  subjects: ThrottleSubject[],
  policy: SignInPolicy,
  client: string,
  detail: string,
): Promise<never> {
  const locked = await recordFailure(sequelize, subjects, policy);
  for (const subject of locked) {
    await audit(sequelize, null, {
      action: 'auth.sign_in_locked',
      personId: null,
      unitId: null,
      source: client,
      detail: { scope: subject.scope, subject: subject.subject },
    });
  }
  throw new DomainError('unauthenticated', detail);
}

/** Checks a password and opens a session; slowed and locked after repeated failures. */
export async function signIn(
  sequelize: Sequelize,
  credentials: Credentials,
  policy: SignInPolicy = DEFAULT_SIGN_IN_POLICY,
): Promise<OpenedSession> {
  const username = normaliseUsername(credentials.username);
  const subjects = throttleSubjects(username, credentials.client);
  await checkThrottle(sequelize, subjects);
  const [person] = await sequelize.query<{ id: number; password_hash: string | null }>(
    'SELECT id, password_hash FROM person WHERE username = $1 AND active',
    { bind: [username], type: QueryTypes.SELECT },
  );
  // The same argon2id work whether or not the account exists or has a password.
  const stored = person?.password_hash ?? (await warmUpPasswordCheck());
  const matches = await verifyPassword(stored, credentials.password).catch(() => false);
  if (!person?.password_hash || !matches) {
    return failSignIn(sequelize, subjects, policy, credentials.client, WRONG_CREDENTIALS);
  }
  await clearThrottle(sequelize, subjects[0]!);
  return openSession(sequelize, person.id, credentials.client, 'auth.signed_in');
}

export async function signOut(sequelize: Sequelize, token: string, client: string): Promise<void> {
  const person = await sequelize.transaction(async (transaction) => {
    const [ended] = await sequelize.query<{ person_id: number }>(
      'DELETE FROM session WHERE token_sha256 = $1 RETURNING person_id',
      { bind: [tokenDigest(token)], type: QueryTypes.SELECT, transaction },
    );
    if (ended) {
      await audit(sequelize, transaction, {
        action: 'auth.signed_out',
        personId: ended.person_id,
        unitId: null,
        source: client,
      });
    }
    return ended?.person_id;
  });
  // The trigger tells every other process; this one must not answer from its cache meanwhile.
  if (person !== undefined) principalCacheOf(sequelize).forget(person);
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

// ---------------------------------------------------------------- first sign-in

/** Crockford base32 without look-alikes: easy to read out over the phone. */
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function normaliseCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

/** Refuses a password that is too short or contains the user name. */
export function checkNewPassword(password: string, username: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new DomainError(
      'validation',
      `the password must be at least ${MIN_PASSWORD_LENGTH} characters long`,
      'body.password',
    );
  }
  if (password.toLowerCase().includes(username.toLowerCase())) {
    throw new DomainError('validation', 'the password must not contain the user name', 'body.password');
  }
}

export interface ActivationCode {
  code: string;
  expiresAt: Date;
}

/**
 * Issues a one-time code with which a person sets their password (accounts seeded
 * without one, or a forgotten password). A new code replaces the previous one. The caller
 * has checked that the issuer may administer the person.
 */
export async function issueActivationCode(
  sequelize: Sequelize,
  personId: number,
  issuer: { personId: number; unitId: number; source: string },
): Promise<ActivationCode> {
  const raw = Array.from({ length: 15 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
  const code = `${raw.slice(0, 5)}-${raw.slice(5, 10)}-${raw.slice(10)}`;
  const expiresAt = new Date(Date.now() + ACTIVATION_HOURS * 3_600_000);
  await sequelize.transaction(async (transaction) => {
    await sequelize.query(
      `INSERT INTO activation_code (person_id, code_sha256, issued_by, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (person_id) DO UPDATE SET code_sha256 = EXCLUDED.code_sha256,
         issued_by = EXCLUDED.issued_by, issued_at = now(), expires_at = EXCLUDED.expires_at`,
      { bind: [personId, tokenDigest(raw), issuer.personId, expiresAt], transaction },
    );
    await audit(sequelize, transaction, {
      action: 'auth.activation_code_issued',
      personId: issuer.personId,
      unitId: issuer.unitId,
      source: issuer.source,
      detail: { personId, expiresAt: expiresAt.toISOString() },
    });
  });
  return { code, expiresAt };
}

/**
 * Sets a person's password with a one-time activation code and opens a session. Wrong
 * codes count as failed sign-ins (same throttle), and the answer is the same whether the
 * user, the code or its age is wrong.
 */
export async function activateAccount(
  sequelize: Sequelize,
  input: { username: string; code: string; password: string; client: string },
  policy: SignInPolicy = DEFAULT_SIGN_IN_POLICY,
): Promise<OpenedSession> {
  const username = normaliseUsername(input.username);
  const subjects = throttleSubjects(username, input.client);
  await checkThrottle(sequelize, subjects);
  const [row] = await sequelize.query<{ person_id: number; code_sha256: string; live: boolean }>(
    `SELECT a.person_id, a.code_sha256, a.expires_at > now() AS live
       FROM activation_code a JOIN person p ON p.id = a.person_id AND p.active
      WHERE p.username = $1`,
    { bind: [username], type: QueryTypes.SELECT },
  );
  const given = Buffer.from(tokenDigest(normaliseCode(input.code)));
  const expected = Buffer.from(row?.code_sha256 ?? tokenDigest(newSecret()));
  const matches = timingSafeEqual(given, expected);
  if (!row?.live || !matches) {
    return failSignIn(
      sequelize,
      subjects,
      policy,
      input.client,
      'the activation code is wrong or expired; ask an administrator for a new one',
    );
  }
  checkNewPassword(input.password, username);
  const hash = await hashPassword(input.password);
  const consumed = await sequelize.transaction(async (transaction) => {
    // Deleting the code row is the claim: of two requests with one code, one wins.
    const [claimed] = await sequelize.query<{ person_id: number }>(
      'DELETE FROM activation_code WHERE person_id = $1 AND code_sha256 = $2 RETURNING person_id',
      { bind: [row.person_id, row.code_sha256], type: QueryTypes.SELECT, transaction },
    );
    if (!claimed) return false;
    await sequelize.query('UPDATE person SET password_hash = $2 WHERE id = $1', {
      bind: [row.person_id, hash],
      transaction,
    });
    // A new password ends every session opened with the old one.
    await sequelize.query('DELETE FROM session WHERE person_id = $1', { bind: [row.person_id], transaction });
    await audit(sequelize, transaction, {
      action: 'auth.password_set',
      personId: row.person_id,
      unitId: null,
      source: input.client,
    });
    return true;
  });
  if (consumed) principalCacheOf(sequelize).forget(row.person_id);
  if (!consumed) throw new DomainError('unauthenticated', 'this activation code has already been used');
  await clearThrottle(sequelize, subjects[0]!);
  return openSession(sequelize, row.person_id, input.client, 'auth.signed_in');
}
