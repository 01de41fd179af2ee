/**
 * Reads the web pages need and the rest of the api does not offer: what waits for me
 * (approve, sign, issue, my drafts), a unit's documents, a document's current content
 * with its approval chain, the document types, and the people of a unit (to choose a
 * signer, approvers or a handler). Every rule of who sees what is api/authorization.ts's.
 *
 * The other web routes live beside this file: web-preview.ts (live PDF preview, next
 * number), web-registers.ts (sổ đi, sổ đến) and web-verify.ts (signature reports, public
 * verification).
 */
import { QueryTypes } from 'sequelize';
import { z } from 'zod';
import { likeLiteral } from '../../db/sql';
import { DomainError } from '../../domain/errors';
import { DOCUMENT_STATUSES } from '../../domain/lifecycle';
import { ROLES } from '../../domain/org';
import {
  assertDocumentVisible,
  DRAFTING_ROLES,
  findUnit,
  holdsRole,
  LEADING_ROLES,
  OFFICE_ROLES,
  reachablePathPatterns,
} from '../authorization';
import { documentEtag } from '../etag';
import { keysetPage, pageOf, pageQuery } from '../pagination';
import { ACCESS_GROUPS, defineRoute, SIGNED_IN_PERSONAS } from '../route';
import { documentIdParams, problem, unitIdParams } from '../schemas';
import { webPreviewRoutes } from './web-preview';
import { webRegisterRoutes } from './web-registers';
import { webVerifyRoutes } from './web-verify';

const iso = (value: Date | string | null): string | null =>
  value === null ? null : new Date(value).toISOString();

// ------------------------------------------------------------------ what waits for me

const taskItem = z
  .object({
    documentId: z.string(),
    type: z.string(),
    subject: z.string(),
    status: z.enum(DOCUMENT_STATUSES),
    issuer: z.string(),
    issuingUnitId: z.number(),
    updatedAt: z.string(),
    step: z.string().nullable().describe('The approval step waiting for me'),
    dueAt: z.string().nullable(),
  })
  .meta({ id: 'Task' });

interface TaskRow {
  id: string;
  type_code: string;
  subject: string;
  status: (typeof DOCUMENT_STATUSES)[number];
  issuer: string;
  issuing_unit_id: number;
  updated_at: Date;
  step: string | null;
  due_at: Date | null;
}

const taskView = (r: TaskRow) => ({
  documentId: r.id,
  type: r.type_code,
  subject: r.subject,
  status: r.status,
  issuer: r.issuer,
  issuingUnitId: r.issuing_unit_id,
  updatedAt: iso(r.updated_at)!,
  step: r.step,
  dueAt: iso(r.due_at),
});

const TASK_SELECT = `SELECT d.id, d.type_code, d.subject, d.status, u.name AS issuer, d.issuing_unit_id, d.updated_at`;

const tasks = defineRoute({
  method: 'get',
  path: '/me/tasks',
  operationId: 'myTasks',
  summary: 'What waits for me: documents to approve, to sign, to issue, and my drafts',
  description:
    '`approve`: the open approval step lists me and I have not decided yet. `sign`: approved, and I am the chosen signer. `issue`: signed, in a unit whose office I work for. `drafts`: drafts I created (or that were returned to me). At most 100 of each, newest first.',
  tag: 'web',
  access: { kind: 'signed_in' },
  responses: {
    200: {
      description: 'Four lists',
      schema: z.object({
        approve: z.array(taskItem),
        sign: z.array(taskItem),
        issue: z.array(taskItem),
        drafts: z.array(taskItem),
      }),
    },
  },
  accessExamples: { allow: SIGNED_IN_PERSONAS, request: () => ({ path: '/me/tasks' }) },
  async handler({ actor, ctx }) {
    const select = <T extends object>(sql: string, bind: unknown[]) =>
      ctx.sequelize.query<T>(sql, { bind, type: QueryTypes.SELECT });
    const [approve, sign, issue, drafts] = await Promise.all([
      select<TaskRow>(
        `${TASK_SELECT}, s.label AS step, s.due_at
           FROM approval_step s JOIN document d ON d.id = s.document_id
           JOIN org_unit u ON u.id = d.issuing_unit_id
          WHERE s.status = 'open' AND $1 = ANY (s.approvers) AND d.status = 'in_review'
            AND NOT EXISTS (SELECT 1 FROM approval_decision a
                             WHERE a.document_id = s.document_id AND a.round = s.round AND a.step = s.step
                               AND a.person_id = $1)
          ORDER BY d.updated_at DESC LIMIT 100`,
        [actor.personId],
      ),
      select<TaskRow>(
        `${TASK_SELECT}, NULL AS step, NULL AS due_at
           FROM document d JOIN org_unit u ON u.id = d.issuing_unit_id
          WHERE d.status = 'approved' AND d.signer_person_id = $1
          ORDER BY d.updated_at DESC LIMIT 100`,
        [actor.personId],
      ),
      select<TaskRow>(
        `${TASK_SELECT}, NULL AS step, NULL AS due_at
           FROM document d JOIN org_unit u ON u.id = d.issuing_unit_id
          WHERE d.status = 'signed' AND u.path LIKE ANY ($1::text[])
          ORDER BY d.updated_at DESC LIMIT 100`,
        [reachablePathPatterns(actor, OFFICE_ROLES)],
      ),
      select<TaskRow>(
        `${TASK_SELECT}, NULL AS step, NULL AS due_at
           FROM document d JOIN org_unit u ON u.id = d.issuing_unit_id
          WHERE d.status IN ('draft', 'changes_requested') AND d.created_by = $1
          ORDER BY d.updated_at DESC LIMIT 100`,
        [actor.personId],
      ),
    ]);
    return {
      status: 200,
      body: {
        approve: approve.map(taskView),
        sign: sign.map(taskView),
        issue: issue.map(taskView),
        drafts: drafts.map(taskView),
      },
    };
  },
});

