/**
 * Reading what a document became: its PDF (approved, signed or issued), the progress of
 * its dispatch over any subtree of recipients, uploads of attachments, and the notices
 * addressed to a member.
 */
import { QueryTypes } from 'sequelize';
import { z } from 'zod';
import { appendAudit } from '../../db/audit';
import { getBlob, putBlob } from '../../db/blobs';
import { DomainError } from '../../domain/errors';
import { isPkiError } from '../../pki/errors';
import { PdfReader } from '../../pki/pdf/reader';
import { assertDocumentVisible } from '../authorization';
import { MINIMAL_PDF } from '../example-pdf';
import { ACCESS_GROUPS, defineRoute, SIGNED_IN_PERSONAS } from '../route';
import { documentIdParams, problem } from '../schemas';

const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;

const pdf = defineRoute({
  method: 'get',
  path: '/documents/:id/pdf',
  operationId: 'getDocumentPdf',
  summary:
    'The document’s PDF: as issued (with number, date, both signatures), else as signed, else as approved',
  tag: 'documents',
  access: { kind: 'signed_in' },
  params: documentIdParams,
  responses: { 200: { description: 'The PDF', contentType: 'application/pdf' }, 404: problem('No PDF yet') },
  accessExamples: {
    allow: ACCESS_GROUPS.districtAndAbove,
    notFoundFor: ACCESS_GROUPS.belowOrBeside,
    request: async (f) => ({ path: `/documents/${(await f.documentAt('approved', true)).id}/pdf` }),
  },
  async handler({ actor, params, ctx, res }) {
    await assertDocumentVisible(ctx.sequelize, actor, params.id);
    const [row] = await ctx.sequelize.query<{ sha256: string | null; number: string | null }>(
      `SELECT coalesce(issued_pdf_sha256, signed_pdf_sha256, approved_pdf_sha256) AS sha256, number
         FROM document WHERE id = $1`,
      { bind: [params.id], type: QueryTypes.SELECT },
    );
    if (!row?.sha256) throw new DomainError('not_found', 'this document has no PDF until it is approved');
    const bytes = await getBlob(ctx.sequelize, row.sha256);
    const name = (row.number ?? params.id).replace(/[^0-9A-Za-z-]+/g, '_');
    res
      .status(200)
      .type('application/pdf')
      .set('Content-Disposition', `inline; filename="${name}.pdf"`)
      .set('ETag', `"${row.sha256}"`)
      .send(bytes);
    return undefined;
  },
});

const progressQuery = z.strictObject({
  under: z.coerce.number().int().positive().optional().describe('Only recipients under this unit'),
});

