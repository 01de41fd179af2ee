/**
 * API tokens for other systems. An administrator creates one for a unit and a set of
 * roles; the token is shown once and only its SHA-256 is kept. Each token acts through a
 * service account of its own (a person row holding exactly the token's roles), so every
 * route authorises it like anyone else and the audit trail names it. Revoking a token
 * takes effect on its next request.
 */

import { randomBytes } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { z } from 'zod';
import { appendAudit } from '../../db/audit';
import { DomainError } from '../../domain/errors';
import { ROLES } from '../../domain/org';
import { newSecret, tokenDigest } from '../auth';
import { reachablePathPatterns, requireUnitRole } from '../authorization';
import { keysetPage, pageOf, pageQuery } from '../pagination';
import { principalCacheOf } from '../principal-cache';
import { defineRoute } from '../route';
import { problem } from '../schemas';

/** Tokens may hold any role but administration: a leaked token must not mint tokens. */
const TOKEN_ROLES = ROLES.filter((r) => r !== 'admin');

const newTokenBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100).describe('What system uses it, e.g. "Cổng thông tin quận"'),
    unitId: z
      .number()
      .int()
      .positive()
      .describe('The unit whose roles the token holds (and everything under it)'),
    roles: z
      .array(z.enum(TOKEN_ROLES as [string, ...string[]]))
      .min(1)
      .max(TOKEN_ROLES.length)
      .describe('Roles in that unit; admin is not allowed'),
    expiresAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When the token stops working; never when omitted'),
  })
  .meta({ id: 'NewApiToken' });

