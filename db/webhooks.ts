/**
 * The webhook outbox. `enqueueWebhook` is called inside the transaction of the action it
 * reports, so the event exists exactly when the action committed: it stores the event and
 * one delivery per matching subscription, and the insert trigger wakes the dispatcher on
 * commit. A subscription of a unit matches events concerning that unit or any unit under
 * it, so a district's system hears about its wards and branches and nobody else's.
 */
import { randomUUID } from 'node:crypto';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { Column, WritePart } from './sql';

export const WEBHOOK_EVENTS = [
  'document.issued',
  'delivery.delivered',
  'delivery.received',
  'delivery.completed',
  'delivery.overdue',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];
/** Sent only to one subscription on request, to test the receiving end. */
export const PING_EVENT = 'webhook.ping';

export interface WebhookEventInput {
  type: WebhookEventType;
  /** The units the event concerns (issuer, recipients …); subscriptions at or above them hear it. */
  unitIds: readonly number[];
  documentId?: string | null;
  /** What receivers need, by id and hash: never document bytes. */
  data: Record<string, unknown>;
  /** When the action happened (the workflow's clock, so retries agree). */
  occurredAt?: Date;
  /** Makes a retried activity enqueue the event once, e.g. `${workflowId}:issued`. */
  idempotencyKey?: string;
}

export interface EnqueuedWebhook {
  eventId: string;
  /** Deliveries created now (0 when nobody subscribes, or on a repeat with the same key). */
  deliveries: number;
}

