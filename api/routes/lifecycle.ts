/**
 * Acting on a document: edit the draft, submit it for approval, decide, sign, issue,
 * recall, cancel, close. Each route authenticates and checks the caller's place in the
 * organisation, then asks the document's workflow through an Update, which answers with
 * the result or a clear refusal (wrong person, wrong state, stale version).
 */
import type { UpdateDefinition } from '@temporalio/common';
import { QueryTypes, type Sequelize } from 'sequelize';
import { z } from 'zod';
import type { Actor } from '../../db/people';
import type { ApprovalStepSpec } from '../../domain/approval';
import { DomainError } from '../../domain/errors';
import { DOCUMENT_STATUSES } from '../../domain/lifecycle';
import {
  type ActorRef,
  type CompleteSigningRequest,
  cancelUpdate,
  closeUpdate,
  completeIssueUpdate,
  completeSignatureUpdate,
  type DocumentSummary,
  decideUpdate,
  editUpdate,
  type PreparedSigning,
  type PrepareSigningRequest,
  prepareIssueUpdate,
  prepareSignatureUpdate,
  recallUpdate,
  submitUpdate,
} from '../../workflows/definitions';
import {
  assertDocumentVisible,
  DRAFTING_ROLES,
  documentForRole,
  LEADING_ROLES,
  OFFICE_ROLES,
} from '../authorization';
import { checkDraftReferences } from '../draft-checks';
import { draftContentSchema } from '../draft-schema';
import { documentEtag, requireIfMatch } from '../etag';
import { ACCESS_GROUPS, defineRoute, examplesWithFreshTargets, type RouteInput } from '../route';
import { documentIdParams, problem } from '../schemas';
import { personalKeyOf, type SigningPhases, sealKeyOf, signWithStoredKey } from '../signing';
import { updateDocument } from '../workflow-call';

const summary = z
  .object({ id: z.string(), status: z.enum(DOCUMENT_STATUSES), version: z.number(), sha256: z.string() })
  .meta({ id: 'DocumentState' });

const prepared = z
  .object({
    sessionId: z.string(),
    toBeSigned: z.string().describe('Base64 of the exact bytes to sign (DER signed attributes)'),
    digestAlgorithm: z.string(),
    digest: z.string().describe('Base64 digest of toBeSigned, for tokens that sign digests'),
    expiresAt: z.string(),
    number: z.string().optional().describe('When issuing: the number taken from the register'),
  })
  .meta({ id: 'PreparedSignature' });

const refusals = {
  400: problem('Invalid request, naming the field'),
  403: problem('Not allowed to do this'),
  404: problem('No such document'),
  409: problem('Not possible in the document’s state, or a stale version'),
};

const actorOf = (input: Pick<RouteInput<unknown, unknown, unknown>, 'actor' | 'req'>): ActorRef => ({
  personId: input.actor.personId,
  source: input.req.ip ?? 'unknown',
});

const editDraft = defineRoute({
  method: 'put',
  path: '/documents/:id/draft',
  operationId: 'editDraft',
  summary: 'Save a new version of a draft (needs If-Match with the ETag of the version edited)',
  tag: 'lifecycle',
  access: { kind: 'role', roles: DRAFTING_ROLES },
  params: documentIdParams,
  body: draftContentSchema,
  ifMatch: true,
  responses: {
    200: { description: 'The new version', schema: summary },
    ...refusals,
    412: problem('Stale ETag'),
  },
  accessExamples: examplesWithFreshTargets(ACCESS_GROUPS.drafters, async (f, fresh) => {
    const draft = await f.documentAt('draft', !fresh);
    return {
      path: `/documents/${draft.id}/draft`,
      headers: { 'If-Match': draft.etag },
      body: { subject: 'Thông báo đã sửa (access test)', body: ['Nội dung đã sửa.'] },
    };
  }),
  async handler(input) {
    const { params, body, ctx, req } = input;
    const row = await documentForRole(
      ctx.sequelize,
      input.actor,
      params.id,
      DRAFTING_ROLES,
      'edit the draft',
    );
    const [current] = await ctx.sequelize.query<{ version: number; sha256: string }>(
      'SELECT version, sha256 FROM document_version WHERE document_id = $1 AND version = $2',
      { bind: [params.id, row.currentVersion], type: QueryTypes.SELECT },
    );
    requireIfMatch(req, documentEtag({ id: params.id, ...current! }));
    await checkDraftReferences(ctx.sequelize, row.issuerPath, body);
    const result = await updateDocument(ctx.temporal, params.id, editUpdate, {
      actor: actorOf(input),
      baseVersion: current!.version,
      content: body,
    });
    return { status: 200, headers: { ETag: documentEtag(result) }, body: result };
  },
});

