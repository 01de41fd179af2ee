import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { expect } from 'chai';
import { documentWorkflowId, stateQuery } from '../../workflows/definitions';
import { ApiClient } from '../support/http';
import { freePort } from '../support/ports';
import { spawnVanthu, waitForHttp } from '../support/process';
import { testSystem } from '../support/system';

describe('vanthu start: the whole system from one command', function () {
  this.timeout(240_000);
  let dataDir: string;
  let env: Record<string, string>;
  let baseUrl: string;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'vanthu-start-'));
    chmodSync(dataDir, 0o755);
    const port = await freePort();
    const temporalPort = await freePort();
    env = {
      VANTHU_DATA_DIR: dataDir,
      PORT: String(port),
      VANTHU_PG_PORT: String(await freePort()),
      VANTHU_TEMPORAL_PORT: String(temporalPort),
      VANTHU_TEMPORAL_UI_PORT: String(await freePort()),
      VANTHU_TASK_QUEUE: 'vanthu',
    };
    baseUrl = `http://127.0.0.1:${port}`;
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts embedded, seeds the demo, stops in order on SIGINT, and resumes on the next start', async () => {
    const first = spawnVanthu(['start'], env);
    const health = await waitForHttp(`${baseUrl}/health`, first);
    const report = (await health.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(report.status).to.equal('ok');
    expect(Object.keys(report.checks)).to.deep.equal(['database', 'temporal', 'worker']);
    expect(first.messages()).to.include('seeded the demo organisation');

    const drafter = await new ApiClient(baseUrl).signIn('chuyenvien.tu');
    const created = await drafter.post<{ id: string; sha256: string }>('/api/v1/documents', {
      type: 'TB',
      subject: 'Thông báo lịch họp Ban Thường vụ',
      body: ['Ban Thường vụ họp vào 8 giờ sáng thứ Hai.'],
    });
    expect(created.status).to.equal(201);

    first.child.kill('SIGINT');
    expect(await first.exited()).to.equal(0);
    const order = [
      'api stopped',
      'Temporal worker stopped',
      'Temporal dev server stopped',
      'embedded PostgreSQL stopped',
    ];
    const positions = order.map((m) => first.messages().indexOf(m));
    expect(
      positions.every((p) => p >= 0),
      first.output(),
    ).to.equal(true);
    expect([...positions].sort((a, b) => a - b)).to.deep.equal(positions);
    expect(existsSync(path.join(dataDir, 'vanthu.lock.json'))).to.equal(false);

    const second = spawnVanthu(['start'], env);
    await waitForHttp(`${baseUrl}/health`, second);
    expect(second.messages()).not.to.include('seeded the demo organisation');
    const again = await new ApiClient(baseUrl).signIn('chuyenvien.tu');
    const read = await again.get<{ status: string }>(`/api/v1/documents/${created.body.id}`);
    expect(read.body.status).to.equal('draft');
    // The workflow that was running before the restart still runs: a query makes the
    // new worker replay its history from the persisted Temporal store.
    const connection = await Connection.connect({ address: `127.0.0.1:${env.VANTHU_TEMPORAL_PORT}` });
    try {
      const handle = new Client({ connection }).workflow.getHandle(documentWorkflowId(created.body.id));
      expect((await handle.describe()).status.name).to.equal('RUNNING');
      expect(await handle.query(stateQuery)).to.deep.include({
        status: 'draft',
        sha256: created.body.sha256,
      });
    } finally {
      await connection.close();
    }
    second.child.kill('SIGTERM');
    expect(await second.exited()).to.equal(0);
  });

  it('refuses a second vanthu on the same data folder', async () => {
    const first = spawnVanthu(['start'], env);
    await waitForHttp(`${baseUrl}/health`, first);
    const second = spawnVanthu(['start'], { ...env, PORT: String(await freePort()) });
    expect(await second.exited()).to.equal(1);
    expect(second.output()).to.include(`vanthu is already running on ${dataDir}`);
    first.child.kill('SIGINT');
    expect(await first.exited()).to.equal(0);
  });

  it('reports a taken port in one line and leaves nothing running', async () => {
    const blocker = createServer().listen(Number(env.PORT), '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    try {
      const proc = spawnVanthu(['start'], env);
      expect(await proc.exited()).to.equal(1);
      expect(proc.messages().join('\n')).to.include(
        `vanthu all could not start: port ${env.PORT} is in use on 127.0.0.1; stop the other program or set PORT to a free port`,
      );
      expect(existsSync(path.join(dataDir, 'vanthu.lock.json'))).to.equal(false);
    } finally {
      blocker.close();
    }
  });

  it('reports configuration mistakes, one line each, before starting anything', async () => {
    const proc = spawnVanthu(['start'], { ...env, PORT: 'abc', DATABASE_URL: 'mysql://db/x' });
    expect(await proc.exited()).to.equal(2);
    expect(proc.output().trim().split('\n')).to.deep.equal([
      'configuration: PORT="abc" is not a port number (1–65535).',
      'configuration: DATABASE_URL must start with postgres:// or postgresql://, not mysql://.',
    ]);
  });
});