const tokenView = z
  .object({
    id: z.number(),
    name: z.string(),
    unitId: z.number(),
    roles: z.array(z.string()),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiToken' });

const createdTokenView = tokenView
  .extend({ token: z.string().describe('Shown only now: send it as "Authorization: Bearer <token>"') })
  .meta({ id: 'CreatedApiToken' });

const tokenIdParams = z.strictObject({ id: z.coerce.number().int().positive('must be a token id') });

interface TokenRow {
  id: number;
  name: string;
  unit_id: number;
  roles: string[];
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

function view(row: TokenRow) {
  return {
    id: row.id,
    name: row.name,
    unitId: row.unit_id,
    roles: row.roles,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
  };
}

const COLUMNS = 't.id, t.name, t.unit_id, t.roles, t.created_at, t.expires_at, t.revoked_at, t.last_used_at';

const createToken = defineRoute({
  method: 'post',
  path: '/tokens',
  operationId: 'createApiToken',
  summary: 'Create an API token for a unit and a set of roles (shown once)',
  tag: 'api tokens',
  access: { kind: 'role', roles: ['admin'] },
  body: newTokenBody,
  responses: {
    201: { description: 'The token; store it now, it is never shown again', schema: createdTokenView },
    404: problem('No such unit among those you administer'),
  },
  accessExamples: {
    allow: ['admin'],
    request: (fixture) => ({
      path: '/tokens',
      body: { name: 'Cổng thông tin (access test)', unitId: fixture.units.district, roles: ['clerk'] },
    }),
  },
  async handler({ req, actor, body, ctx }) {
    const unit = await requireUnitRole(ctx.sequelize, actor, body.unitId, ['admin'], 'body.unitId');
    const expiresAt = body.expiresAt ? new Date(body.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new DomainError('validation', 'body.expiresAt: must be in the future', 'body.expiresAt');
    }
    const roles = [...new Set(body.roles)];
    const token = `vt_${newSecret()}`;
    const row = await ctx.sequelize.transaction(async (transaction) => {
      const [person] = await ctx.sequelize.query<{ id: number }>(
        `INSERT INTO person (username, full_name, home_unit_id) VALUES ($1, $2, $3) RETURNING id`,
        {
          bind: [
            `api-token.${randomBytes(6).toString('hex')}`,
            `API token: ${body.name}`.slice(0, 200),
            unit.id,
          ],
          type: QueryTypes.SELECT,
          transaction,
        },
      );
      await ctx.sequelize.query(
        `INSERT INTO role_assignment (person_id, unit_id, role, title)
         SELECT $1, $2, r, 'API token' FROM unnest($3::text[]) AS r`,
        { bind: [person!.id, unit.id, roles], transaction },
      );
      const [created] = await ctx.sequelize.query<TokenRow>(
        `INSERT INTO api_token AS t (name, person_id, unit_id, roles, token_sha256, created_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
        {
          bind: [body.name, person!.id, unit.id, roles, tokenDigest(token), actor.personId, expiresAt],
          type: QueryTypes.SELECT,
          transaction,
        },
      );
      await appendAudit(ctx.sequelize, transaction, [
        {
          actorPersonId: actor.personId,
          actorUnitId: actor.homeUnitId,
          source: req.ip ?? 'unknown',
          action: 'api_token.created',
          documentId: null,
          versionSha256: null,
          detail: { tokenId: created!.id, name: body.name, unitId: unit.id, roles },
          idempotencyKey: null,
        },
      ]);
      return created!;
    });
    return { status: 201, headers: { Location: `/api/v1/tokens/${row.id}` }, body: { ...view(row), token } };
  },
});

const listTokens = defineRoute({
  method: 'get',
  path: '/tokens',
  operationId: 'listApiTokens',
  summary: 'API tokens of the units you administer, newest first',
  tag: 'api tokens',
  access: { kind: 'role', roles: ['admin'] },
  query: pageQuery(),
  responses: { 200: { description: 'A page of tokens', schema: pageOf(tokenView, 'ApiTokenPage') } },
  accessExamples: { allow: ['admin'], request: () => ({ path: '/tokens', query: { limit: '5' } }) },
  async handler({ actor, query, ctx }) {
    const page = await keysetPage<TokenRow>(ctx.sequelize, {
      sql: `SELECT ${COLUMNS} FROM api_token t JOIN org_unit u ON u.id = t.unit_id WHERE u.path LIKE ANY($1::text[])`,
      bind: [reachablePathPatterns(actor, ['admin'])],
      keys: [{ field: 'id', direction: 'desc' }],
      page: query,
    });
    return { status: 200, body: { items: page.rows.map(view), nextCursor: page.nextCursor } };
  },
});

const revokeToken = defineRoute({
  method: 'delete',
  path: '/tokens/:id',
  operationId: 'revokeApiToken',
  summary: 'Revoke an API token; its next request is refused',
  tag: 'api tokens',
  access: { kind: 'role', roles: ['admin'] },
  params: tokenIdParams,
  responses: { 204: { description: 'Revoked (or already revoked)' }, 404: problem('No such token') },
  accessExamples: {
    allow: ['admin'],
    async request(fixture) {
      const created = await fixture.asAdmin('post', '/tokens', {
        name: 'to revoke (access test)',
        unitId: fixture.units.district,
        roles: ['member'],
      });
      return { path: `/tokens/${(created.body as { id: number }).id}` };
    },
  },
  async handler({ req, actor, params, ctx }) {
    const revoked = await ctx.sequelize.transaction(async (transaction) => {
      const [row] = await ctx.sequelize.query<{ person_id: number; unit_id: number; revoked: boolean }>(
        `SELECT t.person_id, t.unit_id, t.revoked_at IS NOT NULL AS revoked
           FROM api_token t JOIN org_unit u ON u.id = t.unit_id
          WHERE t.id = $1 AND u.path LIKE ANY($2::text[]) FOR UPDATE OF t`,
        { bind: [params.id, reachablePathPatterns(actor, ['admin'])], type: QueryTypes.SELECT, transaction },
      );
      if (!row) throw new DomainError('not_found', `no API token ${params.id}`);
      if (row.revoked) return undefined;
      await ctx.sequelize.query('UPDATE api_token SET revoked_at = now(), revoked_by = $2 WHERE id = $1', {
        bind: [params.id, actor.personId],
        transaction,
      });
      await ctx.sequelize.query('UPDATE person SET active = false WHERE id = $1', {
        bind: [row.person_id],
        transaction,
      });
      await appendAudit(ctx.sequelize, transaction, [
        {
          actorPersonId: actor.personId,
          actorUnitId: actor.homeUnitId,
          source: req.ip ?? 'unknown',
          action: 'api_token.revoked',
          documentId: null,
          versionSha256: null,
          detail: { tokenId: params.id },
          idempotencyKey: null,
        },
      ]);
      return row.person_id;
    });
    // Refused from the next request on, here; other processes hear of it from the trigger.
    if (revoked !== undefined) principalCacheOf(ctx.sequelize).forget(revoked);
    return { status: 204 };
  },
});

export const tokenRoutes = [createToken, listTokens, revokeToken];
