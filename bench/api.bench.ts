/**
 * Api load: reading a document's status and posting acknowledgments (a recipient clerk
 * receiving deliveries), driven by autocannon against an api process of its own (as an
 * operator runs it), on the embedded PostgreSQL with its crash-safety settings on.
 *
 * Beside each figure, the machine's own limits measured in the same run: autocannon
 * against a trivial Express route in a process of its own (what HTTP on Node costs here),
 * and `pgbench -S` (what PostgreSQL answers per second for the simplest read).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { QueryTypes } from 'sequelize';
import { newRegisterColumns } from '../db/registers';
import { ApiClient } from '../test/support/http';
import { freePort } from '../test/support/ports';
import { spawnVanthu, waitForHttp } from '../test/support/process';
import { startEphemeralSystem } from '../test/support/system';
import type { BenchRow } from './harness';

const execFileAsync = promisify(execFile);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 32);
const RECIPIENTS = 400;
/** Where the api process writes a CPU profile (`--cpu-prof`), when it is to be profiled. */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
/** Enough deliveries that no acknowledgment in a run repeats one already made (a no-op). */
const DOCUMENTS = 200;
/** Seconds of load before each measured one (acknowledgments: on deliveries of their own). */
const WARM_UP_SECONDS = 3;

interface Load {
  rate: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(options: autocannon.Options): Promise<Load> {
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options });
  return {
    rate: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** autocannon against `GET /` answering `{"ok":true}` from a bare Express process. */
async function expressLimit(): Promise<Load> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('express')().disable('x-powered-by').get('/', (q, s) => s.json({ ok: true })).listen(${port}, '127.0.0.1')`,
    ],
    { cwd: path.resolve(__dirname, '..'), stdio: 'ignore' },
  );
  try {
    for (let i = 0; i < 100; i++) {
      if (
        await fetch(`http://127.0.0.1:${port}/`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return await load({ url: `http://127.0.0.1:${port}/` });
  } finally {
    child.kill('SIGTERM');
  }
}

/** `pgbench -S`: select-only transactions per second on this PostgreSQL. */
async function pgbenchLimit(url: string): Promise<number> {
  await execFileAsync('pgbench', ['-i', '-q', '-s', '2', url]);
  const { stdout } = await execFileAsync('pgbench', [
    '-S',
    '-n',
    '-c',
    String(CONNECTIONS),
    '-j',
    '2',
    '-T',
    String(SECONDS),
    url,
  ]);
  const tps = /tps = ([0-9.]+)/.exec(stdout);
  if (!tps) throw new Error(`pgbench printed no tps:\n${stdout}`);
  return Number(tps[1]);
}

