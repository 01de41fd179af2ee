/** Signing in and out. */
import { Router } from 'express';
import type { Sequelize } from 'sequelize';
import { z } from 'zod';
import { clearedSessionCookie, requireActor, sessionCookie, sessionToken, signIn, signOut } from '../auth';
import { jsonBody } from '../validate';

const signInSchema = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1_000),
});

export function sessionRoutes(deps: { sequelize: Sequelize; secureCookies: boolean }): Router {
  const { sequelize, secureCookies } = deps;
  const router = Router();

  router.post('/session', async (req, res) => {
    const { username, password } = jsonBody(req, signInSchema);
    const { token, actor, expiresAt } = await signIn(sequelize, username, password, req.ip ?? 'unknown');
    res.setHeader('Set-Cookie', sessionCookie(token, expiresAt, secureCookies));
    res.status(201).json({ person: actor, expiresAt });
  });

  router.get('/session', (req, res) => {
    res.json({ person: requireActor(req) });
  });

  router.delete('/session', async (req, res) => {
    const token = sessionToken(req);
    if (token) await signOut(sequelize, token);
    res.setHeader('Set-Cookie', clearedSessionCookie(secureCookies));
    res.status(204).end();
  });

  return router;
}