const progress = defineRoute({
  method: 'get',
  path: '/documents/:id/progress',
  operationId: 'getDispatchProgress',
  summary: 'Dispatch progress: counts by status, overdue, and which units are overdue (for any subtree)',
  tag: 'documents',
  access: { kind: 'signed_in' },
  params: documentIdParams,
  query: progressQuery,
  responses: {
    200: {
      description: 'Progress',
      schema: z.object({
        total: z.number(),
        byStatus: z.record(z.string(), z.number()),
        overdue: z.number(),
        overdueUnits: z.array(z.object({ id: z.number(), name: z.string(), status: z.string() })),
        children: z.array(
          z.object({
            id: z.number(),
            name: z.string(),
            total: z.number(),
            completed: z.number(),
            overdue: z.number(),
          }),
        ),
      }),
    },
    404: problem('No such document'),
  },
  accessExamples: {
    allow: ACCESS_GROUPS.districtAndAbove,
    notFoundFor: ACCESS_GROUPS.belowOrBeside,
    request: async (f) => ({ path: `/documents/${await f.districtDocument()}/progress` }),
  },
  async handler({ actor, params, query, ctx }) {
    const doc = await assertDocumentVisible(ctx.sequelize, actor, params.id);
    const [scope] = await ctx.sequelize.query<{ path: string }>('SELECT path FROM org_unit WHERE id = $1', {
      bind: [query.under ?? doc.issuingUnitId],
      type: QueryTypes.SELECT,
    });
    if (!scope) throw new DomainError('validation', `unit ${query.under} does not exist`, 'query.under');
    const prefix = query.under ? scope.path : '/';
    const open = `dl.status IN ('delivered','received','assigned','in_progress')`;
    const overdue = `(${open} AND d.response_due IS NOT NULL AND d.response_due < now())`;
    const counts = await ctx.sequelize.query<{ status: string; n: number }>(
      `SELECT dl.status, count(*)::int AS n FROM delivery dl JOIN org_unit u ON u.id = dl.recipient_unit_id
        WHERE dl.document_id = $1 AND u.path LIKE $2 || '%' GROUP BY dl.status`,
      { bind: [params.id, prefix], type: QueryTypes.SELECT },
    );
    const late = await ctx.sequelize.query<{ id: number; name: string; status: string }>(
      `SELECT u.id, u.name, dl.status FROM delivery dl JOIN org_unit u ON u.id = dl.recipient_unit_id
         JOIN document d ON d.id = dl.document_id
        WHERE dl.document_id = $1 AND u.path LIKE $2 || '%' AND ${overdue} ORDER BY u.id LIMIT 500`,
      { bind: [params.id, prefix], type: QueryTypes.SELECT },
    );
    // Drill-down: the same counts for each child of the scope (city → district → ward → branch).
    const children = await ctx.sequelize.query<{
      id: number;
      name: string;
      total: number;
      completed: number;
      overdue: number;
    }>(
      `SELECT c.id, c.name, count(dl.id)::int AS total,
              count(*) FILTER (WHERE dl.status = 'completed')::int AS completed,
              count(*) FILTER (WHERE ${overdue})::int AS overdue
         FROM org_unit c
         JOIN org_unit u ON u.path LIKE c.path || '%'
         JOIN delivery dl ON dl.recipient_unit_id = u.id AND dl.document_id = $1
         JOIN document d ON d.id = dl.document_id
        WHERE c.parent_id = $2
        GROUP BY c.id, c.name ORDER BY c.id`,
      { bind: [params.id, query.under ?? doc.issuingUnitId], type: QueryTypes.SELECT },
    );
    const byStatus = Object.fromEntries(counts.map((c) => [c.status, c.n]));
    const [overdueCount] = await ctx.sequelize.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM delivery dl JOIN org_unit u ON u.id = dl.recipient_unit_id
         JOIN document d ON d.id = dl.document_id
        WHERE dl.document_id = $1 AND u.path LIKE $2 || '%' AND ${overdue}`,
      { bind: [params.id, prefix], type: QueryTypes.SELECT },
    );
    return {
      status: 200,
      body: {
        total: counts.reduce((sum, c) => sum + c.n, 0),
        byStatus,
        overdue: overdueCount!.n,
        overdueUnits: late,
        children,
      },
    };
  },
});

const uploadAttachment = defineRoute({
  method: 'post',
  path: '/attachments',
  operationId: 'uploadAttachment',
  summary: 'Upload a PDF attachment (body: the PDF bytes); answers its SHA-256 for the draft',
  tag: 'documents',
  access: { kind: 'signed_in' },
  responses: {
    201: { description: 'Stored', schema: z.object({ sha256: z.string(), size: z.number() }) },
    400: problem('Not a valid PDF'),
    413: problem('Too large'),
    415: problem('Send application/pdf'),
  },
  accessExamples: {
    allow: SIGNED_IN_PERSONAS,
    request: () => ({ path: '/attachments', raw: { body: MINIMAL_PDF, contentType: 'application/pdf' } }),
  },
  async handler({ req, ctx }) {
    if (!req.is('application/pdf')) {
      throw Object.assign(new Error('send the attachment as application/pdf'), {
        status: 415,
        type: 'encoding.unsupported',
      });
    }
    const bytes = await readBody(req, MAX_ATTACHMENT_BYTES);
    try {
      const reader = PdfReader.open(bytes, { maxBytes: MAX_ATTACHMENT_BYTES });
      reader.catalog();
    } catch (error) {
      if (isPkiError(error))
        throw new DomainError('validation', `the attachment is not a usable PDF: ${error.message}`, 'body');
      throw error;
    }
    const sha256 = await putBlob(ctx.sequelize, bytes, 'application/pdf');
    return { status: 201, body: { sha256, size: bytes.length } };
  },
});

function readBody(req: import('express').Request, max: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(
          Object.assign(new Error(`the file is larger than ${max / 1024 / 1024} MB`), {
            status: 413,
            type: 'entity.too.large',
          }),
        );
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

const notices = defineRoute({
  method: 'get',
  path: '/me/notices',
  operationId: 'myNotices',
  summary: 'Documents addressed to me as a member (every member of my branch, ward, district…)',
  tag: 'deliveries',
  access: { kind: 'signed_in' },
  query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(30) }),
  responses: {
    200: {
      description: 'Newest first',
      schema: z.object({
        items: z.array(
          z.object({
            documentId: z.string(),
            number: z.string().nullable(),
            subject: z.string(),
            issuedAt: z.string().nullable(),
            readAt: z.string().nullable(),
          }),
        ),
      }),
    },
  },
  accessExamples: { allow: SIGNED_IN_PERSONAS, request: () => ({ path: '/me/notices' }) },
  async handler({ actor, query, ctx }) {
    const paths = actor.roles.map((r) => r.unitPath);
    const rows = await ctx.sequelize.query<{
      document_id: string;
      number: string | null;
      subject: string;
      issued_at: Date | null;
      read_at: Date | null;
    }>(
      `SELECT DISTINCT ON (d.issued_at, d.id) d.id AS document_id, d.number, d.subject, d.issued_at, r.read_at
         FROM document_audience a JOIN document d ON d.id = a.document_id
         LEFT JOIN member_read r ON r.document_id = d.id AND r.person_id = $2
        WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) AS p WHERE p LIKE a.unit_path || '%')
          AND d.status IN ('dispatched', 'closed')
        ORDER BY d.issued_at DESC, d.id LIMIT $3`,
      { bind: [paths, actor.personId, query.limit], type: QueryTypes.SELECT },
    );
    return {
      status: 200,
      body: {
        items: rows.map((r) => ({
          documentId: r.document_id,
          number: r.number,
          subject: r.subject,
          issuedAt: r.issued_at,
          readAt: r.read_at,
        })),
      },
    };
  },
});

const markNoticeRead = defineRoute({
  method: 'post',
  path: '/documents/:id/read',
  operationId: 'markRead',
  summary: 'A member has read a notice addressed to them',
  tag: 'deliveries',
  access: { kind: 'signed_in' },
  params: documentIdParams,
  responses: { 204: { description: 'Recorded (once)' }, 404: problem('No such notice for you') },
  accessExamples: {
    allow: ACCESS_GROUPS.inDistrict,
    request: async (f) => ({ path: `/documents/${(await f.documentAt('dispatched', true)).id}/read` }),
  },
  async handler({ actor, params, req, ctx }) {
    const paths = actor.roles.map((r) => r.unitPath);
    const [audience] = await ctx.sequelize.query<{ ok: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM document_audience a JOIN document d ON d.id = a.document_id
                       WHERE a.document_id = $1 AND d.status IN ('dispatched','closed')
                         AND EXISTS (SELECT 1 FROM unnest($2::text[]) AS p WHERE p LIKE a.unit_path || '%')) AS ok`,
      { bind: [params.id, paths], type: QueryTypes.SELECT },
    );
    if (!audience?.ok) throw new DomainError('not_found', `no notice ${params.id} for you`);
    await ctx.sequelize.transaction(async (transaction) => {
      const [inserted] = await ctx.sequelize.query<{ person_id: number }>(
        `INSERT INTO member_read (document_id, person_id, read_at) VALUES ($1, $2, now())
         ON CONFLICT DO NOTHING RETURNING person_id`,
        { bind: [params.id, actor.personId], type: QueryTypes.SELECT, transaction },
      );
      if (inserted) {
        await appendAudit(ctx.sequelize, transaction, [
          {
            actorPersonId: actor.personId,
            actorUnitId: actor.homeUnitId,
            source: req.ip ?? 'unknown',
            action: 'notice.read',
            documentId: params.id,
            versionSha256: null,
            detail: {},
            idempotencyKey: null,
            chainKey: `person:${actor.personId}`,
          },
        ]);
      }
    });
    return { status: 204 };
  },
});

