/**
 * Documents: creating a draft starts its workflow (`document-<id>`) and answers with
 * what the workflow stored; reads come from the read model in PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
} from '@temporalio/client';
import { Router } from 'express';
import { QueryTypes, type Sequelize } from 'sequelize';
import { z } from 'zod';
import type { DocumentSummary } from '../../activities/documents';
import { DocumentRow, DocumentTypeRow, DocumentVersion, OrgUnit } from '../../db/models';
import { holdsRoleOver } from '../../db/people';
import { refuseSecret, URGENCIES } from '../../domain/document';
import { DomainError } from '../../domain/errors';
import { createdUpdate, DOCUMENT_WORKFLOW, documentWorkflowId } from '../../workflows/definitions';
import type { documentWorkflow } from '../../workflows/document';
import { requireActor } from '../auth';
import { idParam, jsonBody, parseWith } from '../validate';

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

export const createDocumentSchema = z.strictObject({
  id: z.string().uuid('must be a UUID').optional(),
  type: z.string().min(1).max(10),
  subject: text(500),
  body: z.array(z.string().max(20_000)).min(1, 'needs at least one paragraph').max(500),
  urgency: z.enum(URGENCIES).default('thuong'),
  secrecy: z.string().max(30).optional(),
  issuingUnitId: z.number().int().positive().optional(),
  recipientsNote: z.string().max(2_000).optional(),
});

/** How long a create request waits for the workflow before answering 202 Accepted. */
const CREATE_WAIT_MS = 10_000;

const DRAFTING_ROLES = ['drafter', 'clerk', 'leader', 'signer', 'branch_secretary'] as const;

export function documentRoutes(deps: { sequelize: Sequelize; temporal: Client; taskQueue: string }): Router {
  const { sequelize, temporal, taskQueue } = deps;
  const router = Router();

  router.post('/documents', async (req, res) => {
    const actor = requireActor(req);
    // Secrecy is checked first, on the raw body, so a secret document is refused even
    // when the rest of it is malformed — and nothing of it is stored or logged.
    refuseSecret(typeof req.body?.secrecy === 'string' ? req.body.secrecy : undefined);
    const input = jsonBody(req, createDocumentSchema);

    const issuingUnitId =
      input.issuingUnitId ??
      actor.roles.find((r) => (DRAFTING_ROLES as readonly string[]).includes(r.role))?.unitId;
    if (issuingUnitId === undefined) {
      throw new DomainError('forbidden', 'you hold no drafting role in any unit', 'body.issuingUnitId');
    }
    const unit = await OrgUnit.findByPk(issuingUnitId);
    if (!unit)
      throw new DomainError('validation', `unit ${issuingUnitId} does not exist`, 'body.issuingUnitId');
    if (!holdsRoleOver(actor, unit.path, DRAFTING_ROLES)) {
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

    const documentId = input.id ?? randomUUID();
    const workflowId = documentWorkflowId(documentId);
    const created = temporal.workflow.executeUpdateWithStart(createdUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation<typeof documentWorkflow>(DOCUMENT_WORKFLOW, {
        workflowId,
        taskQueue,
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        args: [
          {
            draft: {
              documentId,
              typeCode: input.type,
              urgency: input.urgency,
              issuingUnitId,
              createdBy: actor.personId,
              content: {
                subject: input.subject,
                body: input.body,
                ...(input.recipientsNote ? { recipientsNote: input.recipientsNote } : {}),
              },
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
      res.status(202).location(location).json({ id: documentId, status: 'pending', workflowId });
      return;
    }
    res
      .status(201)
      .location(location)
      .json({ ...summary, workflowId });
  });

  router.get('/documents/:id', async (req, res) => {
    const actor = requireActor(req);
    const id = parseWith(idParam, req.params.id, 'path.id');
    const document = await DocumentRow.findByPk(id);
    const unit = document ? await OrgUnit.findByPk(document.issuingUnitId) : null;
    // Another unit's document is "not found", not "forbidden": its existence is private.
    if (!document || !unit || !holdsRoleOver(actor, unit.path)) {
      throw new DomainError('not_found', `no document ${id}`);
    }
    const versions = await DocumentVersion.findAll({
      where: { documentId: id },
      attributes: ['version', 'sha256', 'createdAt', 'createdBy'],
      order: [['version', 'ASC']],
    });
    res.json({
      id: document.id,
      type: document.typeCode,
      subject: document.subject,
      status: document.status,
      urgency: document.urgency,
      issuingUnit: { id: unit.id, code: unit.code, name: unit.name },
      createdBy: document.createdBy,
      currentVersion: document.currentVersion,
      versions: versions.map((v) => ({ version: v.version, sha256: v.sha256, createdAt: v.createdAt })),
      workflowId: document.workflowId,
      createdAt: document.createdAt,
      updatedAt: document.updatedAt,
    });
  });

  router.get('/documents/:id/timeline', async (req, res) => {
    const actor = requireActor(req);
    const id = parseWith(idParam, req.params.id, 'path.id');
    const [row] = await sequelize.query<{ path: string }>(
      'SELECT u.path FROM document d JOIN org_unit u ON u.id = d.issuing_unit_id WHERE d.id = :id',
      { replacements: { id }, type: QueryTypes.SELECT },
    );
    if (!row || !holdsRoleOver(actor, row.path)) throw new DomainError('not_found', `no document ${id}`);
    const events = await sequelize.query<{
      seq: string;
      at: Date;
      action: string;
      actor_person_id: number | null;
      full_name: string | null;
      version_sha256: string | null;
      detail: Record<string, unknown>;
    }>(
      `SELECT e.seq, e.at, e.action, e.actor_person_id, p.full_name, e.version_sha256, e.detail
         FROM audit_event e LEFT JOIN person p ON p.id = e.actor_person_id
        WHERE e.document_id = :id ORDER BY e.seq`,
      { replacements: { id }, type: QueryTypes.SELECT },
    );
    res.json({
      documentId: id,
      events: events.map((e) => ({
        seq: Number(e.seq),
        at: e.at,
        action: e.action,
        actor: e.actor_person_id === null ? null : { id: e.actor_person_id, name: e.full_name },
        versionSha256: e.version_sha256,
        detail: e.detail,
      })),
    });
  });

  return router;
}
