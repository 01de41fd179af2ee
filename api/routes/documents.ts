/**
 * Documents: creating a draft starts its workflow (`document-<id>`) and answers with
 * what the workflow stored; reads come from the read model in PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { QueryTypes } from 'sequelize';
import { z } from 'zod';
import { DocumentTypeRow, OrgUnit } from '../../db/models';
import { type DraftContent, refuseSecret, URGENCIES } from '../../domain/document';
import { DomainError } from '../../domain/errors';
import type { DocumentSummary } from '../../domain/lifecycle';
import { DOCUMENT_STATUSES } from '../../domain/lifecycle';
import { checkBranchMeeting } from '../../domain/reports';
import { createdUpdate, DOCUMENT_WORKFLOW, documentWorkflowId } from '../../workflows/definitions';
import type { documentWorkflow } from '../../workflows/document';
import { assertDocumentVisible, DRAFTING_ROLES, holdsRole } from '../authorization';
import { readDocumentView } from '../document-read';
import { checkDraftReferences } from '../draft-checks';
import { draftFields } from '../draft-schema';
import { documentEtag } from '../etag';
import { ACCESS_GROUPS, defineRoute } from '../route';
import { documentIdParams, problem, uuid } from '../schemas';

export const createDocumentBody = z
  .strictObject({
    id: uuid.optional().describe('Client-chosen id; a second create with the same id is refused'),
    type: z.string().min(1).max(10).describe('Document type code from the document type table, e.g. CT'),
    urgency: z.enum(URGENCIES).default('thuong'),
    secrecy: z.string().max(30).optional().describe('Secret grades (mật, tối mật, tuyệt mật) are refused'),
    issuingUnitId: z.number().int().positive().optional(),
    replacesDocumentId: uuid.optional().describe('An issued document this one replaces (thay thế)'),
    reportRequestId: uuid
      .optional()
      .describe('The report request this report answers (goes to the requester)'),
    report: z
      .strictObject({
        present: z.number().int(),
        total: z.number().int(),
        durationMinutes: z.number().int(),
        resolutionAdopted: z.boolean(),
      })
      .optional()
      .describe('The facts of a branch-meeting report'),
    ...draftFields,
  })
  .meta({ id: 'NewDocument' });

const documentSummary = z
  .object({
    id: uuid,
    status: z.enum([...DOCUMENT_STATUSES, 'pending']),
    version: z.number().int().optional(),
    sha256: z.string().optional(),
    workflowId: z.string(),
  })
  .meta({ id: 'DocumentSummary' });

const documentLink = z.object({ id: uuid, number: z.string().nullable() });

const documentView = z
  .object({
    id: uuid,
    number: z.string().nullable().describe('Số, ký hiệu — once issued'),
    type: z.string(),
    subject: z.string(),
    status: z.enum(DOCUMENT_STATUSES),
    urgency: z.enum(URGENCIES),
    issuingUnit: z.object({ id: z.number(), code: z.string(), name: z.string() }),
    createdBy: z.number(),
    currentVersion: z.number(),
    versions: z.array(z.object({ version: z.number(), sha256: z.string(), createdAt: z.string() })),
    workflowId: z.string(),
    responseDue: z.string().nullable(),
    issuedAt: z.string().nullable(),
    replaces: documentLink.nullable().describe('The issued document this one replaces (thay thế)'),
    replacedBy: documentLink.nullable().describe('The dispatched replacement that superseded this document'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Document' });

const timelineView = z
  .object({
    documentId: uuid,
    events: z.array(
      z.object({
        seq: z.number(),
        at: z.string(),
        action: z.string(),
        actor: z.object({ id: z.number(), name: z.string().nullable() }).nullable(),
        versionSha256: z.string().nullable(),
        detail: z.record(z.string(), z.unknown()),
      }),
    ),
  })
  .meta({ id: 'Timeline' });

/** How long a create request waits for the workflow before answering 202 Accepted. */
const CREATE_WAIT_MS = 10_000;

