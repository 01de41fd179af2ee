/**
 * Audit anchoring through Temporal (a Schedule starting the anchoring workflow on the
 * worker, which timestamps the chain heads with the deployment's TSA), and the auditor's
 * routes: verify, anchors, entries of the units they oversee.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type { AnchorResult } from '../../activities/audit-anchor';
import { auditAnchorActivities } from '../../activities/audit-anchor';
import { ensureAuditAnchorSchedule } from '../../api/background';
import { appendAudit } from '../../db/audit';
import { ApiClient } from '../support/http';
import { type TestSystem, testSystem } from '../support/system';

interface Anchor {
  id: string;
  anchoredAt: string;
  digest: string;
  heads: Array<{ chain: number; seq: number; hash: string }>;
}

async function appendEntry(system: TestSystem, action: string): Promise<void> {
  await system.sequelize.transaction((transaction) =>
    appendAudit(system.sequelize, transaction, [
      {
        actorPersonId: null,
        actorUnitId: null,
        source: 'test',
        action,
        documentId: null,
        versionSha256: null,
        detail: { at: randomUUID() },
        idempotencyKey: null,
      },
    ]),
  );
}

describe('api: audit anchoring and the auditor’s routes', () => {
  let system: TestSystem;
  let auditor: ApiClient;

  before(async function () {
    this.timeout(300_000);
    system = await testSystem();
    auditor = await new ApiClient(system.baseUrl).signIn('kiemtra.tu');
  });

  it('anchors the chain heads from a Temporal Schedule, and the auditor sees and verifies the anchor', async function () {
    this.timeout(120_000);
    const scheduleId = `audit-anchor-test-${randomUUID()}`;
    await ensureAuditAnchorSchedule(system.temporal, {
      taskQueue: system.taskQueue,
      anchorEveryMinutes: 5,
      scheduleId,
    });
    const handle = system.temporal.schedule.getHandle(scheduleId);
    try {
      const described = await handle.describe();
      expect(described.spec.intervals?.[0]?.every).to.equal(5 * 60_000);
      // A second api process finds the schedule and updates it instead of failing.
      await ensureAuditAnchorSchedule(system.temporal, {
        taskQueue: system.taskQueue,
        anchorEveryMinutes: 3,
        scheduleId,
      });
      expect((await handle.describe()).spec.intervals?.[0]?.every).to.equal(3 * 60_000);

      await appendEntry(system, 'test.before-anchor');
      await handle.trigger();
      let workflowId: string | undefined;
      for (let i = 0; i < 200 && !workflowId; i++) {
        const action = (await handle.describe()).info.recentActions[0]?.action;
        workflowId = action?.workflow.workflowId;
        if (!workflowId) await sleep(100);
      }
      expect(workflowId, 'the schedule started a run').to.be.a('string');
      const result = await system.temporal.workflow
        .getHandle<() => Promise<AnchorResult>>(workflowId!)
        .result();
      expect(result.anchored).to.equal(true);

      const [row] = await system.sequelize.query<{ digest: string; anchored_at: Date }>(
        'SELECT digest, anchored_at FROM audit_anchor WHERE id = $1',
        { bind: [result.anchorId], type: QueryTypes.SELECT },
      );
      expect(row!.digest).to.equal(result.digest);
      const heads = await system.sequelize.query<{ chain: number; seq: string; hash: string }>(
        'SELECT chain, seq, hash FROM audit_chain_head ORDER BY chain',
        { type: QueryTypes.SELECT },
      );

      const anchors = await auditor.get<{ items: Anchor[] }>('/api/v1/audit/anchors?limit=5');
      expect(anchors.status).to.equal(200);
      const listed = anchors.body.items.find((a) => a.id === result.anchorId)!;
      expect(listed.heads).to.have.length(32);
      expect(listed.heads.map((h) => [h.chain, h.seq, h.hash])).to.deep.equal(
        heads.map((h) => [h.chain, Number(h.seq), h.hash]),
      );

      const verify = await auditor.get<{
        intact: boolean;
        anchors: { latest: { id: string }; trustChecked: boolean; valid: number; checked: number };
      }>('/api/v1/audit/verify');
      expect(verify.status).to.equal(200);
      expect(verify.body.intact).to.equal(true);
      expect(verify.body.anchors.trustChecked).to.equal(true);
      expect(verify.body.anchors.valid).to.equal(verify.body.anchors.checked);
      expect(Number(verify.body.anchors.latest.id)).to.be.at.least(Number(result.anchorId));
    } finally {
      await handle.delete();
    }
  });

  it('writes no anchor when no chain moved since the last one', async () => {
    const anchor = auditAnchorActivities(system.sequelize, system.pki.tsa);
    await appendEntry(system, 'test.anchor-twice');
    const first = await anchor.anchorAuditChains();
    const second = await anchor.anchorAuditChains();
    expect(first.anchored).to.equal(true);
    expect(second).to.include({ anchored: false, anchorId: first.anchorId, digest: first.digest });
  });

  it('shows an auditor the entries of the units they oversee, and no others', async () => {
    await new ApiClient(system.baseUrl).signIn('chuyenvien.badinh');
    await new ApiClient(system.baseUrl).signIn('chuyenvien.hoankiem');
    const units = async (client: ApiClient) => {
      const page = await client.get<{ items: Array<{ actorUnitId: number | null; action: string }> }>(
        '/api/v1/audit/entries?action=auth.signed_in&limit=200',
      );
      expect(page.status).to.equal(200);
      return new Set(page.body.items.map((e) => e.actorUnitId));
    };
    const city = await units(auditor);
    expect(city.has(2)).to.equal(true);
    expect(city.has(11)).to.equal(true);
    const district = await units(await new ApiClient(system.baseUrl).signIn('kiemtra.badinh'));
    expect(district.has(2)).to.equal(true);
    expect(district.has(11)).to.equal(false);
    const badFilter = await auditor.get<{ field: string }>('/api/v1/audit/entries?documentId=42');
    expect(badFilter.status).to.equal(400);
    expect(badFilter.body.field).to.equal('query.documentId');
  });
});