const notifications = defineRoute({
  method: 'get',
  path: '/me/notifications',
  operationId: 'myNotifications',
  summary: 'Reminders, escalations and requests to act, for me and for the units I work for',
  tag: 'deliveries',
  access: { kind: 'signed_in' },
  query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(30) }),
  responses: {
    200: {
      description: 'Newest first',
      schema: z.object({
        items: z.array(
          z.object({
            id: z.number(),
            kind: z.string(),
            documentId: z.string().nullable(),
            message: z.string(),
            createdAt: z.string(),
          }),
        ),
      }),
    },
  },
  accessExamples: { allow: SIGNED_IN_PERSONAS, request: () => ({ path: '/me/notifications' }) },
  async handler({ actor, query, ctx }) {
    const unitIds = actor.roles
      .filter((r) => ['clerk', 'leader', 'branch_secretary'].includes(r.role))
      .map((r) => r.unitId);
    const rows = await ctx.sequelize.query<{
      id: string;
      kind: string;
      document_id: string | null;
      message: string;
      created_at: Date;
    }>(
      `SELECT id, kind, document_id, message, created_at FROM notification
        WHERE recipient_person_id = $1 OR recipient_unit_id = ANY($2::int[])
        ORDER BY created_at DESC, id DESC LIMIT $3`,
      { bind: [actor.personId, unitIds, query.limit], type: QueryTypes.SELECT },
    );
    return {
      status: 200,
      body: {
        items: rows.map((r) => ({
          id: Number(r.id),
          kind: r.kind,
          documentId: r.document_id,
          message: r.message,
          createdAt: r.created_at,
        })),
      },
    };
  },
});

