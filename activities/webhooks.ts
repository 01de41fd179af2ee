/**
 * Delivering webhooks. The dispatcher asks for pending deliveries (waiting on PostgreSQL
 * NOTIFY when there are none, so an event leaves within moments of its commit without
 * polling); each delivery is one POST of the event as JSON, signed
 *
 *   X-Vanthu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *
 * with X-Vanthu-Event and X-Vanthu-Delivery (the receiver's key for ignoring repeats).
 * A non-2xx answer, a network error or a timeout fails the attempt; Temporal retries it
 * with backoff. Every attempt is logged with its status, response code and duration.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ClientBase, Notification } from 'pg';
import type { Sequelize } from 'sequelize';
import {
  finishDelivery,
  loadDelivery,
  markDispatched,
  pendingDeliveries,
  recordAttempt,
} from '../db/webhooks';
import { canonicalJson } from '../domain/document';

export const SIGNATURE_HEADER = 'X-Vanthu-Signature';
const WAKE_CHANNEL = 'vanthu_webhooks';

/** The signature header value for a body sent at unix time `timestamp`. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * What a receiver does: true when the header signs this body with the secret and its
 * time is within `toleranceSeconds` of now (refuses replays of old deliveries).
 */
export function verifyWebhookSignature(
  header: string,
  secret: string,
  body: string,
  toleranceSeconds = 300,
  now = Date.now(),
): boolean {
  const parts = new Map(
    header.split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(now / 1000 - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(v1))
    return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

export interface DeliveryOutcome {
  state: 'delivered' | 'failed' | 'cancelled';
  responseStatus?: number;
}

export interface WebhookActivityOptions {
  /** How long one POST may take. */
  timeoutMs?: number;
}

type PooledClient = ClientBase;

/** Waits for a NOTIFY on the wake channel, at most `ms`, heartbeating; false on timeout. */
async function waitForWake(client: PooledClient, ms: number): Promise<boolean> {
  const context = Context.current();
  return new Promise<boolean>((resolve) => {
    const finish = (woken: boolean) => {
      clearTimeout(timer);
      clearInterval(beat);
      client.removeListener('notification', onNotification);
      context.cancellationSignal.removeEventListener('abort', onAbort);
      resolve(woken);
    };
    const onNotification = (message: Notification) => {
      if (message.channel === WAKE_CHANNEL) finish(true);
    };
    const onAbort = () => finish(false);
    const timer = setTimeout(() => finish(false), ms);
    const beat = setInterval(() => context.heartbeat(), 2_000);
    client.on('notification', onNotification);
    context.cancellationSignal.addEventListener('abort', onAbort);
  });
}

export function webhookActivities(sequelize: Sequelize, options: WebhookActivityOptions = {}) {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    /** Pending delivery ids; when there are none, waits up to `waitMs` for one to commit. */
    async nextWebhookDeliveries(input: { waitMs: number; limit: number }): Promise<string[]> {
      const found = await pendingDeliveries(sequelize, input.limit);
      if (found.length > 0) return found;
      const client = (await sequelize.connectionManager.getConnection({ type: 'write' })) as PooledClient;
      try {
        await client.query(`LISTEN ${WAKE_CHANNEL}`);
        // Look again after listening: a delivery committed in between would otherwise wait a round.
        const again = await pendingDeliveries(sequelize, input.limit);
        if (again.length > 0) return again;
        if (await waitForWake(client, input.waitMs)) return pendingDeliveries(sequelize, input.limit);
        return [];
      } finally {
        await client.query(`UNLISTEN ${WAKE_CHANNEL}`).catch(() => undefined);
        sequelize.connectionManager.releaseConnection(client);
      }
    },

    async markWebhooksDispatched(ids: string[]): Promise<void> {
      await markDispatched(sequelize, ids);
    },

    /** One attempt; throws (to be retried) unless the receiver answered 2xx. */
    async deliverWebhook(deliveryId: string): Promise<DeliveryOutcome> {
      const work = await loadDelivery(sequelize, deliveryId);
      if (!work) throw ApplicationFailure.nonRetryable(`no webhook delivery ${deliveryId}`, 'NoSuchDelivery');
      if (work.state === 'delivered' || work.state === 'failed' || work.state === 'cancelled') {
        return { state: work.state };
      }
      if (!work.active || work.deleted) {
        await finishDelivery(sequelize, deliveryId, 'cancelled', 'the subscription was disabled or deleted');
        return { state: 'cancelled' };
      }
      const body = canonicalJson(work.event);
      const attempt = Context.current().info.attempt;
      const startedAt = new Date();
      const started = performance.now();
      let status: number | null = null;
      let error: string | null = null;
      try {
        const response = await fetch(work.url, {
          method: 'POST',
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'vanthu-webhooks/1',
            'x-vanthu-event': work.event.type,
            'x-vanthu-delivery': deliveryId,
            [SIGNATURE_HEADER.toLowerCase()]: signWebhook(work.secret, Math.floor(Date.now() / 1000), body),
          },
          body,
        });
        status = response.status;
        await response.body?.cancel().catch(() => undefined);
        if (status < 200 || status > 299) error = `the receiver answered ${status}`;
      } catch (failure) {
        const name = (failure as Error).name;
        error =
          name === 'TimeoutError'
            ? `the receiver did not answer within ${timeoutMs} ms`
            : `the receiver could not be reached: ${(failure as { cause?: { code?: string } }).cause?.code ?? (failure as Error).message}`;
      }
      await recordAttempt(sequelize, {
        deliveryId,
        attempt,
        startedAt,
        durationMs: performance.now() - started,
        outcome: error ? 'failed' : 'succeeded',
        responseStatus: status,
        error,
      });
      if (error) throw ApplicationFailure.retryable(error, 'WebhookAttemptFailed');
      return { state: 'delivered', responseStatus: status! };
    },

    /** After the last retry: the delivery is given up, and says why. */
    async giveUpWebhookDelivery(input: { deliveryId: string; error: string }): Promise<void> {
      await finishDelivery(sequelize, input.deliveryId, 'failed', input.error);
    },
  };
}

export type WebhookActivities = ReturnType<typeof webhookActivities>;
