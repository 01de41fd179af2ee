/** Signing in and out, the signed-in person, and the first sign-in with an activation code. */
import { z } from 'zod';
import {
  activateAccount,
  clearedSessionCookie,
  type OpenedSession,
  sessionCookie,
  sessionToken,
  signIn,
  signOut,
} from '../auth';
import { clearedCsrfCookie, csrfCookie } from '../csrf';
import { defineRoute, PERSONAS, type Reply, SIGNED_IN_PERSONAS, signInPolicyOf } from '../route';
import { problem } from '../schemas';

const signInBody = z
  .strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(1_000) })
  .meta({ id: 'SignIn' });

const activationBody = z
  .strictObject({
    username: z.string().min(1).max(64),
    code: z
      .string()
      .min(1)
      .max(40)
      .describe('The one-time code an administrator gave you, e.g. 7K2QD-M4XPA-9RT3B'),
    password: z
      .string()
      .min(1)
      .max(1_000)
      .describe('Your new password: at least 10 characters, not containing the user name'),
  })
  .meta({ id: 'Activation' });

export const personView = z
  .object({
    personId: z.number(),
    username: z.string(),
    fullName: z.string(),
    homeUnitId: z.number(),
    roles: z.array(
      z.object({
        unitId: z.number(),
        unitPath: z.string(),
        unitName: z.string(),
        role: z.string(),
        title: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'Person' });

const sessionView = z
  .object({
    person: personView,
    expiresAt: z.string(),
    csrfToken: z.string().describe('Send it as X-CSRF-Token on every POST, PUT, PATCH and DELETE'),
  })
  .meta({ id: 'Session' });

const whoAmIView = z
  .object({
    person: personView,
    via: z.enum(['session', 'token']),
    expiresAt: z.string().optional(),
    csrfToken: z.string().optional().describe('Present for sessions'),
  })
  .meta({ id: 'WhoAmI' });

const secure = (publicUrl: string) => publicUrl.startsWith('https:');

function opened(session: OpenedSession, publicUrl: string): Reply {
  return {
    status: 201,
    headers: {
      'Set-Cookie': [
        sessionCookie(session.token, session.expiresAt, secure(publicUrl)),
        csrfCookie(session.csrfToken, session.expiresAt, secure(publicUrl)),
      ],
    },
    body: { person: session.actor, expiresAt: session.expiresAt, csrfToken: session.csrfToken },
  };
}

const createSession = defineRoute({
  method: 'post',
  path: '/session',
  operationId: 'signIn',
  summary: 'Sign in with user name and password; sets the session cookie',
  description:
    'Answers the session with its CSRF token and sets two cookies: `vanthu_session` (HttpOnly) and `vanthu_csrf` (readable, for the page script). Repeated failures are slowed and then locked for a while (429 with Retry-After), per account and per client address.',
  tag: 'session',
  access: { kind: 'public' },
  csrfExempt: true,
  body: signInBody,
  responses: {
    201: { description: 'Signed in', schema: sessionView },
    401: problem('Wrong user name or password'),
    429: problem('Too many failed sign-ins: wait (Retry-After) or ask an administrator'),
  },
  accessExamples: {
    allow: PERSONAS,
    request: () => ({ path: '/session', body: { username: 'chuyenvien.badinh', password: 'vanthu-demo' } }),
  },
  async handler({ req, body, ctx }) {
    const session = await signIn(
      ctx.sequelize,
      { username: body.username, password: body.password, client: req.ip ?? 'unknown' },
      signInPolicyOf(ctx),
    );
    return opened(session, ctx.publicUrl);
  },
});

const activate = defineRoute({
  method: 'post',
  path: '/session/activation',
  operationId: 'activateAccount',
  summary: 'First sign-in: set your password with a one-time activation code',
  description:
    'For accounts created without a password (or a forgotten one): an administrator issues a one-time code (POST /admin/people/{id}/activation-code) and hands it over. The code is valid for 72 hours; wrong codes count as failed sign-ins. Setting the password ends the other sessions of the account and opens a new one.',
  tag: 'session',
  access: { kind: 'public' },
  csrfExempt: true,
  body: activationBody,
  responses: {
    201: { description: 'Password set and signed in', schema: sessionView },
    401: problem('Wrong or expired code'),
    429: problem('Too many failed attempts'),
  },
  accessExamples: {
    allow: PERSONAS,
    async request(fixture) {
      const person = await fixture.newPerson();
      const issued = (await fixture.asAdmin('post', `/admin/people/${person.id}/activation-code`)).body as {
        code: string;
      };
      return {
        path: '/session/activation',
        body: { username: person.username, code: issued.code, password: 'một mật khẩu đủ dài' },
      };
    },
  },
  async handler({ req, body, ctx }) {
    const session = await activateAccount(
      ctx.sequelize,
      { username: body.username, code: body.code, password: body.password, client: req.ip ?? 'unknown' },
      signInPolicyOf(ctx),
    );
    return opened(session, ctx.publicUrl);
  },
});

const getSession = defineRoute({
  method: 'get',
  path: '/session',
  operationId: 'whoAmI',
  summary: 'The signed-in person (or API token) and the roles they hold',
  tag: 'session',
  access: { kind: 'signed_in' },
  responses: {
    200: { description: 'Signed in', schema: whoAmIView },
    401: problem('Not signed in'),
  },
  accessExamples: {
    allow: SIGNED_IN_PERSONAS,
    request: () => ({ path: '/session' }),
  },
  async handler({ req, actor }) {
    const principal = req.principal!;
    return {
      status: 200,
      body:
        principal.kind === 'session'
          ? { person: actor, via: 'session', expiresAt: principal.expiresAt, csrfToken: principal.csrfToken }
          : { person: actor, via: 'token' },
    };
  },
});

const deleteSession = defineRoute({
  method: 'delete',
  path: '/session',
  operationId: 'signOut',
  summary: 'Sign out: ends the session',
  tag: 'session',
  access: { kind: 'public' },
  responses: { 204: { description: 'Signed out' } },
  accessExamples: {
    allow: PERSONAS,
    request: () => ({ path: '/session', freshSession: true }),
  },
  async handler({ req, ctx }) {
    const token = req.principal?.kind === 'session' ? sessionToken(req) : undefined;
    if (token) await signOut(ctx.sequelize, token, req.ip ?? 'unknown');
    return {
      status: 204,
      headers: {
        'Set-Cookie': [clearedSessionCookie(secure(ctx.publicUrl)), clearedCsrfCookie(secure(ctx.publicUrl))],
      },
    };
  },
});

export const sessionRoutes = [createSession, activate, getSession, deleteSession];