/** Writes the event and its deliveries in the caller's transaction. */
export async function enqueueWebhook(
  sequelize: Sequelize,
  transaction: Transaction,
  event: WebhookEventInput,
): Promise<EnqueuedWebhook> {
  const [inserted] = await sequelize.query<{ id: string }>(
    `INSERT INTO webhook_event (id, type, occurred_at, unit_ids, document_id, data, idempotency_key)
     VALUES ($1, $2, $3, $4::int[], $5, $6, $7)
     ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
    {
      bind: [
        randomUUID(),
        event.type,
        event.occurredAt ?? new Date(),
        [...event.unitIds],
        event.documentId ?? null,
        JSON.stringify(event.data),
        event.idempotencyKey ?? null,
      ],
      type: QueryTypes.SELECT,
      transaction,
    },
  );
  if (!inserted) {
    const [existing] = await sequelize.query<{ id: string }>(
      'SELECT id FROM webhook_event WHERE idempotency_key = $1',
      { bind: [event.idempotencyKey], type: QueryTypes.SELECT, transaction },
    );
    return { eventId: existing!.id, deliveries: 0 };
  }
  const deliveries = await sequelize.query<{ id: string }>(
    `INSERT INTO webhook_delivery (event_id, subscription_id)
     SELECT $1, s.id FROM webhook_subscription s JOIN org_unit su ON su.id = s.unit_id
      WHERE s.active AND s.deleted_at IS NULL AND $2 = ANY (s.events)
        AND EXISTS (SELECT 1 FROM org_unit eu WHERE eu.id = ANY ($3::int[]) AND eu.path LIKE su.path || '%')
     RETURNING id`,
    { bind: [inserted.id, event.type, [...event.unitIds]], type: QueryTypes.SELECT, transaction },
  );
  return { eventId: inserted.id, deliveries: deliveries.length };
}

/** A test event for one subscription (POST /webhooks/:id/ping). */
export async function enqueuePing(
  sequelize: Sequelize,
  transaction: Transaction,
  subscription: { id: number; unitId: number },
): Promise<{ eventId: string; deliveryId: string }> {
  const eventId = randomUUID();
  await sequelize.query(
    `INSERT INTO webhook_event (id, type, occurred_at, unit_ids, data) VALUES ($1, $2, now(), $3::int[], '{}')`,
    { bind: [eventId, PING_EVENT, [subscription.unitId]], transaction },
  );
  const [delivery] = await sequelize.query<{ id: string }>(
    'INSERT INTO webhook_delivery (event_id, subscription_id) VALUES ($1, $2) RETURNING id',
    { bind: [eventId, subscription.id], type: QueryTypes.SELECT, transaction },
  );
  return { eventId, deliveryId: delivery!.id };
}

export interface DeliveryWork {
  deliveryId: string;
  state: string;
  url: string;
  secret: string;
  active: boolean;
  deleted: boolean;
  event: {
    id: string;
    type: string;
    occurredAt: string;
    unitIds: number[];
    documentId: string | null;
    data: Record<string, unknown>;
  };
}

export async function loadDelivery(sequelize: Sequelize, deliveryId: string): Promise<DeliveryWork | null> {
  const [row] = await sequelize.query<{
    id: string;
    state: string;
    url: string;
    secret: string;
    active: boolean;
    deleted: boolean;
    event_id: string;
    type: string;
    occurred_at: Date;
    unit_ids: number[];
    document_id: string | null;
    data: Record<string, unknown>;
  }>(
    `SELECT d.id, d.state, s.url, s.secret, s.active, s.deleted_at IS NOT NULL AS deleted,
            e.id AS event_id, e.type, e.occurred_at, e.unit_ids, e.document_id, e.data
       FROM webhook_delivery d
       JOIN webhook_subscription s ON s.id = d.subscription_id
       JOIN webhook_event e ON e.id = d.event_id
      WHERE d.id = $1`,
    { bind: [deliveryId], type: QueryTypes.SELECT },
  );
  if (!row) return null;
  return {
    deliveryId: row.id,
    state: row.state,
    url: row.url,
    secret: row.secret,
    active: row.active,
    deleted: row.deleted,
    event: {
      id: row.event_id,
      type: row.type,
      occurredAt: row.occurred_at.toISOString(),
      unitIds: row.unit_ids,
      documentId: row.document_id,
      data: row.data,
    },
  };
}

export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  outcome: 'succeeded' | 'failed';
  responseStatus: number | null;
  error: string | null;
}

/** Logs one attempt (once per attempt number) and moves the delivery on. */
export async function recordAttempt(sequelize: Sequelize, attempt: AttemptRecord): Promise<void> {
  await sequelize.transaction(async (transaction) => {
    await sequelize.query(
      `INSERT INTO webhook_attempt (delivery_id, attempt, started_at, duration_ms, outcome, response_status, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (delivery_id, attempt) DO NOTHING`,
      {
        bind: [
          attempt.deliveryId,
          attempt.attempt,
          attempt.startedAt,
          Math.max(0, Math.round(attempt.durationMs)),
          attempt.outcome,
          attempt.responseStatus,
          attempt.error?.slice(0, 1_000) ?? null,
        ],
        transaction,
      },
    );
    await sequelize.query(
      `UPDATE webhook_delivery SET attempts = GREATEST(attempts, $2), last_error = $3,
              state = CASE WHEN $4 THEN 'delivered' ELSE state END,
              finished_at = CASE WHEN $4 THEN now() ELSE finished_at END
        WHERE id = $1 AND state IN ('pending', 'dispatched')`,
      {
        bind: [
          attempt.deliveryId,
          attempt.attempt,
          attempt.error?.slice(0, 1_000) ?? null,
          attempt.outcome === 'succeeded',
        ],
        transaction,
      },
    );
  });
}

export async function finishDelivery(
  sequelize: Sequelize,
  deliveryId: string,
  state: 'failed' | 'cancelled',
  error: string | null,
): Promise<void> {
  await sequelize.query(
    `UPDATE webhook_delivery SET state = $2, finished_at = now(), last_error = coalesce($3, last_error)
      WHERE id = $1 AND state IN ('pending', 'dispatched')`,
    { bind: [deliveryId, state, error?.slice(0, 1_000) ?? null] },
  );
}

export async function pendingDeliveries(sequelize: Sequelize, limit: number): Promise<string[]> {
  const rows = await sequelize.query<{ id: string }>(
    `SELECT id FROM webhook_delivery WHERE state = 'pending' ORDER BY id LIMIT $1`,
    { bind: [limit], type: QueryTypes.SELECT },
  );
  return rows.map((r) => r.id);
}

export async function markDispatched(sequelize: Sequelize, ids: readonly string[]): Promise<void> {
  await sequelize.query(
    `UPDATE webhook_delivery SET state = 'dispatched', dispatched_at = now()
      WHERE id = ANY ($1::bigint[]) AND state = 'pending'`,
    { bind: [[...ids]] },
  );
}

const EVENT_COLUMNS: readonly Column[] = [
  ['id', 'uuid'],
  ['type', 'text'],
  ['occurred_at', 'timestamptz'],
  ['unit_ids', 'int[]'],
  ['document_id', 'uuid'],
  ['data', 'jsonb'],
  ['idempotency_key', 'text'],
];

/**
 * Many events in one statement (acknowledgments arrive by the thousand): each event once by
 * its idempotency key, and one delivery per matching subscription (a subscription of the
 * unit or above it), as writes to combine with others (see combinedWrite).
 */
export function webhookWrites(events: readonly WebhookEventInput[]): WritePart[] {
  if (events.length === 0) return [];
  return [
    (p) => [
      {
        name: 'webhook_events',
        sql: `INSERT INTO webhook_event (id, type, occurred_at, unit_ids, document_id, data, idempotency_key)
              SELECT id, type, occurred_at, unit_ids, document_id, data, idempotency_key
                FROM ${p.addRows(
                  events.map((e) => [
                    randomUUID(),
                    e.type,
                    e.occurredAt ?? new Date(),
                    e.unitIds,
                    e.documentId ?? null,
                    e.data,
                    e.idempotencyKey ?? null,
                  ]),
                  EVENT_COLUMNS,
                  'e',
                )}
              ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, type, unit_ids`,
      },
      {
        name: 'webhook_deliveries',
        sql: `INSERT INTO webhook_delivery (event_id, subscription_id)
              SELECT DISTINCT e.id, s.id FROM webhook_events e
                JOIN webhook_subscription s ON s.active AND s.deleted_at IS NULL AND e.type = ANY (s.events)
                JOIN org_unit su ON su.id = s.unit_id
               WHERE EXISTS (SELECT 1 FROM org_unit eu WHERE eu.id = ANY (e.unit_ids) AND eu.path LIKE su.path || '%')`,
      },
    ],
  ];
}
