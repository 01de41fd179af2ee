import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { DOCUMENT_WORKFLOW, documentWorkflowId, stateQuery } from '../../workflows/definitions';
import { ApiClient } from '../support/http';
import { type TestSystem, testSystem } from '../support/system';

interface Created {
  id: string;
  status: string;
  version: number;
  sha256: string;
  workflowId: string;
}

describe('api: drafting a directive (walking skeleton)', () => {
  let system: TestSystem;
  let drafter: ApiClient;

  before(async () => {
    system = await testSystem();
    drafter = await new ApiClient(system.baseUrl).signIn('chuyenvien.tu');
  });

  async function count(table: string): Promise<number> {
    const [row] = await system.sequelize.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`, {
      type: QueryTypes.SELECT,
    });
    return row!.n;
  }

  const directive = {
    type: 'CT',
    subject: 'Về việc tăng cường công tác chuyển đổi số trong các cơ quan Đảng',
    body: ['Thực hiện Nghị quyết số 57-NQ/TW …', 'Các cấp ủy, tổ chức đảng chỉ đạo …'],
    urgency: 'khan',
  };

  it('starts the document workflow and stores the draft, its version and the audit entry', async () => {
    const response = await drafter.post<Created>('/api/v1/documents', directive);
    expect(response.status).to.equal(201);
    const created = response.body;
    expect(created).to.include({ status: 'draft', version: 1 });
    expect(created.sha256).to.match(/^[0-9a-f]{64}$/);
    expect(created.workflowId).to.equal(`document-${created.id}`);
    expect(response.headers.get('location')).to.equal(`/api/v1/documents/${created.id}`);

    // The status is read back from the database read model…
    const read = await drafter.get<{ status: string; subject: string; versions: { sha256: string }[] }>(
      `/api/v1/documents/${created.id}`,
    );
    expect(read.status).to.equal(200);
    expect(read.body).to.include({ status: 'draft', subject: directive.subject });
    expect(read.body.versions.map((v) => v.sha256)).to.deep.equal([created.sha256]);

    // …the timeline from the audit log…
    const timeline = await drafter.get<{ events: { action: string; versionSha256: string }[] }>(
      `/api/v1/documents/${created.id}/timeline`,
    );
    expect(timeline.body.events).to.have.length(1);
    expect(timeline.body.events[0]).to.include({ action: 'document.created', versionSha256: created.sha256 });

    // …and the workflow is running under its id and knows the same state.
    const handle = system.temporal.workflow.getHandle(documentWorkflowId(created.id));
    const description = await handle.describe();
    expect(description.type).to.equal(DOCUMENT_WORKFLOW);
    expect(description.status.name).to.equal('RUNNING');
    expect(await handle.query(stateQuery)).to.deep.include({
      id: created.id,
      status: 'draft',
      sha256: created.sha256,
    });
  });

  it('refuses a second start for the same document, through the api and through Temporal', async () => {
    const id = randomUUID();
    expect((await drafter.post('/api/v1/documents', { ...directive, id })).status).to.equal(201);
    const again = await drafter.post<{ detail: string; field: string }>('/api/v1/documents', {
      ...directive,
      id,
    });
    expect(again.status).to.equal(409);
    expect(again.body).to.include({ detail: `document ${id} already exists`, field: 'body.id' });

    const direct = await system.temporal.workflow
      .start(DOCUMENT_WORKFLOW, {
        workflowId: documentWorkflowId(id),
        taskQueue: system.taskQueue,
        args: [{}],
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(direct).to.be.instanceOf(WorkflowExecutionAlreadyStartedError);
    const [row] = await system.sequelize.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM audit_event WHERE document_id = :id',
      { replacements: { id }, type: QueryTypes.SELECT },
    );
    expect(row!.n).to.equal(1);
  });

  it('keeps an attached PDF byte for byte and serves it under its hash with its Vietnamese file name', async () => {
    const pdf = readFileSync(path.join(__dirname, '..', 'fixtures', 'minimal.pdf'));
    const uploaded = await drafter.request<{ sha256: string }>('POST', '/api/v1/attachments', {
      body: pdf,
      headers: { 'content-type': 'application/pdf' },
    });
    expect(uploaded.status).to.equal(201);
    expect(uploaded.body.sha256).to.equal(createHash('sha256').update(pdf).digest('hex'));
    const created = await drafter.post<Created>('/api/v1/documents', {
      ...directive,
      attachments: [{ sha256: uploaded.body.sha256, fileName: 'Phụ lục 1 – danh sách.pdf' }],
    });
    expect(created.status).to.equal(201);

    const url = `/api/v1/documents/${created.body.id}/attachments/${uploaded.body.sha256}`;
    const download = await drafter.request<Uint8Array>('GET', url);
    expect(download.status).to.equal(200);
    expect(Buffer.from(download.body).equals(pdf)).to.equal(true);
    expect(download.headers.get('content-disposition')).to.equal(
      `attachment; filename*=UTF-8''${encodeURIComponent('Phụ lục 1 – danh sách.pdf')}`,
    );
    // A blob that exists but is not attached to this document is not served through it.
    const other = await drafter.post<Created>('/api/v1/documents', directive);
    const elsewhere = await drafter.request(
      'GET',
      `/api/v1/documents/${other.body.id}/attachments/${uploaded.body.sha256}`,
    );
    expect(elsewhere.status).to.equal(404);
  });

  describe('bad input', () => {
    const problems: Array<[string, unknown, string, string | undefined]> = [
      [
        'an unknown field',
        { ...directive, colour: 'red' },
        'body.colour: unknown field "colour"',
        'body.colour',
      ],
      ['a wrong type', { ...directive, subject: 12 }, 'expected string, received number', 'body.subject'],
      ['a missing field', { type: 'CT', body: ['x'] }, 'body.subject', 'body.subject'],
      ['an empty body', { ...directive, body: [] }, 'needs at least one paragraph', 'body.body'],
      ['an unknown urgency', { ...directive, urgency: 'gấp' }, 'body.urgency', 'body.urgency'],
      ['an unknown type', { ...directive, type: 'XX' }, 'unknown document type "XX"', 'body.type'],
      ['an id that is not a UUID', { ...directive, id: '42' }, 'must be a UUID', 'body.id'],
      [
        'a unit that does not exist',
        { ...directive, issuingUnitId: 999_999 },
        'unit 999999 does not exist',
        'body.issuingUnitId',
      ],
    ];
    for (const [what, body, detail, field] of problems) {
      it(`answers 400 naming the field for ${what}, and stores nothing`, async () => {
        const before = await count('document');
        const response = await drafter.post<{ detail: string; field?: string; status: number }>(
          '/api/v1/documents',
          body,
        );
        expect(response.status).to.equal(400);
        expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
        expect(response.body.detail).to.include(detail);
        expect(response.body.field).to.equal(field);
        expect(await count('document')).to.equal(before);
      });
    }

    it('answers 400 for malformed JSON and 415 for a form post', async () => {
      const malformed = await drafter.request<{ detail: string }>('POST', '/api/v1/documents', {
        body: '{"type": "CT",',
        headers: { 'content-type': 'application/json' },
      });
      expect(malformed.status).to.equal(400);
      expect(malformed.body.detail).to.equal('the request body is not valid JSON');
      const form = await drafter.request('POST', '/api/v1/documents', {
        body: 'type=CT',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(form.status).to.equal(415);
    });

    it('refuses a secret document and keeps nothing of it', async () => {
      const before = { documents: await count('document'), audit: await count('audit_event') };
      const response = await drafter.post<{ detail: string }>('/api/v1/documents', {
        ...directive,
        secrecy: 'Tuyệt mật',
      });
      expect(response.status).to.equal(422);
      expect(response.body.detail).to.include('secret documents must not enter this system');
      expect(await count('document')).to.equal(before.documents);
      expect(await count('audit_event')).to.equal(before.audit);
    });

    it('answers 404 for unknown ids and 400 for ids that are not ids', async () => {
      expect((await drafter.get(`/api/v1/documents/${randomUUID()}`)).status).to.equal(404);
      expect((await drafter.get(`/api/v1/documents/${randomUUID()}/timeline`)).status).to.equal(404);
      const bad = await drafter.get<{ field: string }>('/api/v1/documents/not-an-id');
      expect(bad.status).to.equal(400);
      expect(bad.body.field).to.equal('path.id');
      expect((await drafter.get('/api/v1/nothing-here')).status).to.equal(404);
    });

    it('answers 401 without a session and for a wrong password', async () => {
      const anonymous = new ApiClient(system.baseUrl);
      expect((await anonymous.post('/api/v1/documents', directive)).status).to.equal(401);
      expect(
        (await anonymous.post('/api/v1/session', { username: 'chuyenvien.tu', password: 'sai' })).status,
      ).to.equal(401);
    });

    it("hides another unit's document (404, not 403)", async () => {
      const created = await drafter.post<Created>('/api/v1/documents', directive);
      const ward = await new ApiClient(system.baseUrl).signIn('vanthu.phucxa');
      expect((await ward.get(`/api/v1/documents/${created.body.id}`)).status).to.equal(404);
      expect((await ward.post('/api/v1/documents', { ...directive, issuingUnitId: 1 })).status).to.equal(403);
    });
  });
});
