import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { DEMO_PASSWORD } from '../../db/seed';
import { periodOf } from '../../domain/reports';
import { ApiClient } from '../support/http';
import { expectOk, personId, unitId, waitForStatus } from '../support/lifecycle';
import { type TestSystem, testSystem } from '../support/system';

interface Compliance {
  expected: number;
  submitted: number;
  missing: Array<{ unitId: number; name: string }>;
  byChild: Array<{ unitId: number; expected: number; submitted: number }>;
}

describe('reports upward: requested from the branches, signed and sent up, tracked', function () {
  this.timeout(120_000);
  let system: TestSystem;

  before(async () => {
    system = await testSystem();
  });

  it('collects a monthly branch-meeting report and reminds and escalates the missing', async () => {
    const ward = await unitId(system, 'Đảng ủy phường Phúc Xá');
    const clerk = await new ApiClient(system.baseUrl).signIn('vanthu.phucxa');
    const period = periodOf(new Date());
    const dueMs = Date.now() + 12_000;
    const opened = expectOk(
      await clerk.post<{ requestId: string; expected: number; period: string }>('/api/v1/report-requests', {
        requestingUnitId: ward,
        kind: 'branch_meeting_monthly',
        period,
        dueAt: new Date(dueMs).toISOString(),
        unitKind: 'branch',
        escalateAfterMinutes: 0.05,
      }),
      'request',
    );
    expect(opened).to.include({ expected: 3, period });
    // Asking twice finds the same request.
    const again = expectOk(
      await clerk.post<{ requestId: string }>('/api/v1/report-requests', {
        requestingUnitId: ward,
        kind: 'branch_meeting_monthly',
        period,
        dueAt: new Date(dueMs).toISOString(),
      }),
      'request again',
    );
    expect(again.requestId).to.equal(opened.requestId);

    // Branch 1's secretary drafts, approves, signs and issues the report upward.
    const secretary = await new ApiClient(system.baseUrl).signIn('dangvien.phucxa1.1');
    const me = await personId(system, 'dangvien.phucxa1.1');
    const bad = await secretary.post<{ field: string }>('/api/v1/documents', {
      type: 'BC',
      subject: `Báo cáo sinh hoạt chi bộ tháng ${period}`,
      body: ['Chi bộ đã sinh hoạt định kỳ.'],
      signer: { personId: me },
      reportRequestId: opened.requestId,
      report: { present: 30, total: 25, durationMinutes: 95, resolutionAdopted: true },
    });
    expect(bad.status).to.equal(400);
    expect(bad.body.field).to.equal('body.report.present');
    const report = expectOk(
      await secretary.post<{ id: string }>('/api/v1/documents', {
        type: 'BC',
        subject: `Báo cáo sinh hoạt chi bộ tháng ${period}`,
        body: ['Chi bộ đã sinh hoạt định kỳ, nội dung theo Hướng dẫn 12-HD/BTCTW.'],
        signer: { personId: me },
        reportRequestId: opened.requestId,
        report: { present: 22, total: 25, durationMinutes: 95, resolutionAdopted: true },
      }),
      'draft report',
    );
    expectOk(await secretary.post(`/api/v1/documents/${report.id}/submit`, { version: 1 }), 'submit');
    expectOk(
      await secretary.post(`/api/v1/documents/${report.id}/decision`, { decision: 'approve', version: 1 }),
      'approve',
    );
    expectOk(
      await secretary.post(`/api/v1/documents/${report.id}/signature`, { passphrase: DEMO_PASSWORD }),
      'sign',
    );
    expectOk(
      await secretary.post(`/api/v1/documents/${report.id}/issue`, { passphrase: DEMO_PASSWORD }),
      'issue',
    );
    await waitForStatus(secretary, report.id, 'dispatched');
    const pdf = await secretary.get<Uint8Array>(`/api/v1/documents/${report.id}/pdf`);
    expect(Buffer.from(pdf.body).subarray(0, 5).toString()).to.equal('%PDF-');

    // The ward received it and sees who has and has not reported.
    const inbox = expectOk(
      await clerk.get<{ items: Array<{ documentId: string }> }>(`/api/v1/org-units/${ward}/inbox`),
      'ward inbox',
    );
    expect(inbox.items.map((i) => i.documentId)).to.include(report.id);
    const compliance = expectOk(
      await clerk.get<Compliance>(`/api/v1/report-requests/${opened.requestId}`),
      'compliance',
    );
    expect(compliance).to.include({ expected: 3, submitted: 1 });
    expect(compliance.missing.map((m) => m.name)).to.deep.equal([
      'Chi bộ Tổ dân phố số 2',
      'Chi bộ Tổ dân phố số 3',
    ]);
    expect(compliance.byChild.reduce((sum, c) => sum + c.submitted, 0)).to.equal(1);

    // Past the deadline: the two missing branches are reminded, then the ward is told.
    await sleep(Math.max(0, dueMs - Date.now()) + 7_000);
    const notices = await system.sequelize.query<{ kind: string; recipient_unit_id: number }>(
      `SELECT kind, recipient_unit_id FROM notification WHERE dedupe_key LIKE $1 ORDER BY id`,
      { bind: [`report:${opened.requestId}:%`], type: QueryTypes.SELECT },
    );
    const missingIds = compliance.missing.map((m) => m.unitId);
    expect(
      notices
        .filter((n) => n.kind === 'report_reminder')
        .map((n) => n.recipient_unit_id)
        .sort(),
    ).to.deep.equal([...missingIds].sort());
    expect(
      notices.filter((n) => n.kind === 'report_escalation').map((n) => n.recipient_unit_id),
    ).to.deep.equal([ward]);
  });

  it('requests it every month by a Temporal Schedule in Vietnam time', async () => {
    const city = await unitId(system, 'Thành ủy Hà Nội');
    const clerk = await new ApiClient(system.baseUrl).signIn('vanthu.tu');
    const scheduled = expectOk(
      await clerk.post<{
        scheduleId: string;
        timezone: string;
        dayOfMonth: number;
        hour: number;
        nextRuns: string[];
      }>('/api/v1/report-schedules', {
        requestingUnitId: city,
        kind: 'branch_meeting_monthly',
        dayOfMonth: 1,
        hour: 8,
        dueDay: 25,
      }),
      'schedule',
    );
    expect(scheduled).to.include({ timezone: 'Asia/Ho_Chi_Minh', dayOfMonth: 1, hour: 8 });
    // The next run is 08:00 on the 1st in Hà Nội, which is 01:00 UTC.
    const next = new Date(scheduled.nextRuns[0]!);
    expect([next.getUTCHours(), next.getUTCMinutes()]).to.deep.equal([1, 0]);
    expect(new Date(next.getTime() + 7 * 3_600_000).getUTCDate()).to.equal(1);
    // Setting it again changes it rather than adding a second schedule.
    expect(
      (await clerk.post('/api/v1/report-schedules', { requestingUnitId: city, dueDay: 20 })).status,
    ).to.equal(200);

    // Running the schedule now requests this month's report from every branch of the city.
    const handle = system.temporal.schedule.getHandle(scheduled.scheduleId);
    await handle.trigger();
    let rows: Array<{ id: string; period: string; expected: number; due_at: Date }> = [];
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      rows = await system.sequelize.query(
        `SELECT r.id, r.period, r.due_at, (SELECT count(*)::int FROM report_expectation e WHERE e.request_id = r.id) AS expected
           FROM report_request r WHERE r.requesting_unit_id = $1 AND r.kind = 'branch_meeting_monthly'`,
        { bind: [city], type: QueryTypes.SELECT },
      );
      if (rows.length === 0) await sleep(200);
    }
    const [branches] = await system.sequelize.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM org_unit WHERE kind = 'branch'`,
      { type: QueryTypes.SELECT },
    );
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ period: periodOf(new Date()), expected: branches!.n });
    // Due on the 20th (the day set last, not the first one) at 17:00 Vietnam time.
    const due = new Date(rows[0]!.due_at);
    expect([new Date(due.getTime() + 7 * 3_600_000).getUTCDate(), due.getUTCHours()]).to.deep.equal([20, 10]);
    await handle.delete();
  });
});