describe('vanthu api and vanthu worker: separate processes against external servers', function () {
  this.timeout(180_000);

  it('serves from two api processes and one worker, and starts nothing embedded', async () => {
    const system = await testSystem();
    const dataDir = path.join(tmpdir(), `vanthu-operator-${process.pid}`);
    const external = {
      DATABASE_URL: system.databaseUrl,
      TEMPORAL_ADDRESS: system.target.address,
      VANTHU_TASK_QUEUE: `operator-${process.pid}`,
      VANTHU_DATA_DIR: dataDir,
      // The deployment CA lives in a folder the processes share.
      VANTHU_PKI_DIR: system.pki.dir,
    };
    const ports = [await freePort(), await freePort()];
    const worker = spawnVanthu(['worker'], external);
    const apis = ports.map((port) => spawnVanthu(['api'], { ...external, PORT: String(port) }));
    try {
      for (const [i, api] of apis.entries()) await waitForHttp(`http://127.0.0.1:${ports[i]}/health`, api);
      const one = await new ApiClient(`http://127.0.0.1:${ports[0]}`).signIn('chuyenvien.tu');
      const two = await new ApiClient(`http://127.0.0.1:${ports[1]}`).signIn('chuyenvien.tu');
      const created = await one.post<{ id: string }>('/api/v1/documents', {
        type: 'KH',
        subject: 'Kế hoạch tổ chức hội nghị',
        body: ['Mục đích, yêu cầu.'],
      });
      expect(created.status).to.equal(201);
      expect(
        (await two.get<{ status: string }>(`/api/v1/documents/${created.body.id}`)).body.status,
      ).to.equal('draft');
      expect(existsSync(dataDir)).to.equal(false);
      for (const proc of [worker, ...apis]) {
        expect(proc.output()).not.to.include('embedded PostgreSQL');
        expect(proc.output()).not.to.include('Temporal dev server');
      }
    } finally {
      for (const proc of [...apis, worker]) proc.child.kill('SIGTERM');
      for (const proc of [...apis, worker]) expect(await proc.exited()).to.equal(0);
    }
  });

  it('says which variables an operator process needs, and what is unreachable', async () => {
    const bare = spawnVanthu(['api'], { DATABASE_URL: undefined, TEMPORAL_ADDRESS: undefined });
    expect(await bare.exited()).to.equal(2);
    expect(bare.output()).to.include('set DATABASE_URL and TEMPORAL_ADDRESS');

    const system = await testSystem();
    const noTemporal = spawnVanthu(['api'], {
      VANTHU_PKI_DIR: system.pki.dir,
      DATABASE_URL: system.databaseUrl,
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      PORT: String(await freePort()),
    });
    expect(await noTemporal.exited()).to.equal(1);
    expect(noTemporal.messages().join('\n')).to.match(
      /could not start: Temporal at 127\.0\.0\.1:\d+ is unreachable/,
    );

    const noDatabase = spawnVanthu(['worker'], {
      VANTHU_PKI_DIR: system.pki.dir,
      DATABASE_URL: `postgres://vanthu:x@127.0.0.1:${await freePort()}/vanthu`,
      TEMPORAL_ADDRESS: system.target.address,
    });
    expect(await noDatabase.exited()).to.equal(1);
    expect(noDatabase.messages().join('\n')).to.include('refused the connection: is the server running');
  });
});
