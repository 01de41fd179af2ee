import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from '@temporalio/worker';
import { expect } from 'chai';
import { auditEntryHash } from '../../domain/audit-chain';
import { WORKFLOWS_PATH, workflowBundlePath } from '../../runtime/workflow-bundle';
import { ApiClient } from '../support/http';
import { issueDocument, officeOf, unitId } from '../support/lifecycle';
import { type TestSystem, testSystem } from '../support/system';

const run = promisify(execFile);

describe("api: an auditor's evidence of one document", function () {
  this.timeout(120_000);
  let system: TestSystem;
  let dir: string;

  before(async () => {
    system = await testSystem();
    dir = mkdtempSync(path.join(tmpdir(), 'vanthu-evidence-'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('exports the PDF, its verification, its audit entries and workflow history, each checkable outside vanthu', async () => {
    const office = await officeOf(system, 'tu');
    const document = await issueDocument(office, {
      subject: 'Thông báo kết luận kiểm tra',
      recipients: [{ kind: 'unit', unitId: await unitId(system, 'Quận ủy Ba Đình') }],
    });
    const auditor = await new ApiClient(system.baseUrl).signIn('kiemtra.tu');
    const response = await auditor.get<Uint8Array>(`/api/v1/documents/${document.id}/evidence`);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('application/zip');
    const zip = path.join(dir, 'evidence.zip');
    writeFileSync(zip, response.body);
    await run('unzip', ['-q', zip, '-d', path.join(dir, 'x')]);
    const file = (name: string) => readFileSync(path.join(dir, 'x', name));

    // The manifest's hashes are those of the files.
    const manifest = JSON.parse(file('manifest.json').toString()) as {
      files: Array<{ name: string; sha256: string }>;
    };
    expect(manifest.files.map((f) => f.name).sort()).to.deep.equal([
      'audit-entries.json',
      'document.pdf',
      'verification.json',
      'verification.txt',
      'workflow-history.json',
    ]);
    for (const f of manifest.files) {
      expect(createHash('sha256').update(file(f.name)).digest('hex'), f.name).to.equal(f.sha256);
    }

    // The PDF: poppler sees both signatures valid; our report agrees.
    const { stdout } = await run('pdfsig', [path.join(dir, 'x', 'document.pdf')]).catch(
      (e: { stdout: string }) => e,
    );
    expect(stdout.match(/Signature is Valid/g) ?? []).to.have.length.greaterThanOrEqual(2);
    expect(file('verification.txt').toString()).to.include('HỢP LỆ');

    // Every audit entry's hash is what its fields and its predecessor's hash give.
    const entries = JSON.parse(file('audit-entries.json').toString()) as Array<Record<string, unknown>>;
    expect(entries.map((e) => e.action)).to.include.members([
      'document.created',
      'document.signed',
      'document.issued',
    ]);
    for (const e of entries) {
      const fields = {
        chain: Number(e.chain),
        seq: Number(e.seq),
        at: new Date(String(e.at)).toISOString(),
        actorPersonId: e.actor_person_id as number | null,
        actorUnitId: e.actor_unit_id as number | null,
        source: String(e.source),
        action: String(e.action),
        documentId: e.document_id as string | null,
        versionSha256: e.version_sha256 as string | null,
        detail: e.detail as Record<string, unknown>,
        idempotencyKey: e.idempotency_key as string | null,
      };
      expect(auditEntryHash(fields, String(e.prev_hash)), String(e.action)).to.equal(e.hash);
    }

    // The workflow history replays with this version's workflow code.
    const bundle = await workflowBundlePath(WORKFLOWS_PATH, path.join(tmpdir(), 'vanthu-test-cache'));
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: bundle } },
      JSON.parse(file('workflow-history.json').toString()),
      `document-${document.id}`,
    );

    // Someone who is not an auditor of the issuing unit gets nothing.
    const clerk = await new ApiClient(system.baseUrl).signIn('vanthu.tu');
    expect((await clerk.get(`/api/v1/documents/${document.id}/evidence`)).status).to.equal(403);
    const otherAuditor = await new ApiClient(system.baseUrl).signIn('kiemtra.hoankiem');
    expect((await otherAuditor.get(`/api/v1/documents/${document.id}/evidence`)).status).to.equal(404);
  });
});