const approvalStep = z.strictObject({
  label: z.string().min(1).max(200),
  approvers: z.array(z.number().int().positive()).min(1).max(50),
  required: z.union([z.literal('all'), z.number().int().positive()]).default('all'),
  dueInHours: z
    .number()
    .positive()
    .max(24 * 90)
    .optional(),
});

const submit = defineRoute({
  method: 'post',
  path: '/documents/:id/submit',
  operationId: 'submitForApproval',
  summary: 'Submit the current version for approval (trình duyệt) along a chain of steps',
  description:
    'Without `approval`, the chain is one step: the chosen signer approves. A step needs all its approvers, or `required` of them.',
  tag: 'lifecycle',
  access: { kind: 'role', roles: DRAFTING_ROLES },
  params: documentIdParams,
  body: z.strictObject({
    version: z.number().int().positive(),
    approval: z.array(approvalStep).max(20).optional(),
  }),
  responses: { 200: { description: 'In review', schema: summary }, ...refusals },
  accessExamples: examplesWithFreshTargets(ACCESS_GROUPS.drafters, async (f, fresh) => ({
    path: `/documents/${(await f.documentAt('draft', !fresh)).id}/submit`,
    body: { version: 1 },
  })),
  async handler(input) {
    const { params, body, ctx } = input;
    const row = await documentForRole(ctx.sequelize, input.actor, params.id, DRAFTING_ROLES, 'submit it');
    const steps = body.approval ?? [
      {
        label: 'Lãnh đạo duyệt ký',
        approvers: row.signerPersonId ? [row.signerPersonId] : [],
        required: 'all' as const,
      },
    ];
    // Every approver must lead or sign for the issuing unit (or a unit above it).
    const approvers = [...new Set(steps.flatMap((s) => s.approvers))];
    const allowed = await ctx.sequelize.query<{ person_id: number }>(
      `SELECT DISTINCT r.person_id FROM role_assignment r JOIN org_unit u ON u.id = r.unit_id
        WHERE r.person_id = ANY($1::int[]) AND r.role IN ('leader', 'signer', 'branch_secretary')
          AND $2 LIKE u.path || '%'`,
      { bind: [approvers, row.issuerPath], type: QueryTypes.SELECT },
    );
    const may = new Set(allowed.map((a) => a.person_id));
    const stranger = approvers.find((p) => !may.has(p));
    if (stranger !== undefined) {
      throw new DomainError(
        'validation',
        `person ${stranger} does not lead this unit and cannot approve`,
        'body.approval',
      );
    }
    const now = Date.now();
    const chain: ApprovalStepSpec[] = steps.map((s) => ({
      label: s.label,
      approvers: s.approvers,
      required: s.required,
    }));
    const stepDue = steps.map((s) =>
      'dueInHours' in s && s.dueInHours ? new Date(now + s.dueInHours * 3_600_000).toISOString() : null,
    );
    return {
      status: 200,
      body: await updateDocument(ctx.temporal, params.id, submitUpdate, {
        actor: actorOf(input),
        version: body.version,
        chain,
        stepDue,
      }),
    };
  },
});

const decide = defineRoute({
  method: 'post',
  path: '/documents/:id/decision',
  operationId: 'decide',
  summary: 'Approve, return with comments (back to draft), or reject the version under review',
  tag: 'lifecycle',
  access: { kind: 'role', roles: ['leader', 'signer', 'branch_secretary'] },
  params: documentIdParams,
  body: z.strictObject({
    decision: z.enum(['approve', 'return', 'reject']),
    comment: z.string().max(5_000).optional(),
    version: z.number().int().positive().describe('The version you read'),
  }),
  responses: { 200: { description: 'Recorded', schema: summary }, ...refusals },
  accessExamples: examplesWithFreshTargets(['leader.district'], async (f, fresh) => ({
    path: `/documents/${(await f.documentAt('in_review', !fresh)).id}/decision`,
    body: { decision: 'approve', version: 1 },
  })),
  async handler(input) {
    const { params, body, ctx } = input;
    await assertDocumentVisible(ctx.sequelize, input.actor, params.id);
    if (body.decision !== 'approve' && !body.comment?.trim()) {
      throw new DomainError('validation', 'say why: a comment is needed to return or reject', 'body.comment');
    }
    return {
      status: 200,
      body: await updateDocument(ctx.temporal, params.id, decideUpdate, {
        actor: actorOf(input),
        decision: body.decision,
        ...(body.comment ? { comment: body.comment } : {}),
        version: body.version,
      }),
    };
  },
});

