import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { ApiClient } from '../support/http';
import { expectOk, issueDocument, officeOf, personId, unitId, waitForStatus } from '../support/lifecycle';
import { type TestSystem, testSystem } from '../support/system';

interface Delivery {
  id: number;
  status: string;
  incomingNumber: string | null;
  recipientUnitId: number;
}

describe('lifecycle: recipients receive, return, handle; deadlines remind and escalate; recall', function () {
  this.timeout(120_000);
  let system: TestSystem;

  before(async () => {
    system = await testSystem();
  });

  it('takes each branch through its own path, and the workflow counts them at the deadline', async () => {
    const ward = await unitId(system, 'Đảng ủy phường Phúc Xá');
    const office = await officeOf(system, 'phucxa');
    const dueMs = Date.now() + 10_000;
    const document = await issueDocument(office, {
      subject: 'Thông báo triệu tập hội nghị đảng viên',
      recipients: [{ kind: 'units_under', unitId: ward, unitKind: 'branch' }],
      responseDue: new Date(dueMs).toISOString(),
      escalateAfterMinutes: 0.05,
    });
    expect(document.number).to.match(/^\d{2}-TB\/ĐU$/);

    const secretaries = await Promise.all(
      [1, 2, 3].map((n) => new ApiClient(system.baseUrl).signIn(`dangvien.phucxa${n}.1`)),
    );
    const branchIds = await Promise.all(
      [1, 2, 3].map((n) =>
        system.sequelize
          .query<{ id: number }>(
            `SELECT u.id FROM org_unit u JOIN org_unit p ON p.id = u.parent_id
              WHERE p.id = $1 AND u.name = $2`,
            { bind: [ward, `Chi bộ Tổ dân phố số ${n}`], type: QueryTypes.SELECT },
          )
          .then((rows) => rows[0]!.id),
      ),
    );
    const deliveryOf = async (client: ApiClient, unit: number): Promise<Delivery> => {
      const inbox = expectOk(
        await client.get<{ items: Array<Delivery & { documentId: string; subject: string }> }>(
          `/api/v1/org-units/${unit}/inbox?unread=true`,
        ),
        'inbox',
      );
      const item = inbox.items.find((i) => i.documentId === document.id);
      expect(item, 'delivered to the branch inbox').to.exist;
      expect(item!.subject).to.equal('Thông báo triệu tập hội nghị đảng viên');
      return item!;
    };

    // Branch 1 receives (numbered in its incoming register), assigns, the handler completes.
    const first = await deliveryOf(secretaries[0]!, branchIds[0]!);
    // Other suites may have received documents at this branch this year: the next number.
    const [register] = await system.sequelize.query<{ last: number }>(
      `SELECT coalesce(max(e.sequence), 0)::int AS last FROM register_entry e JOIN register r ON r.id = e.register_id
        WHERE r.unit_id = $1 AND r.direction = 'incoming'`,
      { bind: [branchIds[0]], type: QueryTypes.SELECT },
    );
    const received = expectOk(
      await secretaries[0]!.post<Delivery>(`/api/v1/deliveries/${first.id}/receive`, {}),
      'receive',
    );
    expect(received).to.include({ status: 'received', incomingNumber: String(register!.last + 1) });
    const again = expectOk(
      await secretaries[0]!.post<Delivery>(`/api/v1/deliveries/${first.id}/receive`, {}),
      'receive again',
    );
    expect(again).to.deep.equal(received);
    const handlerId = await personId(system, 'dangvien.phucxa1.2');
    const handler = await new ApiClient(system.baseUrl).signIn('dangvien.phucxa1.2');
    // A member cannot assign; the secretary can, to someone of the branch only.
    expect(
      (await handler.post(`/api/v1/deliveries/${first.id}/assign`, { assigneeId: handlerId })).status,
    ).to.equal(403);
    const outsider = await personId(system, 'dangvien.phucxa2.2');
    expect(
      (await secretaries[0]!.post(`/api/v1/deliveries/${first.id}/assign`, { assigneeId: outsider })).status,
    ).to.equal(400);
    const assigned = expectOk(
      await secretaries[0]!.post<Delivery & { assigneeId: number }>(`/api/v1/deliveries/${first.id}/assign`, {
        assigneeId: handlerId,
        handleDue: new Date(Date.now() + 86_400_000).toISOString(),
      }),
      'assign',
    );
    expect(assigned).to.include({ status: 'assigned', assigneeId: handlerId });
    expect(
      expectOk(await handler.post<Delivery>(`/api/v1/deliveries/${first.id}/start`, {}), 'start').status,
    ).to.equal('in_progress');
    expect(
      expectOk(await handler.post<Delivery>(`/api/v1/deliveries/${first.id}/complete`, {}), 'complete')
        .status,
    ).to.equal('completed');
    // Another branch's people cannot even see this delivery.
    expect((await secretaries[1]!.post(`/api/v1/deliveries/${first.id}/receive`, {})).status).to.equal(404);
    expect((await secretaries[1]!.get(`/api/v1/deliveries/${first.id}`)).status).to.equal(404);

    // Branch 2 returns it as invalid; it cannot then be completed.
    const second = await deliveryOf(secretaries[1]!, branchIds[1]!);
    const returned = expectOk(
      await secretaries[1]!.post<Delivery>(`/api/v1/deliveries/${second.id}/return`, {
        reason: 'Sai tên chi bộ nhận',
      }),
      'return',
    );
    expect(returned.status).to.equal('returned');
    expect((await secretaries[1]!.post(`/api/v1/deliveries/${second.id}/complete`, {})).status).to.equal(409);
    expect((await secretaries[1]!.post(`/api/v1/deliveries/${second.id}/return`, {})).status).to.equal(400);

    // Branch 3 does nothing. What is completed stays completed.
    expect(
      (await secretaries[0]!.post(`/api/v1/deliveries/${first.id}/assign`, { assigneeId: handlerId })).status,
    ).to.equal(409);

    // The deadline passes: the workflow reminds the open units, then escalates them to the ward.
    await sleep(Math.max(0, dueMs - Date.now()) + 8_000);
    const notices = await system.sequelize.query<{ recipient_unit_id: number; kind: string }>(
      'SELECT recipient_unit_id, kind FROM notification WHERE document_id = $1 ORDER BY id',
      { bind: [document.id], type: QueryTypes.SELECT },
    );
    const reminded = notices.filter((n) => n.kind === 'delivery_reminder').map((n) => n.recipient_unit_id);
    expect(reminded).to.include(branchIds[2]);
    expect(reminded).not.to.include(branchIds[0]);
    expect(reminded).not.to.include(branchIds[1]);
    expect(
      notices.filter((n) => n.kind === 'delivery_escalation').map((n) => n.recipient_unit_id),
    ).to.deep.equal([ward]);
    const wardClerk = office.clerk;
    const feed = expectOk(
      await wardClerk.get<{ items: Array<{ kind: string; documentId: string }> }>('/api/v1/me/notifications'),
      'notifications',
    );
    expect(feed.items.some((i) => i.kind === 'delivery_escalation' && i.documentId === document.id)).to.equal(
      true,
    );

    const progress = expectOk(
      await wardClerk.get<{
        total: number;
        byStatus: Record<string, number>;
        overdue: number;
        overdueUnits: Array<{ id: number }>;
      }>(`/api/v1/documents/${document.id}/progress`),
      'progress',
    );
    expect(progress.byStatus.completed).to.equal(1);
    expect(progress.byStatus.returned).to.equal(1);
    expect(progress.overdueUnits.map((u) => u.id)).to.include(branchIds[2]);
    expect(progress.overdue).to.equal(progress.total - 2);

    // Recall: every copy freezes, and each recipient confirms.
    const recalled = expectOk(
      await wardClerk.post<{ status: string }>(`/api/v1/documents/${document.id}/recall`, {
        reason: 'Ban hành nhầm thời gian',
      }),
      'recall',
    );
    expect(recalled.status).to.equal('recalled');
    await waitForStatus(wardClerk, document.id, 'recalled');
    const confirmed = expectOk(
      await secretaries[0]!.post<Delivery & { recallConfirmedAt: string }>(
        `/api/v1/deliveries/${first.id}/confirm-recall`,
        {},
      ),
      'confirm recall',
    );
    expect(confirmed.status).to.equal('recalled');
    expect(confirmed.recallConfirmedAt).to.be.a('string');
    expect((await secretaries[1]!.get<Delivery>(`/api/v1/deliveries/${second.id}`)).body.status).to.equal(
      'returned',
    );
  });

  it('issues a replacement: the copies of the old document freeze, each recipient confirms and gets the new one', async () => {
    const ward = await unitId(system, 'Đảng ủy phường Phúc Xá');
    const office = await officeOf(system, 'phucxa');
    const recipients = [{ kind: 'units_under', unitId: ward, unitKind: 'branch' }] as const;
    const original = await issueDocument(office, {
      subject: 'Thông báo lịch tiếp công dân tháng 12',
      recipients: [...recipients],
    });
    const secretary = await new ApiClient(system.baseUrl).signIn('dangvien.phucxa1.1');
    const [branch] = await system.sequelize.query<{ id: number }>(
      "SELECT id FROM org_unit WHERE parent_id = $1 AND name = 'Chi bộ Tổ dân phố số 1'",
      { bind: [ward], type: QueryTypes.SELECT },
    );
    const inbox = async () =>
      expectOk(
        await secretary.get<{ items: Array<Delivery & { documentId: string }> }>(
          `/api/v1/org-units/${branch!.id}/inbox`,
        ),
        'inbox',
      ).items;
    const oldCopy = (await inbox()).find((i) => i.documentId === original.id);
    expect(oldCopy, 'the original reached the branch').to.exist;
    expectOk(await secretary.post(`/api/v1/deliveries/${oldCopy!.id}/receive`, {}), 'receive the original');

    // Only an issued document can be replaced; a draft cannot.
    const draft = expectOk(
      await office.drafter.post<{ id: string }>('/api/v1/documents', {
        type: 'TB',
        subject: 'Bản nháp',
        body: ['Nội dung.'],
      }),
      'draft',
    );
    const early = await office.drafter.post<{ field: string }>('/api/v1/documents', {
      type: 'TB',
      subject: 'Thay thế một bản nháp',
      body: ['Nội dung.'],
      replacesDocumentId: draft.id,
    });
    expect(early.status).to.equal(400);
    expect(early.body.field).to.equal('body.replacesDocumentId');

    const replacement = await issueDocument(office, {
      subject: 'Thông báo lịch tiếp công dân tháng 12 (thay thế)',
      recipients: [...recipients],
      replacesDocumentId: original.id,
    });
    expect(replacement.number).to.not.equal(original.number);
    await waitForStatus(office.clerk, original.id, 'recalled');
    const readOld = expectOk(
      await office.clerk.get<{ replacedBy: { id: string; number: string } }>(
        `/api/v1/documents/${original.id}`,
      ),
      'read original',
    );
    expect(readOld.replacedBy).to.deep.equal({ id: replacement.id, number: replacement.number });
    const readNew = expectOk(
      await office.clerk.get<{ replaces: { id: string; number: string } }>(
        `/api/v1/documents/${replacement.id}`,
      ),
      'read replacement',
    );
    expect(readNew.replaces).to.deep.equal({ id: original.id, number: original.number });

    // The branch's copy of the original is frozen: it can no longer be handled, only confirmed.
    const frozen = expectOk(await secretary.get<Delivery>(`/api/v1/deliveries/${oldCopy!.id}`), 'old copy');
    expect(frozen.status).to.equal('recalled');
    expect((await secretary.post(`/api/v1/deliveries/${oldCopy!.id}/complete`, {})).status).to.equal(409);
    const confirmed = expectOk(
      await secretary.post<{ recallConfirmedAt: string }>(
        `/api/v1/deliveries/${oldCopy!.id}/confirm-recall`,
        {},
      ),
      'confirm',
    );
    expect(confirmed.recallConfirmedAt).to.be.a('string');
    expect((await inbox()).some((i) => i.documentId === replacement.id)).to.equal(true);

    const [deliveries] = await system.sequelize.query<{ frozen: number; total: number; fresh: number }>(
      `SELECT count(*) FILTER (WHERE d.document_id = $1 AND d.status = 'recalled')::int AS frozen,
              count(*) FILTER (WHERE d.document_id = $1)::int AS total,
              count(*) FILTER (WHERE d.document_id = $2)::int AS fresh
         FROM delivery d WHERE d.document_id IN ($1, $2)`,
      { bind: [original.id, replacement.id], type: QueryTypes.SELECT },
    );
    expect(deliveries!.frozen).to.equal(deliveries!.total);
    expect(deliveries!.fresh).to.equal(deliveries!.total);
    const timeline = expectOk(
      await office.clerk.get<{ events: Array<{ action: string; detail: { reason?: string } }> }>(
        `/api/v1/documents/${original.id}/timeline`,
      ),
      'timeline',
    );
    const recall = timeline.events.find((e) => e.action === 'document.recalled');
    expect(recall?.detail.reason).to.include(replacement.number!);
  });

  it('refuses what the lifecycle does not allow, and changes nothing', async () => {
    const office = await officeOf(system, 'badinh');
    const city = await unitId(system, 'Thành ủy Hà Nội');
    const create = (extra: Record<string, unknown>) =>
      office.drafter.post<{ id: string; detail?: string; field?: string }>('/api/v1/documents', {
        type: 'CV',
        subject: 'Về việc báo cáo',
        body: ['Đề nghị báo cáo.'],
        signer: { personId: office.signerId },
        ...extra,
      });
    const unknownUnit = await create({ recipients: [{ kind: 'unit', unitId: 987_654 }] });
    expect(unknownUnit.status).to.equal(400);
    expect(unknownUnit.body.field).to.equal('body.recipients.0.unitId');
    const nobody = await create({
      recipients: [
        { kind: 'units_under', unitId: await unitId(system, 'Chi bộ Tổ dân phố số 1'), unitKind: 'branch' },
      ],
    });
    expect(nobody.status).to.equal(400);
    expect(nobody.body.detail).to.include('reaches nobody');
    const notSigner = await create({ signer: { personId: await personId(system, 'bithu.tu') } });
    expect(notSigner.status).to.equal(400);
    expect(notSigner.body.field).to.equal('body.signer.personId');
    const attachment = await office.drafter.request<{ status: number; detail: string }>(
      'POST',
      '/api/v1/attachments',
      {
        body: 'this is not a PDF at all',
        headers: { 'content-type': 'application/pdf' },
      },
    );
    expect(attachment.status).to.equal(400);
    expect(attachment.body.detail).to.include('not a usable PDF');

    const draft = expectOk(await create({ recipients: [{ kind: 'unit', unitId: city }] }), 'create');
    expect(
      (await office.clerk.post(`/api/v1/documents/${draft.id}/recall`, { reason: 'x' })).status,
    ).to.equal(409);
    expect(
      (await office.signer.post(`/api/v1/documents/${draft.id}/signature`, { passphrase: 'vanthu-demo' }))
        .status,
    ).to.equal(409);
    expect(
      (await office.clerk.post(`/api/v1/documents/${draft.id}/issue`, { passphrase: 'vanthu-demo' })).status,
    ).to.equal(409);
    const [events] = await system.sequelize.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM audit_event WHERE document_id = $1',
      { bind: [draft.id], type: QueryTypes.SELECT },
    );
    expect(events!.n).to.equal(1);
  });
});