const createDocument = defineRoute({
  method: 'post',
  path: '/documents',
  operationId: 'createDocument',
  summary: 'Create a draft (dự thảo); starts the document workflow',
  tag: 'documents',
  access: { kind: 'role', roles: DRAFTING_ROLES },
  body: createDocumentBody,
  responses: {
    201: { description: 'Draft stored', schema: documentSummary },
    202: { description: 'Accepted; the workflow has not answered yet', schema: documentSummary },
    400: problem('Invalid request, naming the field'),
    403: problem('Not allowed to draft for that unit'),
    409: problem('A document with this id exists'),
    422: problem('Secret documents are refused'),
  },
  // Secrecy is checked first, on the raw body, so a secret document is refused even
  // when the rest of it is malformed — and nothing of it is stored or logged.
  before: (req) => refuseSecret(typeof req.body?.secrecy === 'string' ? req.body.secrecy : undefined),
  accessExamples: {
    allow: ACCESS_GROUPS.drafters,
    request: (f) => ({
      path: '/documents',
      body: {
        type: 'CT',
        subject: 'Về kiểm tra quyền truy cập (access test)',
        body: ['Nội dung kiểm tra.'],
        issuingUnitId: f.units.district,
      },
    }),
  },
  async handler({ req, actor, body: input, ctx }) {
    const issuingUnitId =
      input.issuingUnitId ?? actor.roles.find((r) => DRAFTING_ROLES.includes(r.role))?.unitId;
    const unit = issuingUnitId === undefined ? null : await OrgUnit.findByPk(issuingUnitId);
    if (!unit)
      throw new DomainError('validation', `unit ${issuingUnitId} does not exist`, 'body.issuingUnitId');
    if (!holdsRole(actor, unit.path, DRAFTING_ROLES)) {
      throw new DomainError(
        'forbidden',
        `you may not draft documents for ${unit.name}`,
        'body.issuingUnitId',
      );
    }
    if (!(await DocumentTypeRow.findByPk(input.type))) {
      const known = (await DocumentTypeRow.findAll({ attributes: ['code'] })).map((t) => t.code);
      throw new DomainError(
        'validation',
        `unknown document type "${input.type}"; known: ${known.join(', ')}`,
        'body.type',
      );
    }

    const {
      id,
      type,
      urgency,
      secrecy: _secrecy,
      issuingUnitId: _unit,
      replacesDocumentId,
      reportRequestId,
      ...content
    } = input;
    if (reportRequestId) await answerReportRequest(ctx.sequelize, reportRequestId, unit.id, content);
    await checkDraftReferences(ctx.sequelize, unit.path, content);
    if (replacesDocumentId) {
      const replaced = await assertDocumentVisible(ctx.sequelize, actor, replacesDocumentId);
      if (!['issued', 'dispatched', 'closed'].includes(replaced.status)) {
        throw new DomainError(
          'validation',
          'only an issued document can be replaced',
          'body.replacesDocumentId',
        );
      }
    }
    const documentId = id ?? randomUUID();
    const workflowId = documentWorkflowId(documentId);
    const created = ctx.temporal.workflow.executeUpdateWithStart(createdUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation<typeof documentWorkflow>(DOCUMENT_WORKFLOW, {
        workflowId,
        taskQueue: ctx.taskQueue,
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        args: [
          {
            draft: {
              documentId,
              typeCode: type,
              urgency,
              issuingUnitId: unit.id,
              createdBy: actor.personId,
              content,
              ...(replacesDocumentId ? { replacesDocumentId } : {}),
              ...(reportRequestId ? { reportRequestId } : {}),
              source: req.ip ?? 'unknown',
            },
          },
        ],
      }),
    });
    let summary: DocumentSummary | 'pending';
    const patience = new AbortController();
    try {
      // Normally the workflow answers in milliseconds; if the worker is down or slow, the
      // caller learns that the document is accepted and where to look, not a hang.
      summary = await Promise.race([
        created,
        sleep(CREATE_WAIT_MS, 'pending' as const, { signal: patience.signal }),
      ]);
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        throw new DomainError('conflict', `document ${documentId} already exists`, 'body.id');
      }
      throw error;
    } finally {
      patience.abort();
    }
    const location = `/api/v1/documents/${documentId}`;
    if (summary === 'pending') {
      created.catch(() => undefined);
      return {
        status: 202,
        headers: { Location: location },
        body: { id: documentId, status: 'pending', workflowId },
      };
    }
    return { status: 201, headers: { Location: location }, body: { ...summary, workflowId } };
  },
});

