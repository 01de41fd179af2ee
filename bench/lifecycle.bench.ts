/**
 * The document lifecycle at city scale (issue 4), on the seeded city: 16,000 branches,
 * ~470,000 members, PostgreSQL with its crash-safety settings on.
 *
 *   - one directive to every branch: from the clerk's issuing until every delivery is in
 *     its branch's inbox;
 *   - the 16,000 branches acknowledging it through the api, and the rate;
 *   - one notice to every member of the city: until all of them can read it;
 *   - complete lifecycles (draft → approved → signed → issued → dispatched to 10 units) a second.
 *
 * Beside each: what this machine's PostgreSQL needs to insert as many bare rows, what bare
 * HTTP costs here, and what one Temporal round trip costs.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { QueryTypes, type Sequelize } from 'sequelize';
import { hashPassword } from '../db/passwords';
import { DEMO_PASSWORD, seedOrganisation } from '../db/seed';
import { openSoftwareSigner } from '../pki/keys/software';
import { provisionPersonalKey, provisionSealKey } from '../runtime/provision-keys';
import { ApiClient } from '../test/support/http';
import { startEphemeralSystem } from '../test/support/system';
import type { BenchRow } from './harness';
import { median } from './harness';

const LIFECYCLES = Number(process.env.BENCH_LIFECYCLES ?? 40);
const LIFECYCLE_CONCURRENCY = 8;

async function count(sequelize: Sequelize, sql: string, bind: unknown[]): Promise<number> {
  const [row] = await sequelize.query<{ n: number }>(sql, { bind, type: QueryTypes.SELECT });
  return row!.n;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 300_000): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`${what} did not happen in time`);
    await sleep(20);
  }
  return performance.now() - started;
}

export async function run(): Promise<BenchRow[]> {
  const system = await startEphemeralSystem({ durable: true, seed: 'none' });
  const rows: BenchRow[] = [];
  try {
    const sql = system.sequelize;
    await seedOrganisation(system.databaseUrl, 'city', DEMO_PASSWORD);
    const [city] = await sql.query<{ id: number }>(`SELECT id FROM org_unit WHERE kind = 'provincial'`, {
      type: QueryTypes.SELECT,
    });
    const cityId = city!.id;
    const signerId = await count(sql, `SELECT id AS n FROM person WHERE username = $1`, [`bithu.u${cityId}`]);
    await provisionPersonalKey(sql, system.pki, { personId: signerId, passphrase: DEMO_PASSWORD });
    await provisionSealKey(sql, system.pki, { unitId: cityId, passphrase: DEMO_PASSWORD });
    const drafter = await new ApiClient(system.baseUrl).signIn(`chuyenvien.u${cityId}`);
    const signer = await new ApiClient(system.baseUrl).signIn(`bithu.u${cityId}`);
    const clerk = await new ApiClient(system.baseUrl).signIn(`vanthu.u${cityId}`);

    // Tokens: the same keys, unlocked once, signing what the two-phase routes hand out.
    const tokenOf = async (where: string, bind: unknown[]) => {
      const [key] = await sql.query<{ encrypted_key: string; certificate: Buffer; chain: Buffer[] }>(
        `SELECT encrypted_key, certificate, chain FROM signing_key WHERE ${where} AND active`,
        { bind, type: QueryTypes.SELECT },
      );
      const signer = await openSoftwareSigner({
        key: key!.encrypted_key,
        passphrase: DEMO_PASSWORD,
        certificate: key!.certificate,
        chain: key!.chain,
      });
      return {
        signer,
        body: {
          certificate: key!.certificate.toString('base64'),
          chain: key!.chain.map((c) => c.toString('base64')),
        },
      };
    };
    const leaderToken = await tokenOf('person_id = $1', [signerId]);
    const sealToken = await tokenOf(`unit_id = $1 AND purpose = 'seal'`, [cityId]);
    const twoPhase = async (client: ApiClient, path: string, token: typeof leaderToken) => {
      const ready = await client.post<{ sessionId: string; toBeSigned: string }>(
        `${path}/prepare`,
        token.body,
      );
      if (ready.status !== 200) throw new Error(`${path}/prepare: ${JSON.stringify(ready.body)}`);
      const value = await token.signer.sign(Buffer.from(ready.body.toBeSigned, 'base64'));
      const done = await client.post(`${path}/complete`, {
        sessionId: ready.body.sessionId,
        signatureValue: Buffer.from(value).toString('base64'),
      });
      if (done.status !== 200) throw new Error(`${path}/complete: ${JSON.stringify(done.body)}`);
    };

    /** Draft → approved → signed; then issue, and time until `done` holds. */
    const issue = async (
      subject: string,
      recipients: unknown[],
      done: (id: string) => Promise<boolean>,
      withTokens = false,
    ) => {
      const created = await drafter.post<{ id: string }>('/api/v1/documents', {
        type: 'CT',
        subject,
        body: ['Các cấp ủy, tổ chức đảng quán triệt và tổ chức thực hiện nghiêm túc Chỉ thị này.'],
        recipients,
        signer: { personId: signerId },
      });
      if (created.status !== 201) throw new Error(`create: ${JSON.stringify(created.body)}`);
      const id = created.body.id;
      await drafter.post(`/api/v1/documents/${id}/submit`, { version: 1 });
      await signer.post(`/api/v1/documents/${id}/decision`, { decision: 'approve', version: 1 });
      if (withTokens) await twoPhase(signer, `/api/v1/documents/${id}/signature`, leaderToken);
      else await signer.post(`/api/v1/documents/${id}/signature`, { passphrase: DEMO_PASSWORD });
      const started = performance.now();
      if (withTokens) {
        await twoPhase(clerk, `/api/v1/documents/${id}/issue`, sealToken);
      } else {
        const issued = await clerk.post(`/api/v1/documents/${id}/issue`, { passphrase: DEMO_PASSWORD });
        if (issued.status !== 200) throw new Error(`issue: ${JSON.stringify(issued.body)}`);
      }
      await waitUntil(subject, () => done(id));
      return { id, ms: performance.now() - started };
    };

    // 1. One directive to all 16,000 branches.
    const branches = await count(sql, `SELECT count(*)::int AS n FROM org_unit WHERE kind = 'branch'`, []);
    const directive = await issue(
      'Về tăng cường công tác chuyển đổi số trong toàn Đảng bộ',
      [{ kind: 'units_under', unitId: cityId, unitKind: 'branch' }],
      async (id) =>
        (await count(sql, 'SELECT count(*)::int AS n FROM delivery WHERE document_id = $1', [id])) ===
        branches,
    );
    const bareStart = performance.now();
    await sql.query(
      `CREATE TABLE bench_bare AS SELECT g AS id, now() AS at FROM generate_series(1, $1) AS g`,
      {
        bind: [branches],
      },
    );
    const bareMs = performance.now() - bareStart;
    rows.push({
      group: 'lifecycle',
      name: `directive to every branch: issued → all ${branches.toLocaleString('en')} deliveries in their inboxes`,
      value: directive.ms / 1000,
      unit: 's',
      target: '≤ 5 s',
      limit: {
        name: `PostgreSQL: ${branches.toLocaleString('en')} bare rows`,
        value: bareMs / 1000,
        unit: 's',
      },
      note: 'includes sealing (B-LTA: timestamp, DSS, archive timestamp) and the numbering',
    });

    // 2. Every branch acknowledges it, through the api (the city clerk acts for all of them).
    const deliveries = (
      await sql.query<{ id: string }>('SELECT id FROM delivery WHERE document_id = $1 ORDER BY random()', {
        bind: [directive.id],
        type: QueryTypes.SELECT,
      })
    ).map((r) => r.id);
    const headers = {
      cookie: clerk.sessionCookie!,
      'x-csrf-token': clerk.csrf!,
      'content-type': 'application/json',
    };
    let next = 0;
    const ackStarted = performance.now();
    const acks = await autocannon({
      url: system.baseUrl,
      headers,
      connections: 32,
      amount: deliveries.length,
      requests: [
        {
          method: 'POST',
          body: '{}',
          setupRequest: (request) => ({
            ...request,
            path: `/api/v1/deliveries/${deliveries[next++]}/receive`,
          }),
        },
      ],
    });
    const ackSeconds = (performance.now() - ackStarted) / 1000;
    const received = await count(
      sql,
      `SELECT count(*)::int AS n FROM delivery WHERE document_id = $1 AND status = 'received'`,
      [directive.id],
    );
    const express = await autocannon({
      url: `${system.baseUrl}/api/v1/nothing`,
      connections: 32,
      duration: 3,
    });
    rows.push(
      {
        group: 'lifecycle',
        name: `${received.toLocaleString('en')} acknowledgments taken in (each numbered in its branch's sổ đến)`,
        value: ackSeconds,
        unit: 's',
        note: `${acks.non2xx} non-2xx, ${acks.errors} errors, p99 ${acks.latency.p99} ms`,
      },
      {
        group: 'lifecycle',
        name: 'acknowledgment rate',
        value: received / ackSeconds,
        unit: 'req/s',
        limit: { name: 'api 404 answer (HTTP + auth floor)', value: express.requests.average, unit: 'req/s' },
      },
    );

    // 3. One notice to every member of the city.
    const members = await count(
      sql,
      `SELECT count(*)::int AS n FROM role_assignment WHERE role = 'member'`,
      [],
    );
    const notice = await issue(
      'Thông báo về việc học tập, quán triệt Nghị quyết',
      [{ kind: 'members_under', unitId: cityId }],
      async (id) =>
        (await count(sql, `SELECT count(*)::int AS n FROM document WHERE id = $1 AND status = 'dispatched'`, [
          id,
        ])) === 1,
    );
    // Three members chosen at random sign in and find it in their notices.
    const sample = await sql.query<{ username: string }>(
      `SELECT username FROM person WHERE username LIKE 'dv%' ORDER BY random() LIMIT 3`,
      { type: QueryTypes.SELECT },
    );
    const hash = await hashPassword(DEMO_PASSWORD);
    const readLatencies: number[] = [];
    for (const { username } of sample) {
      await sql.query('UPDATE person SET password_hash = $2 WHERE username = $1', { bind: [username, hash] });
      const member = await new ApiClient(system.baseUrl).signIn(username);
      const started = performance.now();
      const list = await member.get<{ items: Array<{ documentId: string }> }>('/api/v1/me/notices');
      readLatencies.push(performance.now() - started);
      if (!list.body.items.some((i) => i.documentId === notice.id))
        throw new Error(`${username} cannot read the notice`);
    }
    rows.push({
      group: 'lifecycle',
      name: `notice to every member (${members.toLocaleString('en')}): issued → readable by all`,
      value: notice.ms / 1000,
      unit: 's',
      limit: { name: 'one member reading their notices', value: median(readLatencies), unit: 'ms' },
      note: 'one audience row makes it readable by every member under the unit at once',
    });

    // 4. Complete lifecycles to 10 recipients, several at a time.
    const ten = (
      await sql.query<{ id: number }>(
        `SELECT id FROM org_unit WHERE kind = 'grassroots' ORDER BY id LIMIT 10`,
        { type: QueryTypes.SELECT },
      )
    ).map((u) => ({ kind: 'unit', unitId: u.id }));
    const lifecycles = async (withTokens: boolean) => {
      let started = 0;
      const begin = performance.now();
      await Promise.all(
        Array.from({ length: LIFECYCLE_CONCURRENCY }, async () => {
          while (started < LIFECYCLES) {
            started += 1;
            await issue(
              `Công văn số ${started} về triển khai nhiệm vụ`,
              ten,
              async (id) =>
                (await count(
                  sql,
                  `SELECT count(*)::int AS n FROM document WHERE id = $1 AND status = 'dispatched'`,
                  [id],
                )) === 1,
              withTokens,
            );
          }
        }),
      );
      return (performance.now() - begin) / 1000;
    };
    const rpcStart = performance.now();
    for (let i = 0; i < 100; i++)
      await system.temporal.workflowService.describeNamespace({ namespace: 'default' });
    const rpcMs = (performance.now() - rpcStart) / 100;
    for (const withTokens of [false, true]) {
      const seconds = await lifecycles(withTokens);
      rows.push({
        group: 'lifecycle',
        name: `complete lifecycles (draft → dispatched to 10 units), ${LIFECYCLE_CONCURRENCY} at a time, ${
          withTokens ? 'keys on tokens (two-phase)' : 'software keys unlocked per signature'
        }`,
        value: LIFECYCLES / seconds,
        unit: 'per s',
        limit: { name: 'Temporal round trip', value: rpcMs, unit: 'ms' },
        note: `${LIFECYCLES} documents in ${seconds.toFixed(1)} s; each renders, signs (B-T) and seals (B-LTA)${
          withTokens ? '' : '; each unlock of an encrypted key is PBKDF2 with 600,000 iterations'
        }`,
      });
    }
    await leaderToken.signer.close();
    await sealToken.signer.close();
  } finally {
    await system.stop();
  }
  return rows;
}
