/**
 * Foundation figures: how long from creating a document to reading its status back, and
 * how long the city-scale seed takes — each beside what this machine's PostgreSQL and
 * Temporal need for the bare minimum of the same work.
 */
import { performance } from 'node:perf_hooks';
import { QueryTypes } from 'sequelize';
import { seedOrganisation } from '../db/seed';
import { planOrganisation } from '../db/seed/plan';
import { ApiClient } from '../test/support/http';
import { startEphemeralSystem } from '../test/support/system';
import { type BenchRow, median, percentile } from './harness';

const DOCUMENTS = 200;

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const system = await startEphemeralSystem({ durable: true });
  try {
    const drafter = await new ApiClient(system.baseUrl).signIn('chuyenvien.tu');
    // Warm up the worker's workflow cache and the connection pools.
    for (let i = 0; i < 10; i++) await createAndRead(drafter, i);
    const latencies: number[] = [];
    for (let i = 0; i < DOCUMENTS; i++) latencies.push(await createAndRead(drafter, i));
    latencies.sort((a, b) => a - b);

    const commit = await timeEach(
      200,
      async () => {
        await system.sequelize.transaction(async (transaction) => {
          await system.sequelize.query('INSERT INTO bench_commit (n) VALUES (1)', { transaction });
        });
      },
      async () => {
        await system.sequelize.query('CREATE TABLE IF NOT EXISTS bench_commit (n int)');
      },
    );
    const rpc = await timeEach(200, async () => {
      await system.temporal.workflowService.describeNamespace({ namespace: 'default' });
    });
    const floor = {
      name: 'PostgreSQL commit + Temporal RPC (p50)',
      value: median(commit) + median(rpc),
      unit: 'ms',
    };
    rows.push(
      {
        group: 'foundation',
        name: `create document → status readable, median of ${DOCUMENTS}`,
        value: median(latencies),
        unit: 'ms',
        limit: floor,
      },
      {
        group: 'foundation',
        name: `create document → status readable, p99 of ${DOCUMENTS}`,
        value: percentile(latencies, 99),
        unit: 'ms',
        limit: floor,
      },
    );
  } finally {
    await system.stop();
  }

  const empty = await startEphemeralSystem({ durable: true, seed: 'none' });
  try {
    const seeded = await seedOrganisation(empty.databaseUrl, 'city');
    // The floor: PostgreSQL writing the same number of rows into a bare table.
    const plan = planOrganisation('city');
    const total = plan.units.length + plan.people.length + plan.roles.length;
    const started = performance.now();
    await empty.sequelize.query(
      `CREATE TABLE bench_rows AS SELECT g AS id, md5(g::text) AS name FROM generate_series(1, ${total}) AS g`,
    );
    const bare = (performance.now() - started) / 1000;
    const [counts] = await empty.sequelize.query<{ units: number; people: number }>(
      'SELECT (SELECT count(*) FROM org_unit)::int AS units, (SELECT count(*) FROM person)::int AS people',
      { type: QueryTypes.SELECT },
    );
    rows.push({
      group: 'foundation',
      name: `seed --scale city (${counts!.units.toLocaleString('en')} units, ${counts!.people.toLocaleString('en')} people)`,
      value: seeded.seconds,
      unit: 's',
      target: '< 60 s',
      limit: { name: `PostgreSQL: ${total.toLocaleString('en')} bare rows`, value: bare, unit: 's' },
    });
  } finally {
    await empty.stop();
  }
  return rows;
}

async function createAndRead(client: ApiClient, i: number): Promise<number> {
  const started = performance.now();
  const created = await client.post<{ id: string }>('/api/v1/documents', {
    type: 'TB',
    subject: `Thông báo số ${i}`,
    body: ['Nội dung thông báo.'],
  });
  if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  for (;;) {
    const read = await client.get<{ status: string }>(`/api/v1/documents/${created.body.id}`);
    if (read.status === 200 && read.body.status === 'draft') break;
  }
  return performance.now() - started;
}

async function timeEach(
  times: number,
  work: () => Promise<void>,
  setup?: () => Promise<void>,
): Promise<number[]> {
  await setup?.();
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  return samples;
}