// ------------------------------------------------------------------ a unit's documents

const unitDocumentItem = z
  .object({
    id: z.string(),
    number: z.string().nullable(),
    type: z.string(),
    subject: z.string(),
    status: z.enum(DOCUMENT_STATUSES),
    urgency: z.string(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    issuedAt: z.string().nullable(),
    deliveries: z.number().describe('How many recipient units it was delivered to'),
  })
  .meta({ id: 'UnitDocument' });

const unitDocuments = defineRoute({
  method: 'get',
  path: '/org-units/:id/documents',
  operationId: 'unitDocuments',
  summary: 'Documents a unit issues or drafts (văn bản đi), newest first',
  tag: 'web',
  access: { kind: 'signed_in' },
  params: unitIdParams,
  query: pageQuery({ defaultLimit: 30, maxLimit: 100 }).extend({
    status: z.enum(DOCUMENT_STATUSES).optional(),
    q: z.string().trim().max(200).optional().describe('Words of the subject or the number'),
  }),
  responses: {
    200: { description: 'A page of documents', schema: pageOf(unitDocumentItem, 'UnitDocumentPage') },
    404: problem('No such unit'),
  },
  accessExamples: {
    allow: ACCESS_GROUPS.districtAndAbove,
    notFoundFor: ACCESS_GROUPS.belowOrBeside,
    request: (f) => ({ path: `/org-units/${f.units.district}/documents` }),
  },
  async handler({ actor, params, query, ctx }) {
    const unit = await findUnit(ctx.sequelize, params.id);
    if (!unit || !holdsRole(actor, unit.path)) throw new DomainError('not_found', `no unit ${params.id}`);
    const words = query.q ? `%${likeLiteral(query.q)}%` : null;
    const page = await keysetPage<{
      id: string;
      number: string | null;
      type_code: string;
      subject: string;
      status: (typeof DOCUMENT_STATUSES)[number];
      urgency: string;
      created_by: string | null;
      created_at: Date;
      updated_at: Date;
      issued_at: Date | null;
      deliveries: number;
      sort_at: string;
    }>(ctx.sequelize, {
      sql: `SELECT d.id, d.number, d.type_code, d.subject, d.status, d.urgency, p.full_name AS created_by,
                   d.created_at, d.updated_at, d.issued_at,
                   (SELECT count(*)::int FROM delivery v WHERE v.document_id = d.id) AS deliveries,
                   (extract(epoch FROM d.created_at) * 1000000)::bigint AS sort_at
              FROM document d LEFT JOIN person p ON p.id = d.created_by
             WHERE d.issuing_unit_id = $1 AND ($2::text IS NULL OR d.status = $2)
               AND ($3::text IS NULL OR d.subject ILIKE $3 OR d.number ILIKE $3)`,
      bind: [params.id, query.status ?? null, words],
      keys: [
        { field: 'sort_at', direction: 'desc' },
        { field: 'id', direction: 'desc' },
      ],
      page: query,
    });
    return {
      status: 200,
      body: {
        items: page.rows.map((r) => ({
          id: r.id,
          number: r.number,
          type: r.type_code,
          subject: r.subject,
          status: r.status,
          urgency: r.urgency,
          createdBy: r.created_by,
          createdAt: iso(r.created_at)!,
          updatedAt: iso(r.updated_at)!,
          issuedAt: iso(r.issued_at),
          deliveries: r.deliveries,
        })),
        nextCursor: page.nextCursor,
      },
    };
  },
});

// ------------------------------------------------------------------ one document's content

const DOCUMENT_ACTIONS = [
  'edit',
  'submit',
  'decide',
  'sign',
  'issue',
  'recall',
  'cancel',
  'close',
  'progress',
  'timeline',
] as const;
type DocumentActionName = (typeof DOCUMENT_ACTIONS)[number];

const approverView = z.object({
  personId: z.number(),
  name: z.string().nullable(),
  decision: z.enum(['approve', 'return', 'reject']).nullable(),
  comment: z.string().nullable(),
  at: z.string().nullable(),
});

const contentView = z
  .object({
    id: z.string(),
    number: z.string().nullable(),
    type: z.string(),
    typeName: z.string(),
    subject: z.string(),
    status: z.enum(DOCUMENT_STATUSES),
    urgency: z.string(),
    issuingUnit: z.object({ id: z.number(), name: z.string() }),
    createdBy: z.object({ id: z.number(), name: z.string().nullable() }),
    signer: z.object({ id: z.number(), name: z.string().nullable() }).nullable(),
    issuedAt: z.string().nullable(),
    responseDue: z.string().nullable(),
    version: z.number(),
    sha256: z.string(),
    content: z.record(z.string(), z.unknown()).describe('The draft content of the current version'),
    hasPdf: z.boolean().describe('An approved, signed or issued PDF exists'),
    approval: z
      .array(
        z.object({
          round: z.number(),
          step: z.number(),
          label: z.string(),
          status: z.string(),
          required: z.number(),
          dueAt: z.string().nullable(),
          approvers: z.array(approverView),
        }),
      )
      .describe('The latest approval round; empty for callers outside the issuing unit'),
    actions: z
      .array(z.enum(DOCUMENT_ACTIONS))
      .describe('What the caller may do now (the api still decides when it is done)'),
  })
  .meta({ id: 'DocumentContent' });

/** What the caller may do with the document in its state, by the rules the lifecycle routes apply. */
function actionsFor(
  actor: import('../../db/people').Actor,
  document: { issuerPath: string; status: string; signerPersonId: number | null },
  pendingApprover: boolean,
): DocumentActionName[] {
  const { issuerPath, status } = document;
  const may = (roles: readonly import('../../domain/org').Role[]) => holdsRole(actor, issuerPath, roles);
  const out: DocumentActionName[] = [];
  const editable = status === 'draft' || status === 'changes_requested';
  if (editable && may(DRAFTING_ROLES)) out.push('edit', 'submit');
  if (status === 'in_review' && pendingApprover) out.push('decide');
  if (status === 'approved' && document.signerPersonId === actor.personId) out.push('sign');
  if (status === 'signed' && may(OFFICE_ROLES)) out.push('issue');
  if (['issued', 'dispatched', 'closed'].includes(status) && may([...LEADING_ROLES, 'clerk']))
    out.push('recall');
  if (['draft', 'changes_requested', 'in_review', 'approved'].includes(status) && may(DRAFTING_ROLES)) {
    out.push('cancel');
  }
  if (status === 'dispatched' && may(OFFICE_ROLES)) out.push('close');
  if (['issued', 'dispatched', 'closed', 'recalled'].includes(status) && holdsRole(actor, issuerPath))
    out.push('progress');
  if (holdsRole(actor, issuerPath)) out.push('timeline');
  return out;
}

const documentContent = defineRoute({
  method: 'get',
  path: '/documents/:id/content',
  operationId: 'documentContent',
  summary: 'A document with the content of its current version and its approval chain (ETag for editing)',
  description:
    'For anyone who may see the document (its unit, its recipients, its signer and approvers). The ETag is the one PUT /documents/{id}/draft expects in If-Match. The approval chain and its comments are shown only to people of the issuing unit (or above) and to the approvers.',
  tag: 'web',
  access: { kind: 'signed_in' },
  params: documentIdParams,
  responses: {
    200: { description: 'The document', schema: contentView },
    404: problem('No such document'),
  },
  accessExamples: {
    allow: ACCESS_GROUPS.districtAndAbove,
    notFoundFor: ACCESS_GROUPS.belowOrBeside,
    request: async (f) => ({ path: `/documents/${await f.districtDocument()}/content` }),
  },
  async handler({ actor, params, ctx }) {
    const visible = await assertDocumentVisible(ctx.sequelize, actor, params.id);
    const [row] = await ctx.sequelize.query<{
      id: string;
      number: string | null;
      type_code: string;
      type_name: string;
      subject: string;
      status: (typeof DOCUMENT_STATUSES)[number];
      urgency: string;
      unit_id: number;
      unit_name: string;
      created_by: number;
      creator: string | null;
      signer_person_id: number | null;
      signer: string | null;
      issued_at: Date | null;
      response_due: Date | null;
      version: number;
      sha256: string;
      content: Record<string, unknown>;
      has_pdf: boolean;
    }>(
      `SELECT d.id, d.number, d.type_code, t.name AS type_name, d.subject, d.status, d.urgency,
              u.id AS unit_id, u.name AS unit_name, d.created_by, c.full_name AS creator,
              d.signer_person_id, s.full_name AS signer, d.issued_at, d.response_due,
              v.version, v.sha256, v.content, d.approved_pdf_sha256 IS NOT NULL AS has_pdf
         FROM document d JOIN document_type t ON t.code = d.type_code
         JOIN org_unit u ON u.id = d.issuing_unit_id
         JOIN document_version v ON v.document_id = d.id AND v.version = d.current_version
         LEFT JOIN person c ON c.id = d.created_by
         LEFT JOIN person s ON s.id = d.signer_person_id
        WHERE d.id = $1`,
      { bind: [params.id], type: QueryTypes.SELECT },
    );
    if (!row) throw new DomainError('not_found', `no document ${params.id}`);
    const approval = await approvalChain(ctx.sequelize, params.id);
    const insider =
      holdsRole(actor, visible.issuerPath) ||
      approval.some((step) => step.approvers.some((a) => a.personId === actor.personId));
    const pendingApprover = approval.some(
      (step) =>
        step.status === 'open' &&
        step.approvers.some((a) => a.personId === actor.personId && a.decision === null),
    );
    const sha256 = row.sha256.trim();
    return {
      status: 200,
      headers: { ETag: documentEtag({ id: row.id, version: row.version, sha256 }) },
      body: {
        id: row.id,
        number: row.number,
        type: row.type_code,
        typeName: row.type_name,
        subject: row.subject,
        status: row.status,
        urgency: row.urgency,
        issuingUnit: { id: row.unit_id, name: row.unit_name },
        createdBy: { id: row.created_by, name: row.creator },
        signer: row.signer_person_id === null ? null : { id: row.signer_person_id, name: row.signer },
        issuedAt: iso(row.issued_at),
        responseDue: iso(row.response_due),
        version: row.version,
        sha256,
        content: row.content,
        hasPdf: row.has_pdf,
        approval: insider ? approval : [],
        actions: actionsFor(actor, visible, pendingApprover),
      },
    };
  },
});

/** The steps of the latest approval round, each approver with their decision if any. */
async function approvalChain(sequelize: import('sequelize').Sequelize, documentId: string) {
  const steps = await sequelize.query<{
    round: number;
    step: number;
    label: string;
    status: string;
    required: number;
    due_at: Date | null;
    approvers: number[];
  }>(
    `SELECT round, step, label, status, required, due_at, approvers FROM approval_step
      WHERE document_id = $1 AND round = (SELECT max(round) FROM approval_step WHERE document_id = $1)
      ORDER BY step`,
    { bind: [documentId], type: QueryTypes.SELECT },
  );
  if (steps.length === 0) return [];
  const decisions = await sequelize.query<{
    step: number;
    person_id: number;
    decision: 'approve' | 'return' | 'reject';
    comment: string | null;
    at: Date;
  }>(
    `SELECT step, person_id, decision, comment, at FROM approval_decision
      WHERE document_id = $1 AND round = $2 ORDER BY at`,
    { bind: [documentId, steps[0]!.round], type: QueryTypes.SELECT },
  );
  const ids = [...new Set(steps.flatMap((s) => s.approvers))];
  const people = await sequelize.query<{ id: number; full_name: string }>(
    'SELECT id, full_name FROM person WHERE id = ANY($1::int[])',
    { bind: [ids], type: QueryTypes.SELECT },
  );
  const names = new Map(people.map((p) => [p.id, p.full_name]));
  return steps.map((s) => ({
    round: s.round,
    step: s.step,
    label: s.label,
    status: s.status,
    required: s.required,
    dueAt: iso(s.due_at),
    approvers: s.approvers.map((personId) => {
      const decided = decisions.find((d) => d.step === s.step && d.person_id === personId);
      return {
        personId,
        name: names.get(personId) ?? null,
        decision: decided?.decision ?? null,
        comment: decided?.comment ?? null,
        at: decided ? iso(decided.at) : null,
      };
    }),
  }));
}

// ------------------------------------------------------------------ reference data

const documentTypes = defineRoute({
  method: 'get',
  path: '/document-types',
  operationId: 'documentTypes',
  summary: 'The document types of this deployment (Quy định 399-QĐ/TW) and their abbreviations',
  tag: 'web',
  access: { kind: 'signed_in' },
  responses: {
    200: {
      description: 'Every type',
      schema: z.object({
        items: z.array(
          z.object({ code: z.string(), name: z.string(), nameEn: z.string(), party: z.string().nullable() }),
        ),
      }),
    },
  },
  accessExamples: { allow: SIGNED_IN_PERSONAS, request: () => ({ path: '/document-types' }) },
  async handler({ ctx }) {
    const rows = await ctx.sequelize.query<{
      code: string;
      name: string;
      name_en: string;
      party: string | null;
    }>('SELECT code, name, name_en, party FROM document_type ORDER BY name', { type: QueryTypes.SELECT });
    return {
      status: 200,
      body: { items: rows.map((r) => ({ code: r.code, name: r.name, nameEn: r.name_en, party: r.party })) },
    };
  },
});

const unitPeople = defineRoute({
  method: 'get',
  path: '/org-units/:id/people',
  operationId: 'unitPeople',
  summary: 'The people holding roles in a unit (to choose a signer, approvers or a handler)',
  tag: 'web',
  access: { kind: 'signed_in' },
  params: unitIdParams,
  query: z.strictObject({ role: z.enum(ROLES).optional().describe('Only people holding this role there') }),
  responses: {
    200: {
      description: 'People, by name',
      schema: z.object({
        items: z.array(
          z.object({
            personId: z.number(),
            fullName: z.string(),
            roles: z.array(z.object({ role: z.enum(ROLES), title: z.string().nullable() })),
          }),
        ),
      }),
    },
    404: problem('No such unit'),
  },
  accessExamples: {
    allow: ACCESS_GROUPS.districtAndAbove,
    notFoundFor: ACCESS_GROUPS.belowOrBeside,
    request: (f) => ({ path: `/org-units/${f.units.district}/people`, query: { role: 'signer' } }),
  },
  async handler({ actor, params, query, ctx }) {
    const unit = await findUnit(ctx.sequelize, params.id);
    if (!unit || !holdsRole(actor, unit.path)) throw new DomainError('not_found', `no unit ${params.id}`);
    const rows = await ctx.sequelize.query<{
      person_id: number;
      full_name: string;
      roles: Array<{ role: (typeof ROLES)[number]; title: string | null }>;
    }>(
      `SELECT p.id AS person_id, p.full_name,
              json_agg(json_build_object('role', r.role, 'title', r.title) ORDER BY r.role) AS roles
         FROM role_assignment r JOIN person p ON p.id = r.person_id
        WHERE r.unit_id = $1 AND p.active
          AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM role_assignment q
                                            WHERE q.person_id = p.id AND q.unit_id = $1 AND q.role = $2))
        GROUP BY p.id, p.full_name ORDER BY p.full_name, p.id LIMIT 500`,
      { bind: [params.id, query.role ?? null], type: QueryTypes.SELECT },
    );
    return {
      status: 200,
      body: { items: rows.map((r) => ({ personId: r.person_id, fullName: r.full_name, roles: r.roles })) },
    };
  },
});

export const webSupportRoutes = [
  tasks,
  unitDocuments,
  documentContent,
  documentTypes,
  unitPeople,
  ...webPreviewRoutes,
  ...webRegisterRoutes,
  ...webVerifyRoutes,
];