const attachment = defineRoute({
  method: 'get',
  path: '/documents/:id/attachments/:sha256',
  operationId: 'getAttachment',
  summary: 'A PDF attached to a version of the document, by its SHA-256',
  tag: 'documents',
  access: { kind: 'signed_in' },
  params: z.strictObject({
    id: z.string().uuid('must be a document id (UUID)'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256'),
  }),
  responses: {
    200: { description: 'The PDF', contentType: 'application/pdf' },
    404: problem('No such attachment'),
  },
  accessExamples: {
    allow: ACCESS_GROUPS.districtAndAbove,
    notFoundFor: ACCESS_GROUPS.belowOrBeside,
    request: async (f) => {
      const { id, sha256 } = await f.documentWithAttachment();
      return { path: `/documents/${id}/attachments/${sha256}` };
    },
  },
  async handler({ actor, params, ctx, res }) {
    await assertDocumentVisible(ctx.sequelize, actor, params.id);
    const [row] = await ctx.sequelize.query<{ file_name: string }>(
      `SELECT a->>'fileName' AS file_name FROM document_version v, jsonb_array_elements(v.content->'attachments') AS a
        WHERE v.document_id = $1 AND a->>'sha256' = $2 LIMIT 1`,
      { bind: [params.id, params.sha256], type: QueryTypes.SELECT },
    );
    if (!row) throw new DomainError('not_found', 'no such attachment on this document');
    const bytes = await getBlob(ctx.sequelize, params.sha256);
    res
      .status(200)
      .type('application/pdf')
      .set('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(row.file_name)}`)
      .send(bytes);
    return undefined;
  },
});

export const documentReadRoutes = [
  pdf,
  attachment,
  progress,
  uploadAttachment,
  notices,
  markNoticeRead,
  notifications,
];
