import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { DEMO_PASSWORD } from '../../db/seed';
import { ApiClient } from '../support/http';
import { type TestSystem, testSystem } from '../support/system';

const run = promisify(execFile);

interface State {
  id: string;
  status: string;
  version: number;
  sha256: string;
}

async function personId(system: TestSystem, username: string): Promise<number> {
  const [row] = await system.sequelize.query<{ id: number }>('SELECT id FROM person WHERE username = $1', {
    bind: [username],
    type: QueryTypes.SELECT,
  });
  return row!.id;
}

async function unitId(system: TestSystem, name: string): Promise<number> {
  const [row] = await system.sequelize.query<{ id: number }>('SELECT id FROM org_unit WHERE name = $1', {
    bind: [name],
    type: QueryTypes.SELECT,
  });
  return row!.id;
}

async function waitForStatus(client: ApiClient, id: string, status: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const read = await client.get<{ status: string }>(`/api/v1/documents/${id}`);
    if (read.body.status === status) return;
    await sleep(100);
  }
  throw new Error(`document ${id} never reached ${status}`);
}

describe('lifecycle: a directive from draft to the branches and back', function () {
  this.timeout(120_000);
  let system: TestSystem;
  let dir: string;
  let drafter: ApiClient;
  let chief: ApiClient;
  let secretary: ApiClient;
  let clerk: ApiClient;

  before(async () => {
    system = await testSystem();
    dir = mkdtempSync(path.join(tmpdir(), 'vanthu-lifecycle-'));
    drafter = await new ApiClient(system.baseUrl).signIn('chuyenvien.tu');
    chief = await new ApiClient(system.baseUrl).signIn('chanhvanphong.tu');
    secretary = await new ApiClient(system.baseUrl).signIn('bithu.tu');
    clerk = await new ApiClient(system.baseUrl).signIn('vanthu.tu');
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('drafts, approves in two steps, signs, issues with a number and seal, and dispatches', async () => {
    const city = await unitId(system, 'Thành ủy Hà Nội');
    const ward = await unitId(system, 'Đảng ủy phường Phúc Xá');
    const signer = await personId(system, 'bithu.tu');
    const created = await drafter.post<State>('/api/v1/documents', {
      type: 'CT',
      subject: 'Về tăng cường công tác chuyển đổi số trong các cơ quan Đảng',
      body: ['Thực hiện Nghị quyết số 57-NQ/TW của Bộ Chính trị …', { kind: 'heading', text: 'I. NHIỆM VỤ' }],
      urgency: 'khan',
      recipients: [
        { kind: 'units_under', unitId: city, unitKind: 'branch' },
        { kind: 'members_under', unitId: ward },
      ],
      signer: { personId: signer, authority: 'TM' },
      responseDue: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const id = created.body.id;

    // An edit needs the ETag of the version it started from.
    const read = await drafter.get(`/api/v1/documents/${id}`);
    const etag = read.headers.get('etag')!;
    expect(etag).to.match(/^"/);
    const edited = await drafter.request<State>('PUT', `/api/v1/documents/${id}/draft`, {
      body: JSON.stringify({
        subject: 'Về tăng cường công tác chuyển đổi số trong các cơ quan Đảng',
        body: [
          'Thực hiện Nghị quyết số 57-NQ/TW của Bộ Chính trị về đột phá phát triển khoa học, công nghệ.',
        ],
        recipients: [
          { kind: 'units_under', unitId: city, unitKind: 'branch' },
          { kind: 'members_under', unitId: ward },
        ],
        signer: { personId: signer, authority: 'TM' },
      }),
      headers: { 'content-type': 'application/json', 'if-match': etag },
    });
    expect(edited.status, JSON.stringify(edited.body)).to.equal(200);
    expect(edited.body.version).to.equal(2);
    const stale = await drafter.request('PUT', `/api/v1/documents/${id}/draft`, {
      body: JSON.stringify({ subject: 'x', body: ['y'] }),
      headers: { 'content-type': 'application/json', 'if-match': etag },
    });
    expect(stale.status).to.equal(412);

    const chiefId = await personId(system, 'chanhvanphong.tu');
    const submitted = await drafter.post<State>(`/api/v1/documents/${id}/submit`, {
      version: 2,
      approval: [
        { label: 'Chánh Văn phòng thẩm định', approvers: [chiefId] },
        { label: 'Bí thư duyệt ký', approvers: [signer] },
      ],
    });
    expect(submitted.body.status, JSON.stringify(submitted.body)).to.equal('in_review');

    // The signer cannot decide before the first step closes; the chief cannot decide on a stale version.
    expect(
      (await secretary.post(`/api/v1/documents/${id}/decision`, { decision: 'approve', version: 2 })).status,
    ).to.equal(403);
    expect(
      (await chief.post(`/api/v1/documents/${id}/decision`, { decision: 'approve', version: 1 })).status,
    ).to.equal(409);
    const first = await chief.post<State>(`/api/v1/documents/${id}/decision`, {
      decision: 'approve',
      version: 2,
    });
    expect(first.body.status).to.equal('in_review');
    const twice = await chief.post<{ detail: string }>(`/api/v1/documents/${id}/decision`, {
      decision: 'approve',
      version: 2,
    });
    expect(twice.status).to.equal(403);
    const approved = await secretary.post<State>(`/api/v1/documents/${id}/decision`, {
      decision: 'approve',
      version: 2,
    });
    expect(approved.body.status, JSON.stringify(approved.body)).to.equal('approved');

    // Issuing before signing is refused; a wrong passphrase changes nothing.
    expect(
      (await clerk.post(`/api/v1/documents/${id}/issue`, { passphrase: DEMO_PASSWORD })).status,
    ).to.equal(409);
    expect(
      (await secretary.post(`/api/v1/documents/${id}/signature`, { passphrase: 'sai' })).status,
    ).to.equal(403);
    const signed = await secretary.post<State>(`/api/v1/documents/${id}/signature`, {
      passphrase: DEMO_PASSWORD,
    });
    expect(signed.body.status, JSON.stringify(signed.body)).to.equal('signed');

    const issued = await clerk.post<State>(`/api/v1/documents/${id}/issue`, { passphrase: DEMO_PASSWORD });
    expect(issued.body.status, JSON.stringify(issued.body)).to.equal('issued');
    await waitForStatus(clerk, id, 'dispatched');

    const doc = await clerk.get<{ number: string }>(`/api/v1/documents/${id}`);
    expect(doc.body.number).to.match(/^\d{2}-CT\/TU$/);

    // The issued PDF: both signatures valid and trusted in poppler's eyes.
    const pdf = await clerk.get<Uint8Array>(`/api/v1/documents/${id}/pdf`);
    expect(pdf.status).to.equal(200);
    const file = path.join(dir, 'issued.pdf');
    writeFileSync(file, pdf.body);
    const { stdout } = await run('pdfsig', [file]).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
    expect(stdout.match(/Signature Validation: Signature is Valid/g) ?? []).to.have.length.greaterThanOrEqual(
      2,
    );
    const { stdout: text } = await run('pdftotext', ['-layout', file, '-']);
    expect(text).to.include('CHỈ THỊ');
    expect(text).to.include(doc.body.number.split('-')[0]!);

    // Every branch got exactly one delivery.
    const [counts] = await system.sequelize.query<{ deliveries: number; branches: number }>(
      `SELECT (SELECT count(*)::int FROM delivery WHERE document_id = $1) AS deliveries,
              (SELECT count(*)::int FROM org_unit WHERE kind = 'branch') AS branches`,
      { bind: [id], type: QueryTypes.SELECT },
    );
    expect(counts!.deliveries).to.equal(counts!.branches);

    // The drafter and the signer hear that it went out.
    const told = await system.sequelize.query<{ username: string }>(
      `SELECT p.username FROM notification n JOIN person p ON p.id = n.recipient_person_id
        WHERE n.document_id = $1 AND n.kind = 'dispatched' ORDER BY p.username`,
      { bind: [id], type: QueryTypes.SELECT },
    );
    expect(told.map((t) => t.username)).to.deep.equal(['bithu.tu', 'chuyenvien.tu']);

    // Other systems hear of it: the events are in the webhook outbox, once each.
    const events = await system.sequelize.query<{ type: string; n: number }>(
      'SELECT type, count(*)::int AS n FROM webhook_event WHERE document_id = $1 GROUP BY type ORDER BY type',
      { bind: [id], type: QueryTypes.SELECT },
    );
    expect(events).to.deep.equal([
      { type: 'delivery.delivered', n: 1 },
      { type: 'document.issued', n: 1 },
    ]);
  });

  it('refuses a submission that could not go anywhere, naming the field, and leaves the draft as it was', async () => {
    const chiefId = await personId(system, 'chanhvanphong.tu');
    const unsigned = await drafter.post<State>('/api/v1/documents', {
      type: 'CV',
      subject: 'Về việc chưa chọn người ký',
      body: ['Nội dung.'],
    });
    expect(unsigned.status, JSON.stringify(unsigned.body)).to.equal(201);
    const noSigner = await drafter.post<{ field: string; detail: string }>(
      `/api/v1/documents/${unsigned.body.id}/submit`,
      { version: 1 },
    );
    expect(noSigner.status, JSON.stringify(noSigner.body)).to.equal(400);
    expect(noSigner.body.field).to.equal('body.signer');

    const signed = await drafter.post<State>('/api/v1/documents', {
      type: 'CV',
      subject: 'Về việc chuỗi duyệt không hợp lệ',
      body: ['Nội dung.'],
      signer: { personId: await personId(system, 'bithu.tu'), authority: 'TM' },
    });
    // Two approvals asked of one approver: the workflow refuses it, and the api says why.
    const impossible = await drafter.post<{ detail: string }>(`/api/v1/documents/${signed.body.id}/submit`, {
      version: 1,
      approval: [{ label: 'Thẩm định', approvers: [chiefId], required: 2 }],
    });
    expect(impossible.status, JSON.stringify(impossible.body)).to.equal(400);
    expect(impossible.body.detail).to.match(
      /approval\.0\.required: required must be between 1 and the 1 approvers/,
    );
    for (const id of [unsigned.body.id, signed.body.id]) {
      expect((await drafter.get<State>(`/api/v1/documents/${id}`)).body.status).to.equal('draft');
    }
  });
});