/**
 * A report answers a request made to its unit: it goes to the requester, and a
 * branch-meeting report states its facts.
 */
async function answerReportRequest(
  sequelize: import('sequelize').Sequelize,
  requestId: string,
  unitId: number,
  content: DraftContent,
): Promise<void> {
  const [request] = await sequelize.query<{ kind: string; requesting_unit_id: number }>(
    `SELECT r.kind, r.requesting_unit_id FROM report_request r JOIN report_expectation e ON e.request_id = r.id
      WHERE r.id = $1 AND e.unit_id = $2`,
    { bind: [requestId, unitId], type: QueryTypes.SELECT },
  );
  if (!request)
    throw new DomainError('validation', 'this unit owes no report to that request', 'body.reportRequestId');
  content.recipients ??= [{ kind: 'unit', unitId: request.requesting_unit_id }];
  if (request.kind === 'branch_meeting_monthly') {
    if (!content.report)
      throw new DomainError('validation', 'a branch-meeting report states its facts', 'body.report');
    checkBranchMeeting(content.report, 'body.report');
  }
}

const getDocument = defineRoute({
  method: 'get',
  path: '/documents/:id',
  operationId: 'getDocument',
  summary: 'A document with its versions (read model)',
  tag: 'documents',
  access: { kind: 'signed_in' },
  params: documentIdParams,
  responses: { 200: { description: 'The document', schema: documentView }, 404: problem('No such document') },
  accessExamples: {
    allow: ACCESS_GROUPS.districtAndAbove,
    notFoundFor: ACCESS_GROUPS.belowOrBeside,
    request: async (f) => ({ path: `/documents/${await f.districtDocument()}` }),
  },
  async handler({ actor, params, ctx }) {
    const view = await readDocumentView(ctx.sequelize, params.id, actor);
    // Another unit's document is "not found", not "forbidden": its existence is private.
    if (!view) throw new DomainError('not_found', `no document ${params.id}`);
    const current = view.versions[view.versions.length - 1]!;
    return {
      status: 200,
      headers: { ETag: documentEtag({ id: view.id, version: current.version, sha256: current.sha256 }) },
      body: view,
    };
  },
});

const getTimeline = defineRoute({
  method: 'get',
  path: '/documents/:id/timeline',
  operationId: 'getDocumentTimeline',
  summary: "A document's timeline, from the audit log",
  tag: 'documents',
  access: { kind: 'signed_in' },
  params: documentIdParams,
  responses: {
    200: { description: 'Events, oldest first', schema: timelineView },
    404: problem('No such document'),
  },
  accessExamples: {
    allow: ACCESS_GROUPS.districtAndAbove,
    notFoundFor: ACCESS_GROUPS.belowOrBeside,
    request: async (f) => ({ path: `/documents/${await f.districtDocument()}/timeline` }),
  },
  async handler({ actor, params, ctx }) {
    const [row] = await ctx.sequelize.query<{ path: string }>(
      'SELECT u.path FROM document d JOIN org_unit u ON u.id = d.issuing_unit_id WHERE d.id = :id',
      { replacements: { id: params.id }, type: QueryTypes.SELECT },
    );
    if (!row || !holdsRole(actor, row.path)) throw new DomainError('not_found', `no document ${params.id}`);
    const events = await ctx.sequelize.query<{
      seq: string;
      at: Date;
      action: string;
      actor_person_id: number | null;
      full_name: string | null;
      version_sha256: string | null;
      detail: Record<string, unknown>;
    }>(
      `SELECT e.id AS seq, e.at, e.action, e.actor_person_id, p.full_name, e.version_sha256, e.detail
         FROM audit_event e LEFT JOIN person p ON p.id = e.actor_person_id
        WHERE e.document_id = :id ORDER BY e.id`,
      { replacements: { id: params.id }, type: QueryTypes.SELECT },
    );
    return {
      status: 200,
      body: {
        documentId: params.id,
        events: events.map((e) => ({
          seq: Number(e.seq),
          at: e.at,
          action: e.action,
          actor: e.actor_person_id === null ? null : { id: e.actor_person_id, name: e.full_name },
          versionSha256: e.version_sha256,
          detail: e.detail,
        })),
      },
    };
  },
});

export const documentRoutes = [createDocument, getDocument, getTimeline];
