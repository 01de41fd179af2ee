/** Signing in and out. */
import { z } from 'zod';
import { clearedSessionCookie, sessionCookie, sessionToken, signIn, signOut } from '../auth';
import { defineRoute } from '../route';
import { problem } from '../schemas';

const signInBody = z
  .strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(1_000) })
  .meta({ id: 'SignIn' });

const personView = z
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

const secure = (publicUrl: string) => publicUrl.startsWith('https:');

const createSession = defineRoute({
  method: 'post',
  path: '/session',
  operationId: 'signIn',
  summary: 'Sign in with user name and password; sets the session cookie',
  tag: 'session',
  access: { kind: 'public' },
  body: signInBody,
  responses: {
    201: { description: 'Signed in', schema: z.object({ person: personView, expiresAt: z.string() }) },
    401: problem('Wrong user name or password'),
  },
  async handler({ req, body, ctx }) {
    const { token, actor, expiresAt } = await signIn(
      ctx.sequelize,
      body.username,
      body.password,
      req.ip ?? 'unknown',
    );
    return {
      status: 201,
      headers: { 'Set-Cookie': sessionCookie(token, expiresAt, secure(ctx.publicUrl)) },
      body: { person: actor, expiresAt },
    };
  },
});

const getSession = defineRoute({
  method: 'get',
  path: '/session',
  operationId: 'whoAmI',
  summary: 'The signed-in person and the roles they hold',
  tag: 'session',
  access: { kind: 'signed_in' },
  responses: {
    200: { description: 'Signed in', schema: z.object({ person: personView }) },
    401: problem('Not signed in'),
  },
  async handler({ actor }) {
    return { status: 200, body: { person: actor } };
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
  async handler({ req, ctx }) {
    const token = sessionToken(req);
    if (token) await signOut(ctx.sequelize, token);
    return { status: 204, headers: { 'Set-Cookie': clearedSessionCookie(secure(ctx.publicUrl)) } };
  },
});

export const sessionRoutes = [createSession, getSession, deleteSession];