export async function run(): Promise<BenchRow[]> {
  const system = await startEphemeralSystem({ durable: true });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vanthu-bench-api-'));
  let api: ReturnType<typeof spawnVanthu> | undefined;
  try {
    const sql = system.sequelize;
    // Recipients: branches under a ward of the district, so one district clerk may receive for all.
    const [ward] = await sql.query<{ id: number; path: string }>(
      `SELECT u.id, u.path FROM org_unit u JOIN person p ON p.home_unit_id = u.id WHERE p.username = 'vanthu.phucxa'`,
      { type: QueryTypes.SELECT },
    );
    await sql.query(
      `INSERT INTO org_unit (id, code, name, abbreviation, kind, parent_id, path)
       SELECT m + g, lpad(upper(to_hex(g)), 3, '0') || '.ZZ.01.B01', 'Chi bộ thử tải ' || g, 'CB', 'branch', $1,
              $2 || (m + g) || '/'
         FROM generate_series(1, $3) AS g, (SELECT max(id) AS m FROM org_unit) AS top`,
      { bind: [ward!.id, ward!.path, RECIPIENTS] },
    );
    const drafter = await new ApiClient(system.baseUrl).signIn('chuyenvien.badinh');
    const created = await drafter.post<{ id: string }>('/api/v1/documents', {
      type: 'CT',
      subject: 'Về thử tải (load test)',
      body: ['Nội dung.'],
    });
    if (created.status !== 201)
      throw new Error(`could not create a document: ${JSON.stringify(created.body)}`);
    // Issued documents with a delivery to every recipient, written directly: the benchmark
    // measures the recipients' side, not the issuing.
    await sql.query(
      `INSERT INTO document (id, type_code, subject, status, urgency, issuing_unit_id, created_by, current_version,
                             workflow_id, created_at, updated_at)
       SELECT gen_random_uuid(), type_code, subject || ' ' || g, 'dispatched', urgency, issuing_unit_id, created_by, 1,
              'bench-' || gen_random_uuid(), now(), now()
         FROM document, generate_series(1, $2) AS g WHERE document.id = $1`,
      { bind: [created.body.id, DOCUMENTS] },
    );
    const [deliveries] = await sql.query<{ n: number }>(
      `WITH made AS (
         INSERT INTO delivery (document_id, recipient_unit_id, status, delivered_at)
         SELECT d.id, u.id, 'delivered', now() FROM document d, org_unit u
          WHERE d.workflow_id LIKE 'bench-%' AND u.name LIKE 'Chi bộ thử tải %'
         RETURNING id)
       SELECT count(*)::int AS n FROM made`,
      { type: QueryTypes.SELECT },
    );
    // And what dispatch does with a unit's first delivery: open its incoming register (sổ đến).
    await sql.query(
      `INSERT INTO register (unit_id, direction, scheme, sequence_policy, reset_policy, term)
       SELECT id, 'incoming', $1, $2, $3, $4 FROM org_unit WHERE name LIKE 'Chi bộ thử tải %'
       ON CONFLICT (unit_id, direction) DO NOTHING`,
      { bind: newRegisterColumns('incoming') },
    );
    const ids = (
      await sql.query<{ id: string }>(
        `SELECT v.id FROM delivery v JOIN document d ON d.id = v.document_id WHERE d.workflow_id LIKE 'bench-%' ORDER BY random()`,
        { type: QueryTypes.SELECT },
      )
    ).map((r) => r.id);
    await sql.query('ANALYZE');

    // The api in a process of its own, as `npm run api` runs it.
    const port = await freePort();
    api = spawnVanthu(
      ['api'],
      {
        DATABASE_URL: system.databaseUrl,
        TEMPORAL_ADDRESS: system.target.address,
        VANTHU_TASK_QUEUE: system.taskQueue,
        VANTHU_PKI_DIR: system.pki.dir,
        VANTHU_DATA_DIR: dataDir,
        PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [],
    );
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/health`, api);
    const clerk = await new ApiClient(base).signIn('vanthu.badinh');
    const headers = {
      cookie: clerk.sessionCookie!,
      'x-csrf-token': clerk.csrf!,
      'content-type': 'application/json',
    };

    const express = await expressLimit();
    const pgbench = await pgbenchLimit(system.databaseUrl);
    const httpLimit = { name: 'bare Express GET, autocannon', value: express.rate, unit: 'req/s' };
    const httpLatency = { name: 'bare Express GET p99', value: express.p99, unit: 'ms' };

    // Each load starts after a warm-up of its own (the JIT, the prepared statements), as
    // the acknowledgments below do: the figures are of the running api, not of its start.
    const status = { url: `${base}/api/v1/documents/${created.body.id}`, headers };
    await load({ ...status, duration: WARM_UP_SECONDS });
    const reads = await load(status);
    const whoAmI = await load({ url: `${base}/api/v1/session`, headers });
    const acknowledge = (action: 'receive' | 'read', targets: readonly string[], duration = SECONDS) => {
      let next = 0;
      return load({
        url: base,
        headers,
        duration,
        requests: [
          {
            method: 'POST',
            body: '{}',
            setupRequest: (request) => ({
              ...request,
              path: `/api/v1/deliveries/${targets[next++ % targets.length]}/${action}`,
            }),
          },
        ],
      });
    };
    // A tenth of the deliveries warm the acknowledgment path up (the JIT, the prepared
    // statements); of the rest, half are received and half only read, so no measured
    // request repeats another.
    const warm = Math.floor(ids.length / 10);
    const half = warm + Math.floor((ids.length - warm) / 2);
    await acknowledge('receive', ids.slice(0, warm), WARM_UP_SECONDS);
    const acks = await acknowledge('receive', ids.slice(warm, half));
    const readAcks = await acknowledge('read', ids.slice(half));
    const [received] = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM delivery v JOIN document d ON d.id = v.document_id
        WHERE d.workflow_id LIKE 'bench-%' AND v.status = 'received'`,
      { type: QueryTypes.SELECT },
    );
    const note = (l: Load) =>
      `${CONNECTIONS} connections, ${SECONDS} s; ${l.non2xx} non-2xx, ${l.errors} errors`;
    const rate = (name: string, l: Load, limit: BenchRow['limit'], extra = ''): BenchRow => ({
      group: 'api',
      name: `${name}: rate`,
      value: l.rate,
      unit: 'req/s',
      target: '≥ 2000/s',
      ...(limit ? { limit } : {}),
      note: `${note(l)}${extra}`,
    });
    const p99 = (name: string, l: Load): BenchRow => ({
      group: 'api',
      name: `${name}: p99`,
      value: l.p99,
      unit: 'ms',
      target: '< 50 ms',
      limit: httpLatency,
      note: `p50 ${l.p50} ms`,
    });
    const dbLimit = { name: 'pgbench -S', value: pgbench, unit: 'tx/s' };
    return [
      rate('GET document status', reads, httpLimit),
      p99('GET document status', reads),
      rate('GET session (authentication only)', whoAmI, httpLimit),
      p99('GET session (authentication only)', whoAmI),
      rate(
        'POST acknowledgment (receive, numbered in the incoming register)',
        acks,
        dbLimit,
        `; ${received!.n} of ${deliveries!.n} deliveries received (${warm} of them in a ${WARM_UP_SECONDS} s warm-up)`,
      ),
      p99('POST acknowledgment (receive)', acks),
      rate('POST read receipt (read)', readAcks, dbLimit),
      p99('POST read receipt (read)', readAcks),
    ];
  } finally {
    if (api) {
      api.child.kill('SIGTERM');
      await api.exited();
    }
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
