/**
 * Durability: 100 documents go through their whole life while the worker is killed with
 * SIGKILL at random moments and restarted, and the Temporal dev server is restarted once
 * in the middle. Afterwards every document has finished, the register has no gap and no
 * duplicate, every recipient has exactly one delivery and every audit event exists once.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { createApp } from '../../api/app';
import { DEMO_PASSWORD } from '../../db/seed';
import { close, listen } from '../../runtime/http-server';
import { connectClient } from '../../runtime/temporal-connection';
import { type RunningDevServer, startTemporalDevServer } from '../../runtime/temporal-dev-server';
import { type DocumentState, officeOf, unitId } from '../support/lifecycle';
import { freePort, localUrl } from '../support/ports';
import { spawnVanthu, type VanthuProcess } from '../support/process';
import { type TestSystem, testSystem } from '../support/system';

const DOCUMENTS = Number(process.env.DURABILITY_DOCUMENTS ?? 100);
const CONCURRENCY = 20;

/** Retries a step while the worker or the server is down; a person would press again. */
async function persist<T>(what: string, step: () => Promise<{ status: number; body: T }>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const response = await step().catch((error: unknown) => ({ status: 599, body: String(error) as T }));
    if (response.status < 300) return response.body;
    if (response.status !== 500 && response.status !== 503 && response.status !== 599) {
      throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
    }
    if (attempt > 60) throw new Error(`${what}: still failing: ${JSON.stringify(response.body)}`);
    await sleep(1_000);
  }
}