/** The document, when the actor is its chosen signer: the signer signs, nobody else (403). */
async function chosenSignerOf(sequelize: Sequelize, actor: Actor, documentId: string) {
  const document = await assertDocumentVisible(sequelize, actor, documentId);
  if (document.signerPersonId !== actor.personId) {
    throw new DomainError('forbidden', 'only the signer chosen for this document may sign it');
  }
  return document;
}

const passphraseBody = z.strictObject({
  passphrase: z.string().min(1).max(1_000).describe('Unlocks the key for this one signature; never stored'),
});
const externalPrepareBody = z.strictObject({
  certificate: z.string().min(100).max(20_000).describe('Base64 DER (or PEM) of the signing certificate'),
  chain: z.array(z.string().max(20_000)).max(5).default([]),
});
const externalCompleteBody = z.strictObject({
  sessionId: z.string().uuid(),
  signatureValue: z.string().min(16).max(4_000).describe('Base64 signature value over toBeSigned'),
});

/** PEM or base64 DER → base64 DER. */
function derBase64(value: string): string {
  const pem = /-----BEGIN [A-Z ]+-----([\s\S]*?)-----END [A-Z ]+-----/.exec(value);
  return (pem ? pem[1]! : value).replace(/\s+/g, '');
}

/** A certificate and chain handed in for two-phase signing, as the workflow takes them. */
function handedCertificate(body: { certificate: string; chain: string[] }) {
  return { certificate: derBase64(body.certificate), chain: body.chain.map(derBase64) };
}

/** A document workflow's two signing Updates (the signer's, or the clerk's seal) for this caller. */
function signaturePhases(
  input: RouteInput<{ id: string }, unknown, unknown>,
  prepare: UpdateDefinition<PreparedSigning, [PrepareSigningRequest]>,
  complete: UpdateDefinition<DocumentSummary, [CompleteSigningRequest]>,
): SigningPhases<DocumentSummary> {
  const { temporal } = input.ctx;
  const actor = actorOf(input);
  return {
    prepare: (certificate) => updateDocument(temporal, input.params.id, prepare, { actor, ...certificate }),
    complete: (signed) => updateDocument(temporal, input.params.id, complete, { actor, ...signed }),
  };
}

const sign = defineRoute({
  method: 'post',
  path: '/documents/:id/signature',
  operationId: 'signWithStoredKey',
  summary: 'The chosen signer signs the approved PDF with the key vanthu holds for them',
  tag: 'signing',
  access: { kind: 'role', roles: ['signer', 'branch_secretary'] },
  params: documentIdParams,
  body: passphraseBody,
  responses: {
    200: { description: 'Signed (PAdES B-T, certification DocMDP 2)', schema: summary },
    ...refusals,
  },
  accessExamples: examplesWithFreshTargets(['leader.district'], async (f, fresh) => ({
    path: `/documents/${(await f.documentAt('approved', !fresh)).id}/signature`,
    body: { passphrase: 'vanthu-demo' },
  })),
  async handler(input) {
    const { params, body, ctx } = input;
    await chosenSignerOf(ctx.sequelize, input.actor, params.id);
    const key = await personalKeyOf(ctx.sequelize, input.actor.personId);
    const phases = signaturePhases(input, prepareSignatureUpdate, completeSignatureUpdate);
    return { status: 200, body: await signWithStoredKey(key, body.passphrase, phases) };
  },
});

const prepareSignature = defineRoute({
  method: 'post',
  path: '/documents/:id/signature/prepare',
  operationId: 'prepareExternalSignature',
  summary: 'Two-phase signing (USB token, remote service): get exactly what to sign',
  tag: 'signing',
  access: { kind: 'role', roles: ['signer', 'branch_secretary'] },
  params: documentIdParams,
  body: externalPrepareBody,
  responses: { 200: { description: 'What to sign', schema: prepared }, ...refusals },
  accessExamples: examplesWithFreshTargets(['leader.district'], async (f, fresh) => ({
    path: `/documents/${(await f.documentAt('approved', !fresh)).id}/signature/prepare`,
    body: await f.certificateOf('leader.district'),
  })),
  async handler(input) {
    const { params, body, ctx } = input;
    await chosenSignerOf(ctx.sequelize, input.actor, params.id);
    const phases = signaturePhases(input, prepareSignatureUpdate, completeSignatureUpdate);
    return { status: 200, body: await phases.prepare(handedCertificate(body)) };
  },
});

