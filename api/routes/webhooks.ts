/**
 * Webhook subscriptions for other systems: an administrator subscribes a URL to events of
 * a unit (and everything under it); deliveries are signed with the subscription's secret,
 * retried durably and logged per attempt. Edits use ETag / If-Match.
 */
import { randomBytes } from 'node:crypto';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { z } from 'zod';
import { appendAudit } from '../../db/audit';
import type { Actor } from '../../db/people';
import { enqueuePing, WEBHOOK_EVENTS } from '../../db/webhooks';
import { DomainError } from '../../domain/errors';
import { canAdminister, canSeeUnit, reachablePathPatterns, requireUnitRole } from '../authorization';
import { entityEtag, requireIfMatch } from '../etag';
import { keysetPage, pageOf, pageQuery } from '../pagination';
import { type AccessFixture, defineRoute } from '../route';
import { problem } from '../schemas';

const webhookUrl = z
  .string()
  .max(2_000)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without user name or password')
  // Stored as the URL parser writes it (lower-case scheme and host), as the database checks it.
  .transform((value) => new URL(value).href)
  .describe('Where to POST the events');

const secretField = z
  .string()
  .min(32, 'at least 32 characters')
  .max(200)
  .describe('HMAC key for X-Vanthu-Signature; generated when omitted');

const eventsField = z
  .array(z.enum(WEBHOOK_EVENTS))
  .min(1)
  .max(WEBHOOK_EVENTS.length)
  .describe('Which events to send');

const newSubscription = z
  .strictObject({
    unitId: z.number().int().positive().describe('Events about this unit and every unit under it'),
    url: webhookUrl,
    events: eventsField,
    secret: secretField.optional(),
    description: z.string().max(500).optional(),
  })
  .meta({ id: 'NewWebhookSubscription' });

const subscriptionUpdate = z
  .strictObject({
    url: webhookUrl,
    events: eventsField,
    active: z.boolean(),
    description: z.string().max(500).nullable().optional(),
    secret: secretField.optional().describe('A new secret (rotation); the old one stops at once'),
  })
  .meta({ id: 'WebhookSubscriptionUpdate' });