describe('durability: SIGKILLed workers and a restarted Temporal lose nothing and do nothing twice', function () {
  this.timeout(480_000);
  let system: TestSystem;
  let dir: string;
  let server: RunningDevServer;
  let http: Server;
  let worker: VanthuProcess | undefined;
  let keepKilling = true;

  after(async () => {
    keepKilling = false;
    worker?.child.kill('SIGKILL');
    if (http) await close(http, 1_000);
    await server?.stop();
    if (dir && !process.env.DURABILITY_KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) process.stderr.write(`durability: kept ${dir}\n`);
  });

  it('finishes all 100 documents exactly once', async () => {
    system = await testSystem();
    dir = mkdtempSync(path.join(tmpdir(), 'vanthu-durable-'));
    const port = await freePort();
    const startServer = () =>
      startTemporalDevServer({
        cliPath: system.temporalCliPath,
        dir,
        port,
        namespace: 'default',
        logger: system.logger,
      });
    server = await startServer();
    const target = { address: server.address, namespace: 'default' };
    const taskQueue = `durable-${process.pid}`;
    const workerEnv = {
      DATABASE_URL: system.databaseUrl,
      TEMPORAL_ADDRESS: target.address,
      VANTHU_TASK_QUEUE: taskQueue,
      VANTHU_PKI_DIR: system.pki.dir,
      VANTHU_DATA_DIR: path.join(dir, 'unused'),
      LOG_LEVEL: process.env.DURABILITY_WORKER_LOG ?? 'info',
    };
    const startWorker = () => {
      if (worker && process.env.DURABILITY_WORKER_LOG) process.stderr.write(worker.output());
      worker = spawnVanthu(['worker'], workerEnv);
    };
    startWorker();

    const temporal = await connectClient(target);
    const app = createApp({
      sequelize: system.sequelize,
      temporal,
      taskQueue,
      logger: system.logger,
      publicUrl: 'http://127.0.0.1',
      pki: system.pki,
    });
    http = await listen(app, 0, '127.0.0.1');
    const baseUrl = localUrl(http);

    const office = await officeOf({ ...system, baseUrl }, 'hoankiem');
    const recipients = [
      {
        kind: 'units_under' as const,
        unitId: await unitId(system, 'Quận ủy Hoàn Kiếm'),
        unitKind: 'branch' as const,
      },
    ];

    // The chaos: kill the worker at random moments and start a new one; once, restart Temporal.
    let kills = 0;
    let temporalRestarted = false;
    const chaos = (async () => {
      let seed = 20_261_122;
      const random = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      while (keepKilling) {
        // Let the new worker get to work, then kill it at a random moment of its work.
        for (
          let i = 0;
          i < 200 && keepKilling && !worker?.messages().includes('Temporal worker is polling');
          i++
        ) {
          await sleep(100);
        }
        await sleep(2_000 + random() * 8_000);
        if (!keepKilling) break;
        worker?.child.kill('SIGKILL');
        await worker?.exited();
        kills += 1;
        if (kills === 4 && !temporalRestarted) {
          temporalRestarted = true;
          await server.stop();
          server = await startServer();
        }
        startWorker();
      }
    })();

    const lifeOf = async (n: number): Promise<string> => {
      const created = await persist<DocumentState>(`create ${n}`, () =>
        office.drafter
          .post<DocumentState>('/api/v1/documents', {
            id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
            type: 'TB',
            subject: `Thông báo số ${n} về lịch tiếp công dân`,
            body: ['Lịch tiếp công dân trong tháng như sau.'],
            recipients,
            signer: { personId: office.signerId },
          })
          .then((r) =>
            r.status === 409
              ? {
                  status: 201,
                  body: { id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}` } as DocumentState,
                }
              : r,
          ),
      );
      const id = created.id;
      // A 202 means the workflow had not answered yet (no worker): wait until it has.
      for (let attempt = 0; (await office.clerk.get(`/api/v1/documents/${id}`)).status !== 200; attempt++) {
        if (attempt > 120) throw new Error(`document ${n} was never created`);
        await sleep(500);
      }
      const state = async () =>
        (await office.clerk.get<DocumentState>(`/api/v1/documents/${id}`)).body.status;
      const step = async (
        expected: string,
        what: string,
        action: () => Promise<{ status: number; body: unknown }>,
      ) => {
        for (let attempt = 0; attempt < 600; attempt++) {
          const now = await state();
          if (now === expected || (now === 'issued' && expected === 'signed')) return;
          await persist(what, action).catch((error: Error) => {
            // A step applied before the crash is refused as a repeat: the state tells.
            if (!/ 409 | 403 /.test(error.message)) throw error;
          });
          if ((await state()) === expected) return;
          await sleep(500);
        }
        throw new Error(`document ${n} stuck before ${expected}`);
      };
      await step('in_review', 'submit', () =>
        office.drafter.post(`/api/v1/documents/${id}/submit`, { version: 1 }),
      );
      await step('approved', 'approve', () =>
        office.signer.post(`/api/v1/documents/${id}/decision`, { decision: 'approve', version: 1 }),
      );
      await step('signed', 'sign', () =>
        office.signer.post(`/api/v1/documents/${id}/signature`, { passphrase: DEMO_PASSWORD }),
      );
      for (let attempt = 0; attempt < 600; attempt++) {
        const now = await state();
        if (now === 'dispatched') return id;
        if (now === 'signed') {
          await persist('issue', () =>
            office.clerk.post(`/api/v1/documents/${id}/issue`, { passphrase: DEMO_PASSWORD }),
          ).catch((error: Error) => {
            if (!/ 409 /.test(error.message)) throw error;
          });
        }
        await sleep(500);
      }
      throw new Error(`document ${n} never dispatched`);
    };

    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < DOCUMENTS) {
          const n = next++;
          ids.push(await lifeOf(n));
        }
      }),
    );
    keepKilling = false;
    await chaos;
    expect(kills, 'the worker was killed during the run').to.be.greaterThan(3);
    expect(temporalRestarted).to.equal(true);

    // Every document finished.
    const statuses = await system.sequelize.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM document WHERE id = ANY($1::uuid[]) GROUP BY status',
      { bind: [ids], type: QueryTypes.SELECT },
    );
    expect(statuses).to.deep.equal([{ status: 'dispatched', n: DOCUMENTS }]);

    // The register: consecutive numbers with no gap and no duplicate (other suites may have
    // issued a notice here before); each document issued once.
    const entries = await system.sequelize.query<{ sequence: number; status: string; document_id: string }>(
      `SELECT e.sequence, e.status, e.document_id FROM register_entry e JOIN register r ON r.id = e.register_id
        WHERE r.unit_id = (SELECT issuing_unit_id FROM document WHERE id = $1) AND r.direction = 'outgoing'
          AND e.series = 'TB' AND e.document_id = ANY($2::uuid[]) ORDER BY e.sequence`,
      { bind: [ids[0], ids], type: QueryTypes.SELECT },
    );
    const first = entries[0]!.sequence;
    expect(entries.map((e) => e.sequence)).to.deep.equal(entries.map((_, i) => first + i));
    const issued = entries.filter((e) => e.status === 'issued');
    expect(issued).to.have.length(DOCUMENTS);
    expect(new Set(issued.map((e) => e.document_id)).size).to.equal(DOCUMENTS);
    expect(entries.every((e) => e.status === 'issued' || e.status === 'cancelled')).to.equal(true);

    // Each recipient exactly one delivery.
    const [deliveries] = await system.sequelize.query<{ n: number; distinct: number; branches: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT (document_id, recipient_unit_id))::int AS distinct,
              (SELECT count(*)::int FROM org_unit u, org_unit top WHERE top.name = 'Quận ủy Hoàn Kiếm'
                 AND u.path LIKE top.path || '%' AND u.kind = 'branch') AS branches
         FROM delivery WHERE document_id = ANY($1::uuid[])`,
      { bind: [ids], type: QueryTypes.SELECT },
    );
    expect(deliveries!.n).to.equal(deliveries!.distinct);
    expect(deliveries!.n).to.equal(DOCUMENTS * deliveries!.branches);

    // Each audit event once: one creation, signature, issue and dispatch per document.
    const events = await system.sequelize.query<{ action: string; n: number; docs: number }>(
      `SELECT action, count(*)::int AS n, count(DISTINCT document_id)::int AS docs FROM audit_event
        WHERE document_id = ANY($1::uuid[]) AND action IN ('document.created','document.signed','document.issued','document.dispatched','document.submitted')
        GROUP BY action ORDER BY action`,
      { bind: [ids], type: QueryTypes.SELECT },
    );
    expect(events).to.deep.equal(
      [
        'document.created',
        'document.dispatched',
        'document.issued',
        'document.signed',
        'document.submitted',
      ].map((action) => ({ action, n: DOCUMENTS, docs: DOCUMENTS })),
    );
    await temporal.connection.close();
  });
});