const completeSignature = defineRoute({
  method: 'post',
  path: '/documents/:id/signature/complete',
  operationId: 'completeExternalSignature',
  summary: 'Two-phase signing: hand in the signature value; it is checked, then embedded',
  tag: 'signing',
  access: { kind: 'role', roles: ['signer', 'branch_secretary'] },
  params: documentIdParams,
  body: externalCompleteBody,
  responses: { 200: { description: 'Signed', schema: summary }, ...refusals },
  accessExamples: examplesWithFreshTargets(['leader.district'], async (f, fresh, persona) => {
    const { id } = await f.documentAt('approved', !fresh);
    if (!fresh) {
      return {
        path: `/documents/${id}/signature/complete`,
        body: {
          sessionId: '00000000-0000-4000-8000-000000000000',
          signatureValue: 'AAAAAAAAAAAAAAAAAAAAAA==',
        },
      };
    }
    const ready = (
      await f.as(
        persona,
        'POST',
        `/documents/${id}/signature/prepare`,
        await f.certificateOf('leader.district'),
      )
    ).body as { sessionId: string; toBeSigned: string };
    return {
      path: `/documents/${id}/signature/complete`,
      body: {
        sessionId: ready.sessionId,
        signatureValue: await f.signWith('leader.district', ready.toBeSigned),
      },
    };
  }),
  async handler(input) {
    const { params, body, ctx } = input;
    await chosenSignerOf(ctx.sequelize, input.actor, params.id);
    const phases = signaturePhases(input, prepareSignatureUpdate, completeSignatureUpdate);
    return { status: 200, body: await phases.complete(body) };
  },
});

const issue = defineRoute({
  method: 'post',
  path: '/documents/:id/issue',
  operationId: 'issueWithStoredSeal',
  summary: 'The clerk issues: next number from the register, number and date on the page, the seal, dispatch',
  tag: 'signing',
  access: { kind: 'role', roles: OFFICE_ROLES },
  params: documentIdParams,
  body: passphraseBody,
  responses: {
    200: { description: 'Issued (PAdES B-LTA) and being dispatched', schema: summary },
    ...refusals,
  },
  accessExamples: examplesWithFreshTargets(ACCESS_GROUPS.office, async (f, fresh) => ({
    path: `/documents/${(await f.documentAt('signed', !fresh)).id}/issue`,
    body: { passphrase: 'vanthu-demo' },
  })),
  async handler(input) {
    const { params, body, ctx } = input;
    const row = await documentForRole(ctx.sequelize, input.actor, params.id, OFFICE_ROLES, 'issue it');
    const key = await sealKeyOf(ctx.sequelize, row.issuingUnitId);
    const phases = signaturePhases(input, prepareIssueUpdate, completeIssueUpdate);
    return { status: 200, body: await signWithStoredKey(key, body.passphrase, phases) };
  },
});

const prepareIssue = defineRoute({
  method: 'post',
  path: '/documents/:id/issue/prepare',
  operationId: 'prepareExternalSeal',
  summary: 'Two-phase issuing (the seal on a token): take the number, get what to sign',
  tag: 'signing',
  access: { kind: 'role', roles: OFFICE_ROLES },
  params: documentIdParams,
  body: externalPrepareBody,
  responses: { 200: { description: 'What to sign, and the number taken', schema: prepared }, ...refusals },
  accessExamples: examplesWithFreshTargets(ACCESS_GROUPS.office, async (f, fresh) => ({
    path: `/documents/${(await f.documentAt('signed', !fresh)).id}/issue/prepare`,
    body: await f.certificateOf('seal.district'),
  })),
  async handler(input) {
    const { params, body, ctx } = input;
    await documentForRole(ctx.sequelize, input.actor, params.id, OFFICE_ROLES, 'issue it');
    const phases = signaturePhases(input, prepareIssueUpdate, completeIssueUpdate);
    return { status: 200, body: await phases.prepare(handedCertificate(body)) };
  },
});

