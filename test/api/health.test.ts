import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { expect } from 'chai';
import { createApp } from '../../api/app';
import { connectDatabase } from '../../db/connection';
import { close, listen } from '../../runtime/http-server';
import { freePort, localUrl } from '../support/ports';
import { type TestSystem, testSystem } from '../support/system';

interface Report {
  status: string;
  checks: Record<'database' | 'temporal' | 'worker', { ok: boolean; detail: string }>;
}

describe('GET /health', () => {
  let system: TestSystem;
  before(async () => {
    system = await testSystem();
  });

  async function healthOf(
    deps: Partial<Parameters<typeof createApp>[0]>,
  ): Promise<{ status: number; body: Report }> {
    const app = createApp({
      sequelize: system.sequelize,
      temporal: system.temporal,
      taskQueue: system.taskQueue,
      logger: system.logger,
      publicUrl: 'http://127.0.0.1',
      pki: system.pki,
      ...deps,
    });
    const server: Server = await listen(app, 0, '127.0.0.1');
    try {
      const response = await fetch(`${localUrl(server)}/health`);
      return { status: response.status, body: (await response.json()) as Report };
    } finally {
      await close(server, 1_000);
    }
  }

  it('answers 200 naming each dependency once all are ready', async () => {
    const { status, body } = await healthOf({});
    expect(status).to.equal(200);
    expect(body.status).to.equal('ok');
    expect(body.checks.database.ok).to.equal(true);
    expect(body.checks.temporal.ok).to.equal(true);
    expect(body.checks.worker).to.deep.equal({
      ok: true,
      detail: `1 worker(s) polling task queue ${system.taskQueue}`,
    });
  });

  it('answers 503 naming the worker when no worker polls the task queue', async () => {
    const { status, body } = await healthOf({ taskQueue: 'nobody-polls-this' });
    expect(status).to.equal(503);
    expect(body.checks.worker).to.deep.equal({
      ok: false,
      detail: 'no worker is polling task queue nobody-polls-this',
    });
    expect(body.checks.database.ok).to.equal(true);
  });

  it('answers 503 naming the database when PostgreSQL is down', async () => {
    const dead = connectDatabase({ url: `postgres://vanthu:x@127.0.0.1:${await freePort()}/vanthu` });
    try {
      const { status, body } = await healthOf({ sequelize: dead });
      expect(status).to.equal(503);
      expect(body.checks.database.ok).to.equal(false);
      expect(body.checks.database.detail).to.include('ECONNREFUSED');
      expect(body.checks.temporal.ok).to.equal(true);
    } finally {
      await dead.close();
    }
  });

  it('answers 503 naming Temporal when it is unreachable', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
    const { status, body } = await healthOf({ temporal: new Client({ connection }) });
    expect(status).to.equal(503);
    expect(body.checks.temporal.ok).to.equal(false);
    expect(body.checks.worker).to.deep.equal({ ok: false, detail: 'unknown: Temporal is unreachable' });
    expect(body.checks.database.ok).to.equal(true);
  });
});