const subscriptionView = z
  .object({
    id: z.number(),
    unitId: z.number(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    active: z.boolean(),
    version: z.number(),
    secretHint: z.string().describe('The last four characters of the secret'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'WebhookSubscription' });

const createdSubscriptionView = subscriptionView
  .extend({ secret: z.string().describe('Shown only now') })
  .meta({ id: 'CreatedWebhookSubscription' });

const deliveryView = z
  .object({
    id: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    state: z.enum(['pending', 'dispatched', 'delivered', 'failed', 'cancelled']),
    attempts: z.array(
      z.object({
        attempt: z.number(),
        startedAt: z.string(),
        durationMs: z.number(),
        outcome: z.enum(['succeeded', 'failed']),
        responseStatus: z.number().nullable(),
        error: z.string().nullable(),
      }),
    ),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    lastError: z.string().nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

const idParams = z.strictObject({ id: z.coerce.number().int().positive('must be a subscription id') });

interface SubscriptionRow {
  id: number;
  unit_id: number;
  url: string;
  events: string[];
  description: string | null;
  active: boolean;
  version: number;
  secret: string;
  created_at: Date;
  updated_at: Date;
  path: string;
}

const SELECT = `SELECT s.id, s.unit_id, s.url, s.events, s.description, s.active, s.version, s.secret,
                       s.created_at, s.updated_at, u.path
                  FROM webhook_subscription s JOIN org_unit u ON u.id = s.unit_id`;

function view(row: SubscriptionRow) {
  return {
    id: row.id,
    unitId: row.unit_id,
    url: row.url,
    events: row.events,
    description: row.description,
    active: row.active,
    version: row.version,
    secretHint: `…${row.secret.slice(-4)}`,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function etagOf(row: { id: number; version: number }): string {
  return entityEtag('webhook_subscription', row.id, row.version);
}

/** The subscription if the actor administers its unit; "not found" otherwise. */
async function administeredSubscription(
  sequelize: Sequelize,
  actor: Actor,
  id: number,
  transaction?: Transaction,
): Promise<SubscriptionRow> {
  const [row] = await sequelize.query<SubscriptionRow>(
    `${SELECT} WHERE s.id = $1 AND s.deleted_at IS NULL${transaction ? ' FOR UPDATE OF s' : ''}`,
    { bind: [id], type: QueryTypes.SELECT, ...(transaction ? { transaction } : {}) },
  );
  if (!row || !canSeeUnit(actor, row.path))
    throw new DomainError('not_found', `no webhook subscription ${id}`);
  if (!canAdminister(actor, row.path)) {
    throw new DomainError('forbidden', 'only an administrator of its unit manages this subscription');
  }
  return row;
}

async function audit(
  sequelize: Sequelize,
  transaction: Transaction,
  actor: Actor,
  source: string,
  action: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await appendAudit(sequelize, transaction, [
    {
      actorPersonId: actor.personId,
      actorUnitId: actor.homeUnitId,
      source,
      action,
      documentId: null,
      versionSha256: null,
      detail,
      idempotencyKey: null,
    },
  ]);
}

/** A subscription in the district, for access examples. */
async function exampleSubscription(fixture: AccessFixture): Promise<number> {
  const created = await fixture.asAdmin('post', '/webhooks', {
    unitId: fixture.units.district,
    url: 'http://127.0.0.1:9/never-called',
    events: ['document.issued'],
    description: 'access test',
  });
  return (created.body as { id: number }).id;
}

const createSubscription = defineRoute({
  method: 'post',
  path: '/webhooks',
  operationId: 'createWebhookSubscription',
  summary: 'Subscribe a URL to events of a unit (the secret is shown once)',
  tag: 'webhooks',
  access: { kind: 'role', roles: ['admin'] },
  body: newSubscription,
  responses: {
    201: { description: 'Subscribed', schema: createdSubscriptionView },
    404: problem('No such unit among those you administer'),
  },
  accessExamples: {
    allow: ['admin'],
    request: (fixture) => ({
      path: '/webhooks',
      body: { unitId: fixture.units.district, url: 'http://127.0.0.1:9/x', events: ['document.issued'] },
    }),
  },
  async handler({ req, actor, body, ctx }) {
    const unit = await requireUnitRole(ctx.sequelize, actor, body.unitId, ['admin'], 'body.unitId');
    const secret = body.secret ?? `whsec_${randomBytes(32).toString('base64url')}`;
    const row = await ctx.sequelize.transaction(async (transaction) => {
      const [inserted] = await ctx.sequelize.query<{ id: number }>(
        `INSERT INTO webhook_subscription (unit_id, url, events, secret, description, created_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        {
          bind: [
            unit.id,
            body.url,
            [...new Set(body.events)],
            secret,
            body.description ?? null,
            actor.personId,
          ],
          type: QueryTypes.SELECT,
          transaction,
        },
      );
      await audit(ctx.sequelize, transaction, actor, req.ip ?? 'unknown', 'webhook.subscribed', {
        subscriptionId: inserted!.id,
        unitId: unit.id,
        url: body.url,
        events: body.events,
      });
      return (await administeredSubscription(ctx.sequelize, actor, inserted!.id, transaction))!;
    });
    return {
      status: 201,
      headers: { Location: `/api/v1/webhooks/${row.id}`, ETag: etagOf(row) },
      body: { ...view(row), secret },
    };
  },
});

const listSubscriptions = defineRoute({
  method: 'get',
  path: '/webhooks',
  operationId: 'listWebhookSubscriptions',
  summary: 'Webhook subscriptions of the units you administer',
  tag: 'webhooks',
  access: { kind: 'role', roles: ['admin'] },
  query: pageQuery(),
  responses: { 200: { description: 'A page', schema: pageOf(subscriptionView, 'WebhookSubscriptionPage') } },
  accessExamples: { allow: ['admin'], request: () => ({ path: '/webhooks' }) },
  async handler({ actor, query, ctx }) {
    const page = await keysetPage<SubscriptionRow>(ctx.sequelize, {
      sql: `${SELECT} WHERE s.deleted_at IS NULL AND u.path LIKE ANY ($1::text[])`,
      bind: [reachablePathPatterns(actor, ['admin'])],
      keys: [{ field: 'id', direction: 'desc' }],
      page: query,
    });
    return { status: 200, body: { items: page.rows.map(view), nextCursor: page.nextCursor } };
  },
});

const getSubscription = defineRoute({
  method: 'get',
  path: '/webhooks/:id',
  operationId: 'getWebhookSubscription',
  summary: 'A webhook subscription, with its ETag for editing',
  tag: 'webhooks',
  access: { kind: 'role', roles: ['admin'] },
  params: idParams,
  responses: {
    200: { description: 'The subscription', schema: subscriptionView },
    404: problem('No such subscription'),
  },
  accessExamples: {
    allow: ['admin'],
    request: async (fixture) => ({ path: `/webhooks/${await exampleSubscription(fixture)}` }),
  },
  async handler({ actor, params, ctx }) {
    const row = await administeredSubscription(ctx.sequelize, actor, params.id);
    return { status: 200, headers: { ETag: etagOf(row) }, body: view(row) };
  },
});

const updateSubscription = defineRoute({
  method: 'put',
  path: '/webhooks/:id',
  operationId: 'updateWebhookSubscription',
  summary: 'Change a subscription (If-Match required)',
  tag: 'webhooks',
  access: { kind: 'role', roles: ['admin'] },
  params: idParams,
  body: subscriptionUpdate,
  ifMatch: true,
  responses: { 200: { description: 'Changed; the new ETag is in the header', schema: subscriptionView } },
  accessExamples: {
    allow: ['admin'],
    async request(fixture) {
      const id = await exampleSubscription(fixture);
      return {
        path: `/webhooks/${id}`,
        headers: { 'If-Match': '*' },
        body: { url: 'http://127.0.0.1:9/y', events: ['delivery.received'], active: false },
      };
    },
  },
  async handler({ req, actor, params, body, ctx }) {
    const row = await ctx.sequelize.transaction(async (transaction) => {
      const current = await administeredSubscription(ctx.sequelize, actor, params.id, transaction);
      requireIfMatch(req, etagOf(current));
      await ctx.sequelize.query(
        `UPDATE webhook_subscription SET url = $2, events = $3, active = $4, description = $5,
                secret = coalesce($6, secret), version = version + 1, updated_at = now()
          WHERE id = $1`,
        {
          bind: [
            params.id,
            body.url,
            [...new Set(body.events)],
            body.active,
            body.description === undefined ? current.description : body.description,
            body.secret ?? null,
          ],
          transaction,
        },
      );
      await audit(ctx.sequelize, transaction, actor, req.ip ?? 'unknown', 'webhook.updated', {
        subscriptionId: params.id,
        url: body.url,
        events: body.events,
        active: body.active,
        secretRotated: body.secret !== undefined,
      });
      return administeredSubscription(ctx.sequelize, actor, params.id, transaction);
    });
    return { status: 200, headers: { ETag: etagOf(row) }, body: view(row) };
  },
});

const deleteSubscription = defineRoute({
  method: 'delete',
  path: '/webhooks/:id',
  operationId: 'deleteWebhookSubscription',
  summary: 'Unsubscribe; deliveries not yet sent are cancelled',
  tag: 'webhooks',
  access: { kind: 'role', roles: ['admin'] },
  params: idParams,
  responses: { 204: { description: 'Unsubscribed' }, 404: problem('No such subscription') },
  accessExamples: {
    allow: ['admin'],
    request: async (fixture) => ({ path: `/webhooks/${await exampleSubscription(fixture)}` }),
  },
  async handler({ req, actor, params, ctx }) {
    await ctx.sequelize.transaction(async (transaction) => {
      await administeredSubscription(ctx.sequelize, actor, params.id, transaction);
      await ctx.sequelize.query(
        'UPDATE webhook_subscription SET deleted_at = now(), active = false, version = version + 1 WHERE id = $1',
        { bind: [params.id], transaction },
      );
      await audit(ctx.sequelize, transaction, actor, req.ip ?? 'unknown', 'webhook.deleted', {
        subscriptionId: params.id,
      });
    });
    return { status: 204 };
  },
});

const listDeliveries = defineRoute({
  method: 'get',
  path: '/webhooks/:id/deliveries',
  operationId: 'listWebhookDeliveries',
  summary: 'Deliveries of a subscription with every attempt, newest first',
  tag: 'webhooks',
  access: { kind: 'role', roles: ['admin'] },
  params: idParams,
  query: pageQuery(),
  responses: { 200: { description: 'A page', schema: pageOf(deliveryView, 'WebhookDeliveryPage') } },
  accessExamples: {
    allow: ['admin'],
    request: async (fixture) => ({ path: `/webhooks/${await exampleSubscription(fixture)}/deliveries` }),
  },
  async handler({ actor, params, query, ctx }) {
    await administeredSubscription(ctx.sequelize, actor, params.id);
    const page = await keysetPage<{
      id: string;
      event_id: string;
      type: string;
      state: 'pending' | 'dispatched' | 'delivered' | 'failed' | 'cancelled';
      created_at: Date;
      finished_at: Date | null;
      last_error: string | null;
      attempts: Array<{
        attempt: number;
        started_at: string;
        duration_ms: number;
        outcome: 'succeeded' | 'failed';
        response_status: number | null;
        error: string | null;
      }>;
    }>(ctx.sequelize, {
      sql: `SELECT d.id, d.event_id, e.type, d.state, d.created_at, d.finished_at, d.last_error,
                   coalesce((SELECT json_agg(a ORDER BY a.attempt) FROM webhook_attempt a WHERE a.delivery_id = d.id), '[]')
                     AS attempts
              FROM webhook_delivery d JOIN webhook_event e ON e.id = d.event_id
             WHERE d.subscription_id = $1`,
      bind: [params.id],
      keys: [{ field: 'id', direction: 'desc' }],
      page: query,
    });
    return {
      status: 200,
      body: {
        items: page.rows.map((d) => ({
          id: d.id,
          eventId: d.event_id,
          eventType: d.type,
          state: d.state,
          attempts: d.attempts.map((a) => ({
            attempt: a.attempt,
            startedAt: new Date(a.started_at).toISOString(),
            durationMs: a.duration_ms,
            outcome: a.outcome,
            responseStatus: a.response_status,
            error: a.error,
          })),
          createdAt: d.created_at.toISOString(),
          finishedAt: d.finished_at?.toISOString() ?? null,
          lastError: d.last_error,
        })),
        nextCursor: page.nextCursor,
      },
    };
  },
});

const ping = defineRoute({
  method: 'post',
  path: '/webhooks/:id/ping',
  operationId: 'pingWebhookSubscription',
  summary: 'Send a test event (webhook.ping) to this subscription only',
  tag: 'webhooks',
  access: { kind: 'role', roles: ['admin'] },
  params: idParams,
  responses: {
    202: {
      description: 'Queued; follow it in the deliveries',
      schema: z.object({ eventId: z.string(), deliveryId: z.string() }),
    },
  },
  accessExamples: {
    allow: ['admin'],
    request: async (fixture) => ({ path: `/webhooks/${await exampleSubscription(fixture)}/ping` }),
  },
  async handler({ actor, params, ctx }) {
    const queued = await ctx.sequelize.transaction(async (transaction) => {
      const row = await administeredSubscription(ctx.sequelize, actor, params.id, transaction);
      return enqueuePing(ctx.sequelize, transaction, { id: row.id, unitId: row.unit_id });
    });
    return { status: 202, body: queued };
  },
});

export const webhookRoutes = [
  createSubscription,
  listSubscriptions,
  getSubscription,
  updateSubscription,
  deleteSubscription,
  listDeliveries,
  ping,
];