const completeIssue = defineRoute({
  method: 'post',
  path: '/documents/:id/issue/complete',
  operationId: 'completeExternalSeal',
  summary: 'Two-phase issuing: hand in the seal’s signature value',
  tag: 'signing',
  access: { kind: 'role', roles: OFFICE_ROLES },
  params: documentIdParams,
  body: externalCompleteBody,
  responses: { 200: { description: 'Issued', schema: summary }, ...refusals },
  accessExamples: examplesWithFreshTargets(ACCESS_GROUPS.office, async (f, fresh, persona) => {
    const { id } = await f.documentAt('signed', !fresh);
    if (!fresh) {
      return {
        path: `/documents/${id}/issue/complete`,
        body: {
          sessionId: '00000000-0000-4000-8000-000000000000',
          signatureValue: 'AAAAAAAAAAAAAAAAAAAAAA==',
        },
      };
    }
    const ready = (
      await f.as(persona, 'POST', `/documents/${id}/issue/prepare`, await f.certificateOf('seal.district'))
    ).body as { sessionId: string; toBeSigned: string };
    return {
      path: `/documents/${id}/issue/complete`,
      body: {
        sessionId: ready.sessionId,
        signatureValue: await f.signWith('seal.district', ready.toBeSigned),
      },
    };
  }),
  async handler(input) {
    const { params, body, ctx } = input;
    await documentForRole(ctx.sequelize, input.actor, params.id, OFFICE_ROLES, 'issue it');
    const phases = signaturePhases(input, prepareIssueUpdate, completeIssueUpdate);
    return { status: 200, body: await phases.complete(body) };
  },
});

const reasonBody = z.strictObject({ reason: z.string().trim().min(1, 'give a reason').max(2_000) });

const recall = defineRoute({
  method: 'post',
  path: '/documents/:id/recall',
  operationId: 'recall',
  summary: 'Recall (thu hồi) an issued document: every recipient’s copy is frozen and each confirms',
  tag: 'lifecycle',
  access: { kind: 'role', roles: ['leader', 'clerk', 'branch_secretary'] },
  params: documentIdParams,
  body: reasonBody,
  responses: { 200: { description: 'Recalled', schema: summary }, ...refusals },
  accessExamples: examplesWithFreshTargets(ACCESS_GROUPS.leadersAndClerks, async (f, fresh) => ({
    path: `/documents/${(await f.documentAt('dispatched', !fresh)).id}/recall`,
    body: { reason: 'Thu hồi để kiểm tra quyền' },
  })),
  async handler(input) {
    const { params, body, ctx } = input;
    await documentForRole(ctx.sequelize, input.actor, params.id, [...LEADING_ROLES, 'clerk'], 'recall it');
    return {
      status: 200,
      body: await updateDocument(ctx.temporal, params.id, recallUpdate, {
        actor: actorOf(input),
        reason: body.reason,
      }),
    };
  },
});

const cancel = defineRoute({
  method: 'post',
  path: '/documents/:id/cancel',
  operationId: 'cancel',
  summary: 'Cancel a document before it is signed',
  tag: 'lifecycle',
  access: { kind: 'role', roles: DRAFTING_ROLES },
  params: documentIdParams,
  body: reasonBody,
  responses: { 200: { description: 'Cancelled', schema: summary }, ...refusals },
  accessExamples: examplesWithFreshTargets(ACCESS_GROUPS.drafters, async (f, fresh) => ({
    path: `/documents/${(await f.documentAt('draft', !fresh)).id}/cancel`,
    body: { reason: 'Không ban hành nữa' },
  })),
  async handler(input) {
    const { params, body, ctx } = input;
    await documentForRole(ctx.sequelize, input.actor, params.id, DRAFTING_ROLES, 'cancel it');
    return {
      status: 200,
      body: await updateDocument(ctx.temporal, params.id, cancelUpdate, {
        actor: actorOf(input),
        reason: body.reason,
      }),
    };
  },
});

const close = defineRoute({
  method: 'post',
  path: '/documents/:id/close',
  operationId: 'close',
  summary: 'Close a dispatched document (kết thúc)',
  tag: 'lifecycle',
  access: { kind: 'role', roles: OFFICE_ROLES },
  params: documentIdParams,
  responses: { 200: { description: 'Closed', schema: summary }, ...refusals },
  accessExamples: examplesWithFreshTargets(ACCESS_GROUPS.office, async (f, fresh) => ({
    path: `/documents/${(await f.documentAt('dispatched', !fresh)).id}/close`,
  })),
  async handler(input) {
    const { params, ctx } = input;
    await documentForRole(ctx.sequelize, input.actor, params.id, OFFICE_ROLES, 'close it');
    return {
      status: 200,
      body: await updateDocument(ctx.temporal, params.id, closeUpdate, { actor: actorOf(input) }),
    };
  },
});

export const lifecycleRoutes = [
  editDraft,
  submit,
  decide,
  sign,
  prepareSignature,
  completeSignature,
  issue,
  prepareIssue,
  completeIssue,
  recall,
  cancel,
  close,
];
