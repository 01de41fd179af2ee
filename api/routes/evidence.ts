/**
 * An auditor's evidence for one document, as a zip anyone can check without vanthu: the
 * official PDF, its signature verification (report and summary), its audit entries with
 * their hashes and chain positions, the workflow history as Temporal recorded it, and a
 * manifest with the SHA-256 of every file.
 */
import { createHash } from 'node:crypto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { strToU8, zipSync } from 'fflate';
import { QueryTypes } from 'sequelize';
import { getBlob } from '../../db/blobs';
import { DomainError } from '../../domain/errors';
import { formatVerificationSummary, verifyPdf } from '../../pki/verify';
import { documentWorkflowId } from '../../workflows/definitions';
import { assertDocumentVisible, requireRole } from '../authorization';
import { defineRoute } from '../route';
import { documentIdParams, problem } from '../schemas';

const evidence = defineRoute({
  method: 'get',
  path: '/documents/:id/evidence',
  operationId: 'documentEvidence',
  summary: 'Evidence of one document as a zip: PDF, verification, audit entries, workflow history, manifest',
  tag: 'audit',
  access: { kind: 'role', roles: ['auditor'] },
  params: documentIdParams,
  responses: {
    200: { description: 'The zip', contentType: 'application/zip' },
    403: problem('Not an auditor of the issuing unit'),
    404: problem('No such document'),
  },
  accessExamples: {
    allow: ['auditor.city', 'auditor.district'],
    notFoundFor: ['auditor.otherDistrict'],
    request: async (f) => ({ path: `/documents/${(await f.documentAt('dispatched', true)).id}/evidence` }),
  },
  async handler({ actor, params, ctx, res }) {
    const document = await assertDocumentVisible(ctx.sequelize, actor, params.id);
    requireRole(actor, document.issuerPath, ['auditor'], 'export the evidence of this document');
    const [row] = await ctx.sequelize.query<{ sha256: string | null; number: string | null }>(
      `SELECT coalesce(issued_pdf_sha256, signed_pdf_sha256, approved_pdf_sha256) AS sha256, number
         FROM document WHERE id = $1`,
      { bind: [params.id], type: QueryTypes.SELECT },
    );
    const files: Record<string, Uint8Array> = {};
    if (row?.sha256) {
      const pdf = new Uint8Array(await getBlob(ctx.sequelize, row.sha256));
      files['document.pdf'] = pdf;
      const report = await verifyPdf(pdf, { trust: ctx.pki.trust, revocation: ctx.pki.revocation });
      files['verification.json'] = strToU8(`${JSON.stringify(report, null, 2)}\n`);
      files['verification.txt'] = strToU8(`${formatVerificationSummary(report, 'document.pdf')}\n`);
    }
    const entries = await ctx.sequelize.query(
      `SELECT id, chain, seq, at, actor_person_id, actor_unit_id, source, action, document_id, version_sha256,
              detail, idempotency_key, prev_hash, hash
         FROM audit_event WHERE document_id = $1 ORDER BY id`,
      { bind: [params.id], type: QueryTypes.SELECT },
    );
    files['audit-entries.json'] = strToU8(`${JSON.stringify(entries, null, 2)}\n`);
    try {
      const history = await ctx.temporal.workflow.getHandle(documentWorkflowId(params.id)).fetchHistory();
      files['workflow-history.json'] = strToU8(`${historyToJSON(history)}\n`);
    } catch (error) {
      throw new DomainError(
        'unavailable',
        `the workflow history cannot be read now: ${(error as Error).message}`,
      );
    }
    const manifest = {
      document: params.id,
      number: row?.number ?? null,
      exportedAt: new Date().toISOString(),
      exportedBy: actor.username,
      files: Object.entries(files).map(([name, bytes]) => ({
        name,
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      })),
      howToCheck: [
        'verification.txt: every signature of document.pdf, as vanthu verified it; check it again with `pdfsig`, `vanthu verify` or any PAdES validator',
        'audit-entries.json: each entry hash = SHA-256 of its canonical JSON with the previous hash of its chain (domain/audit-chain.ts)',
        'workflow-history.json: the Temporal history; replay it with the workflow code of this version',
      ],
    };
    files['manifest.json'] = strToU8(`${JSON.stringify(manifest, null, 2)}\n`);
    const zip = zipSync(files, { level: 6, mtime: new Date('2026-01-01T00:00:00Z') });
    const name = (row?.number ?? params.id).replace(/[^0-9A-Za-z-]+/g, '_');
    res
      .status(200)
      .type('application/zip')
      .set('Content-Disposition', `attachment; filename="evidence-${name}.zip"`)
      .send(Buffer.from(zip));
    return undefined;
  },
});

export const evidenceRoutes = [evidence];
