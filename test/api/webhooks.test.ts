/**
 * Webhooks end to end: an event written in the action's transaction, the dispatcher
 * workflow woken by the commit, one delivery workflow retrying with backoff against a
 * real local receiver that fails a few times and then accepts, the HMAC signature as a
 * receiver checks it, every attempt logged, and giving up after the last attempt.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { signWebhook, verifyWebhookSignature } from '../../activities/webhooks';
import { ensureWebhookDispatcher } from '../../api/background';
import { enqueueWebhook, type WebhookEventInput } from '../../db/webhooks';
import { ApiClient } from '../support/http';
import { type TestSystem, testSystem } from '../support/system';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Delivery {
  id: string;
  eventType: string;
  state: string;
  lastError: string | null;
  attempts: Array<{
    attempt: number;
    outcome: string;
    responseStatus: number | null;
    durationMs: number;
    error: string | null;
  }>;
}

/** A receiver: `/flaky` fails twice per delivery then accepts; `/broken` always fails. */
class Receiver {
  readonly received: Received[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    const seen = new Map<string, number>();
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        this.received.push({ path: req.url ?? '', headers: req.headers, body });
        const delivery = String(req.headers['x-vanthu-delivery']);
        const count = (seen.get(delivery) ?? 0) + 1;
        seen.set(delivery, count);
        const fail = req.url === '/broken' || (req.url === '/flaky' && count <= 2);
        res.writeHead(fail ? (req.url === '/broken' ? 500 : 503) : 200, { 'content-type': 'text/plain' });
        res.end(fail ? 'not now' : 'ok');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  for(deliveryId: string): Received[] {
    return this.received.filter((r) => r.headers['x-vanthu-delivery'] === deliveryId);
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

describe('api: webhooks', () => {
  let system: TestSystem;
  let admin: ApiClient;
  const receiver = new Receiver();
  const secret = `s3cret-${randomUUID()}-${randomUUID()}`;
  const dispatcherId = `webhook-dispatcher-test-${randomUUID()}`;

  const subscribe = async (path: string) => {
    const created = await admin.post<{ id: number; secret: string; secretHint: string }>('/api/v1/webhooks', {
      unitId: 2,
      url: `${receiver.url}${path}`,
      events: ['delivery.completed'],
      secret,
    });
    expect(created.status).to.equal(201);
    return created.body;
  };
  const enqueue = (event: Omit<WebhookEventInput, 'type'> & { type?: WebhookEventInput['type'] }) =>
    system.sequelize.transaction((t) =>
      enqueueWebhook(system.sequelize, t, { type: 'delivery.completed', ...event } as WebhookEventInput),
    );
  const deliveriesOf = async (subscriptionId: number) =>
    (await admin.get<{ items: Delivery[] }>(`/api/v1/webhooks/${subscriptionId}/deliveries`)).body.items;
  async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  before(async function () {
    this.timeout(300_000);
    system = await testSystem();
    admin = await new ApiClient(system.baseUrl).signIn('quantri');
    await receiver.start();
    await ensureWebhookDispatcher(system.temporal, {
      taskQueue: system.taskQueue,
      dispatcherId,
      webhookWaitMs: 3_000,
      webhookRetry: { initialIntervalMs: 200, maximumIntervalMs: 800, maximumAttempts: 4 },
    });
  });

  after(async () => {
    await system.temporal.workflow
      .getHandle(dispatcherId)
      .terminate('test over')
      .catch(() => undefined);
    await receiver.stop();
  });

  it('signs so that a receiver can check the body and refuse an old or altered one', () => {
    const now = Date.now();
    const t = Math.floor(now / 1000);
    const header = signWebhook(secret, t, '{"a":1}');
    expect(header).to.match(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(header, secret, '{"a":1}', 300, now)).to.equal(true);
    expect(verifyWebhookSignature(header, secret, '{"a":2}', 300, now)).to.equal(false);
    expect(verifyWebhookSignature(header, 'another secret', '{"a":1}', 300, now)).to.equal(false);
    expect(verifyWebhookSignature(header, secret, '{"a":1}', 300, now + 301_000)).to.equal(false);
    expect(verifyWebhookSignature('t=1,v1=zz', secret, '{"a":1}')).to.equal(false);
  });

  it('delivers an event of a unit under the subscription, retrying until the receiver accepts, logging each attempt', async function () {
    this.timeout(120_000);
    const subscription = await subscribe('/flaky');
    expect(subscription.secretHint).to.equal(`…${secret.slice(-4)}`);
    const key = `test:${randomUUID()}`;
    const event = {
      unitIds: [3],
      documentId: null,
      data: { number: '12-CT/QU', note: 'Ba Đình <b>' },
      idempotencyKey: key,
    };
    const queued = await enqueue(event);
    expect(queued.deliveries).to.be.at.least(1);
    // The same event again (a retried activity) adds nothing.
    const repeated = await enqueue(event);
    expect(repeated).to.deep.equal({ eventId: queued.eventId, deliveries: 0 });

    const delivery = await until('the delivery to succeed', async () => {
      const [d] = await deliveriesOf(subscription.id);
      return d?.state === 'delivered' ? d : undefined;
    });
    expect(delivery.attempts.map((a) => [a.attempt, a.outcome, a.responseStatus])).to.deep.equal([
      [1, 'failed', 503],
      [2, 'failed', 503],
      [3, 'succeeded', 200],
    ]);
    for (const a of delivery.attempts) expect(a.durationMs).to.be.a('number').and.at.least(0);

    const requests = receiver.for(delivery.id);
    expect(requests).to.have.length(3);
    for (const request of requests) {
      expect(request.headers['content-type']).to.equal('application/json');
      expect(request.headers['x-vanthu-event']).to.equal('delivery.completed');
      expect(
        verifyWebhookSignature(String(request.headers['x-vanthu-signature']), secret, request.body),
      ).to.equal(true);
      expect(request.body).to.equal(requests[0]!.body);
    }
    expect(JSON.parse(requests[0]!.body)).to.deep.equal({
      id: queued.eventId,
      type: 'delivery.completed',
      occurredAt: JSON.parse(requests[0]!.body).occurredAt,
      unitIds: [3],
      documentId: null,
      data: { number: '12-CT/QU', note: 'Ba Đình <b>' },
    });
  });

  it('sends nothing about units outside the subscription', async () => {
    const subscription = await subscribe('/flaky');
    const queued = await enqueue({ unitIds: [11], data: {} });
    const [row] = await system.sequelize.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM webhook_delivery WHERE event_id = $1 AND subscription_id = $2',
      { bind: [queued.eventId, subscription.id], type: QueryTypes.SELECT },
    );
    expect(row!.n).to.equal(0);
  });

  it('gives up after the last attempt and says why', async function () {
    this.timeout(120_000);
    const subscription = await subscribe('/broken');
    await enqueue({ unitIds: [2], data: {} });
    const delivery = await until('the delivery to be given up', async () => {
      const [d] = await deliveriesOf(subscription.id);
      return d?.state === 'failed' ? d : undefined;
    });
    expect(delivery.attempts).to.have.length(4);
    expect(delivery.attempts.every((a) => a.outcome === 'failed' && a.responseStatus === 500)).to.equal(true);
    expect(delivery.lastError).to.equal('gave up after 4 attempts: the receiver answered 500');
  });

  it('pings one subscription on request, and cancels deliveries of a deleted one', async function () {
    this.timeout(120_000);
    const subscription = await subscribe('/flaky');
    const ping = await admin.post<{ deliveryId: string }>(
      `/api/v1/webhooks/${subscription.id}/ping`,
      undefined,
    );
    expect(ping.status).to.equal(202);
    const delivered = await until('the ping', async () => {
      const d = (await deliveriesOf(subscription.id)).find((x) => x.id === ping.body.deliveryId);
      return d?.state === 'delivered' ? d : undefined;
    });
    expect(delivered.eventType).to.equal('webhook.ping');
    expect(receiver.for(ping.body.deliveryId).at(-1)!.headers['x-vanthu-event']).to.equal('webhook.ping');

    expect((await admin.delete(`/api/v1/webhooks/${subscription.id}`)).status).to.equal(204);
    const [row] = await system.sequelize.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_delivery d JOIN webhook_event e ON e.id = d.event_id
        WHERE d.subscription_id = $1 AND e.type <> 'webhook.ping'`,
      { bind: [subscription.id], type: QueryTypes.SELECT },
    );
    await enqueue({ unitIds: [2], data: {} });
    const [after] = await system.sequelize.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_delivery d JOIN webhook_event e ON e.id = d.event_id
        WHERE d.subscription_id = $1 AND e.type <> 'webhook.ping'`,
      { bind: [subscription.id], type: QueryTypes.SELECT },
    );
    expect(after!.n).to.equal(row!.n);
    expect((await admin.get(`/api/v1/webhooks/${subscription.id}`)).status).to.equal(404);
  });
});
