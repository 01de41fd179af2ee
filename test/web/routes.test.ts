/**
 * The api routes the web pages added (api/routes/web-*.ts), against the real system:
 * every answer matches the schema the api publishes in /openapi.json; the live preview is
 * a real PDF of what was typed and stores nothing; the content route's ETag is the one an
 * edit needs; the outgoing and incoming registers carry the columns of Nghị định 30/2020;
 * the public verification routes need no session, refuse what is not a PDF or too large,
 * keep nothing, and show only issued documents. Who may call each route is the access
 * test's (test/api/access.test.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { API_PREFIX } from '../../api/openapi';
import { ApiClient, type ApiResponse } from '../support/http';
import {
  type DocumentState,
  expectOk,
  issueDocument,
  officeOf,
  personId,
  unitId,
} from '../support/lifecycle';
import { type TestSystem, testSystem } from '../support/system';

const run = promisify(execFile);
type Json = Record<string, unknown>;

describe('web: the api routes of the web pages', function () {
  this.timeout(120_000);
  let system: TestSystem;
  let openapi: Json;
  let dir: string;
  let issued: DocumentState;
  let branchClient: ApiClient;
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));

  /** Fails unless the answer matches the schema published for this route and status. */
  function conforms(response: ApiResponse, method: string, route: string): void {
    const paths = openapi.paths as Record<string, Record<string, Json>>;
    const operation = paths[`${API_PREFIX}${route}`]?.[method];
    expect(operation, `${method} ${route} is published`).to.be.an('object');
    const spec = (operation!.responses as Record<string, Json>)[String(response.status)];
    expect(
      spec,
      `${method} ${route} ${response.status} is documented: ${JSON.stringify(response.body)}`,
    ).to.be.an('object');
    // A file answer (the preview PDF) publishes no schema, so nothing more to compare.
    if (!spec!.content) return;
    const [type, media] = Object.entries(spec!.content as Record<string, { schema: Json }>)[0]!;
    expect(response.headers.get('content-type')).to.include(type);
    if (!type.includes('json')) return;
    const validate = ajv.compile({ ...media.schema, components: openapi.components });
    expect(validate(response.body), `${method} ${route}: ${ajv.errorsText(validate.errors)}`).to.equal(true);
  }

  before(async function () {
    this.timeout(300_000);
    system = await testSystem();
    openapi = (await (await fetch(`${system.baseUrl}/openapi.json`)).json()) as Json;
    dir = mkdtempSync(path.join(tmpdir(), 'vanthu-web-routes-'));
    const ward = await unitId(system, 'Đảng ủy phường Kim Mã');
    issued = await issueDocument(await officeOf(system, 'badinh'), {
      type: 'KH',
      subject: 'Kế hoạch kiểm tra sổ văn bản (web routes test)',
      recipients: [{ kind: 'units_under', unitId: ward, unitKind: 'branch' }],
    });
    branchClient = await new ApiClient(system.baseUrl).signIn('dangvien.kimma1.1');
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('renders the live preview of what was typed, stores nothing, and names the field at fault', async () => {
    const drafter = await new ApiClient(system.baseUrl).signIn('chuyenvien.hoankiem');
    const [before] = await system.sequelize.query<{ documents: number; blobs: number }>(
      'SELECT (SELECT count(*)::int FROM document) AS documents, (SELECT count(*)::int FROM blob) AS blobs',
      { type: QueryTypes.SELECT },
    );
    const preview = await drafter.post<Uint8Array>('/api/v1/documents/preview', {
      type: 'NQ',
      urgency: 'khan',
      subject: 'Về xây dựng tổ chức cơ sở đảng trong sạch, vững mạnh',
      body: ['Quận ủy nghị quyết như sau.', { kind: 'heading', text: 'I. MỤC TIÊU' }],
      signer: { personId: await personId(system, 'bithu.hoankiem') },
    });
    conforms(preview, 'post', '/documents/preview');
    expect(preview.headers.get('content-type')).to.equal('application/pdf');
    expect(preview.headers.get('x-page-count')).to.equal('1');
    const file = path.join(dir, 'preview.pdf');
    writeFileSync(file, preview.body);
    // What was typed decides the page: the type and the issuer in the number line. (Only ASCII is compared: which Vietnamese letters pdftotext gets back
    // depends on earlier renders in the process — a ToUnicode defect of render/ that is
    // reported, not this route's.)
    const { stdout } = await run('pdftotext', ['-layout', file, '-']);
    expect(stdout).to.match(/Số\s+-NQ\/QU/);
    const { stdout: fonts } = await run('pdffonts', [file]);
    expect(fonts).to.include('Tinos-Regular').and.include('Tinos-Bold');
    const { stdout: info } = await run('pdfinfo', [file]);
    expect(info).to.match(/Pages:\s+1\n/);
    const [after] = await system.sequelize.query<{ documents: number; blobs: number }>(
      'SELECT (SELECT count(*)::int FROM document) AS documents, (SELECT count(*)::int FROM blob) AS blobs',
      { type: QueryTypes.SELECT },
    );
    expect(after).to.deep.equal(before);

    const empty = await drafter.post<{ field: string }>('/api/v1/documents/preview', {
      type: 'NQ',
      subject: ' ',
      body: ['x'],
    });
    conforms(empty, 'post', '/documents/preview');
    expect(empty.body.field).to.equal('body.subject');
    const secret = await drafter.post('/api/v1/documents/preview', {
      type: 'NQ',
      subject: 'x',
      body: ['x'],
      secrecy: 'Tối mật',
    });
    expect(secret.status).to.equal(422);
    const elsewhere = await drafter.post('/api/v1/documents/preview', {
      type: 'NQ',
      subject: 'x',
      body: ['x'],
      issuingUnitId: await unitId(system, 'Quận ủy Ba Đình'),
    });
    expect(elsewhere.status).to.equal(404);
  });

  it('answers a document’s content with the ETag an edit needs, and what the caller may do', async () => {
    const office = await officeOf(system, 'hoankiem');
    const created = expectOk(
      await office.drafter.post<{ id: string }>('/api/v1/documents', {
        type: 'CV',
        subject: 'Về việc cử cán bộ dự tập huấn',
        body: ['Đề nghị các đơn vị cử cán bộ.'],
        signer: { personId: office.signerId },
      }),
      'create',
    );
    const content = await office.drafter.get<{
      version: number;
      actions: string[];
      content: { subject: string };
    }>(`/api/v1/documents/${created.id}/content`);
    conforms(content, 'get', '/documents/{id}/content');
    expect(content.body.actions).to.include.members(['edit', 'submit', 'cancel', 'timeline']);
    expect(content.body.content.subject).to.equal('Về việc cử cán bộ dự tập huấn');
    const document = await office.drafter.get(`/api/v1/documents/${created.id}`);
    expect(content.headers.get('etag')).to.equal(document.headers.get('etag'));
    const edited = await office.drafter.put(
      `/api/v1/documents/${created.id}/draft`,
      {
        subject: 'Về việc cử cán bộ dự tập huấn nghiệp vụ',
        body: ['Đề nghị các đơn vị cử cán bộ.'],
        signer: { personId: office.signerId },
      },
      { 'if-match': content.headers.get('etag')! },
    );
    expect(edited.status, JSON.stringify(edited.body)).to.equal(200);
    // The signer sees it once it is submitted to him, and may decide; the clerk may not edit.
    expectOk(await office.drafter.post(`/api/v1/documents/${created.id}/submit`, { version: 2 }), 'submit');
    const forSigner = await office.signer.get<{ actions: string[]; approval: unknown[] }>(
      `/api/v1/documents/${created.id}/content`,
    );
    expect(forSigner.body.actions).to.include('decide').and.not.include('sign');
    expect(forSigner.body.approval).to.have.length(1);
    const tasks = await office.signer.get<{ approve: Array<{ documentId: string }> }>('/api/v1/me/tasks');
    conforms(tasks, 'get', '/me/tasks');
    expect(tasks.body.approve.map((t) => t.documentId)).to.include(created.id);
    const notMine = await office.clerk.get<{ approve: Array<{ documentId: string }> }>('/api/v1/me/tasks');
    expect(notMine.body.approve.map((t) => t.documentId)).to.not.include(created.id);
  });

  it('lists a unit’s documents, its people and the document types', async () => {
    const clerk = await new ApiClient(system.baseUrl).signIn('vanthu.badinh');
    const district = await unitId(system, 'Quận ủy Ba Đình');
    const list = await clerk.get<{ items: Array<{ id: string; number: string | null }> }>(
      `/api/v1/org-units/${district}/documents?q=${encodeURIComponent('sổ văn bản (web routes')}`,
    );
    conforms(list, 'get', '/org-units/{id}/documents');
    expect(list.body.items.map((d) => d.id)).to.deep.equal([issued.id]);
    const page1 = await clerk.get<{ items: unknown[]; nextCursor: string }>(
      `/api/v1/org-units/${district}/documents?limit=1`,
    );
    if (page1.body.nextCursor) {
      const page2 = await clerk.get<{ items: Array<{ id: string }> }>(
        `/api/v1/org-units/${district}/documents?limit=1&cursor=${page1.body.nextCursor}`,
      );
      expect(page2.body.items[0]?.id).to.not.equal((page1.body.items[0] as { id: string }).id);
    }
    const people = await clerk.get<{ items: Array<{ fullName: string; roles: Array<{ role: string }> }> }>(
      `/api/v1/org-units/${district}/people?role=signer`,
    );
    conforms(people, 'get', '/org-units/{id}/people');
    expect(people.body.items).to.have.length(2);
    expect(people.body.items.every((p) => p.roles.some((r) => r.role === 'signer'))).to.equal(true);
    const types = await clerk.get<{ items: Array<{ code: string; party: string | null }> }>(
      '/api/v1/document-types',
    );
    conforms(types, 'get', '/document-types');
    expect(types.body.items.find((t) => t.code === 'CT')?.party).to.equal('CT');
  });

  it('keeps the outgoing and incoming registers with the columns of Nghị định 30/2020', async () => {
    const clerk = await new ApiClient(system.baseUrl).signIn('vanthu.badinh');
    const district = await unitId(system, 'Quận ủy Ba Đình');
    const outgoing = await clerk.get<{
      direction: string;
      items: Array<{
        number: string;
        documentId: string;
        typeName: string;
        signer: string;
        recipients: string[];
        copies: number;
      }>;
    }>(`/api/v1/org-units/${district}/registers/outgoing`);
    conforms(outgoing, 'get', '/org-units/{id}/registers/{direction}');
    const entry = outgoing.body.items.find((e) => e.documentId === issued.id);
    expect(entry).to.include({ number: issued.number, typeName: 'Kế hoạch', copies: 3 });
    expect(entry!.signer).to.be.a('string').and.not.equal('');
    expect(entry!.recipients).to.deep.equal(['Các chi bộ trực thuộc Đảng ủy phường Kim Mã']);

    const branch = (await branchClient.get<{ person: { homeUnitId: number } }>('/api/v1/session')).body.person
      .homeUnitId;
    const inbox = await branchClient.get<{ items: Array<{ id: number; documentId: string }> }>(
      `/api/v1/org-units/${branch}/inbox`,
    );
    const delivery = inbox.body.items.find((d) => d.documentId === issued.id)!;
    const received = expectOk(
      await branchClient.post<{ incomingNumber: string }>(`/api/v1/deliveries/${delivery.id}/receive`, {}),
      'receive',
    );
    const incoming = await branchClient.get<{
      items: Array<{
        documentId: string;
        incomingNumber: string;
        documentNumber: string;
        issuer: string;
        receivedBy: string;
      }>;
    }>(`/api/v1/org-units/${branch}/registers/incoming`);
    conforms(incoming, 'get', '/org-units/{id}/registers/{direction}');
    expect(incoming.body.items.find((e) => e.documentId === issued.id)).to.deep.include({
      incomingNumber: received.incomingNumber,
      documentNumber: issued.number,
      issuer: 'Quận ủy Ba Đình',
    });
    // A plain member of the branch does not read its registers.
    const member = await new ApiClient(system.baseUrl).signIn('dangvien.kimma1.2');
    expect((await member.get(`/api/v1/org-units/${branch}/registers/incoming`)).status).to.equal(403);
  });

  it('forecasts the next number for the clerk, and reports the signatures of the document', async () => {
    const clerk = await new ApiClient(system.baseUrl).signIn('vanthu.badinh');
    const signatures = await clerk.get<{
      pdf: string;
      report: { verdict: string; signatures: Array<{ padesLevel: string }> };
    }>(`/api/v1/documents/${issued.id}/signatures`);
    conforms(signatures, 'get', '/documents/{id}/signatures');
    expect(signatures.body.pdf).to.equal('issued');
    expect(signatures.body.report.verdict).to.equal('valid');
    expect(signatures.body.report.signatures.map((s) => s.padesLevel).slice(0, 2)).to.deep.equal([
      'B-LTA',
      'B-LTA',
    ]);
    // The forecast for an issued document's type is the number after it (the register counts per type).
    const next = await clerk.get<{ number: string; sequence: number }>(
      `/api/v1/documents/${issued.id}/next-number`,
    );
    expect(next.status, JSON.stringify(next.body)).to.equal(200);
    conforms(next, 'get', '/documents/{id}/next-number');
    expect(next.body.sequence).to.equal(Number(issued.number!.split('-')[0]) + 1);
  });

  it('verifies a PDF for anyone, keeps nothing, and refuses what is not a PDF or too large', async () => {
    const anyone = new ApiClient(system.baseUrl);
    const pdf = (await branchClient.get<Uint8Array>(`/api/v1/documents/${issued.id}/pdf`)).body;
    const [blobs] = await system.sequelize.query<{ n: number }>('SELECT count(*)::int AS n FROM blob', {
      type: QueryTypes.SELECT,
    });
    const good = await anyone.request<{
      report: { verdict: string };
      document: { id: string; number: string };
    }>('POST', '/api/v1/verify', { body: pdf, headers: { 'content-type': 'application/pdf' } });
    conforms(good, 'post', '/verify');
    expect(good.body.report.verdict).to.equal('valid');
    expect(good.body.document).to.include({ id: issued.id, number: issued.number });

    const tampered = Buffer.from(pdf);
    const at = tampered.indexOf('/Type /Page') + 3;
    tampered[at] = tampered[at]! ^ 0x01;
    const bad = await anyone.request<{ report: { verdict: string }; document: null }>(
      'POST',
      '/api/v1/verify',
      {
        body: tampered,
        headers: { 'content-type': 'application/pdf' },
      },
    );
    conforms(bad, 'post', '/verify');
    expect(bad.body.report.verdict).to.equal('invalid');
    expect(bad.body.document).to.equal(null);
    const [after] = await system.sequelize.query<{ n: number }>('SELECT count(*)::int AS n FROM blob', {
      type: QueryTypes.SELECT,
    });
    expect(after!.n).to.equal(blobs!.n);

    const text = await anyone.request('POST', '/api/v1/verify', {
      body: 'xin chào',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).to.equal(415);
    const garbage = await anyone.request<{ detail: string }>('POST', '/api/v1/verify', {
      body: 'đây không phải PDF',
      headers: { 'content-type': 'application/pdf' },
    });
    expect(garbage.status).to.equal(400);
    expect(garbage.body.detail).to.match(/cannot be verified/);
    const huge = await anyone.request('POST', '/api/v1/verify', {
      body: new Uint8Array(21 * 1024 * 1024),
      headers: { 'content-type': 'application/pdf' },
    });
    expect(huge.status).to.equal(413);
  });

  it('shows the public page of an issued document to anyone, and nothing of a draft', async () => {
    const anyone = new ApiClient(system.baseUrl);
    const page = await anyone.get<{
      number: string;
      subject: string;
      recalled: boolean;
      report: { verdict: string };
    }>(`/api/v1/public/documents/${issued.id}`);
    conforms(page, 'get', '/public/documents/{id}');
    expect(page.body).to.include({
      number: issued.number,
      subject: 'Kế hoạch kiểm tra sổ văn bản (web routes test)',
      recalled: false,
    });
    expect(page.body.report.verdict).to.equal('valid');
    const office = await officeOf(system, 'badinh');
    const draft = expectOk(
      await office.drafter.post<{ id: string }>('/api/v1/documents', {
        type: 'TB',
        subject: 'Bản nháp riêng',
        body: ['x'],
      }),
      'draft',
    );
    const hidden = await anyone.get(`/api/v1/public/documents/${draft.id}`);
    conforms(hidden, 'get', '/public/documents/{id}');
    expect(hidden.status).to.equal(404);
  });
});
