/** Drafting: the first version, later versions, and plain status changes. */
import { ApplicationFailure } from '@temporalio/activity';
import { QueryTypes } from 'sequelize';
import { contentHash } from '../../domain/content-hash';
import type { DraftContent, Urgency } from '../../domain/document';
import type { DocumentStatus, DocumentSummary } from '../../domain/lifecycle';
import { foldForSearch } from '../../domain/search';
import type { ActorRef } from '../../workflows/definitions';
import { auditDocument, inTransaction, type LifecycleDeps, setStatus } from './context';

export interface NewDraft {
  documentId: string;
  workflowId: string;
  typeCode: string;
  urgency: Urgency;
  issuingUnitId: number;
  createdBy: number;
  content: DraftContent;
  /** A replacement (thay thế) names the document it replaces. */
  replacesDocumentId?: string;
  /** A report answers a report request. */
  reportRequestId?: string;
  /** Where the request came from (client address), for the audit trail. */
  source: string;
  /** The workflow's clock at creation, so a retry records the same time. */
  at: string;
}

export function draftActivities({ sequelize }: LifecycleDeps) {
  async function versionRow(documentId: string, version: number) {
    const [row] = await sequelize.query<{ sha256: string }>(
      'SELECT sha256 FROM document_version WHERE document_id = $1 AND version = $2',
      { bind: [documentId, version], type: QueryTypes.SELECT },
    );
    return row;
  }

  return {
    async createDraft(draft: NewDraft): Promise<DocumentSummary> {
      const sha256 = contentHash(draft.content);
      return inTransaction(sequelize, async (transaction) => {
        const [existing] = await sequelize.query<{ workflow_id: string }>(
          'SELECT workflow_id FROM document WHERE id = $1',
          { bind: [draft.documentId], type: QueryTypes.SELECT, transaction },
        );
        if (existing) {
          // A retry of an activity that already committed: report what is there.
          if (existing.workflow_id !== draft.workflowId) {
            throw ApplicationFailure.nonRetryable(`document ${draft.documentId} belongs to another workflow`);
          }
          return { id: draft.documentId, status: 'draft', version: 1, sha256 };
        }
        await sequelize.query(
          `INSERT INTO document (id, type_code, subject, subject_folded, status, urgency, issuing_unit_id, created_by,
              current_version, workflow_id, created_at, updated_at, signer_person_id, recipients, response_due,
              replaces_document_id, report_request_id)
           VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, 1, $8, $9, $9, $10, $11, $12, $13, $14)`,
          {
            bind: [
              draft.documentId,
              draft.typeCode,
              draft.content.subject,
              foldForSearch(draft.content.subject),
              draft.urgency,
              draft.issuingUnitId,
              draft.createdBy,
              draft.workflowId,
              draft.at,
              draft.content.signer?.personId ?? null,
              JSON.stringify(draft.content.recipients ?? []),
              draft.content.responseDue ?? null,
              draft.replacesDocumentId ?? null,
              draft.reportRequestId ?? null,
            ],
            transaction,
          },
        );
        await sequelize.query(
          `INSERT INTO document_version (document_id, version, sha256, content, created_by, created_at)
           VALUES ($1, 1, $2, $3, $4, $5)`,
          {
            bind: [draft.documentId, sha256, JSON.stringify(draft.content), draft.createdBy, draft.at],
            transaction,
          },
        );
        if (draft.reportRequestId) {
          await sequelize.query(
            `UPDATE report_expectation SET document_id = $3
              WHERE request_id = $1 AND unit_id = $2 AND document_id IS NULL`,
            { bind: [draft.reportRequestId, draft.issuingUnitId, draft.documentId], transaction },
          );
        }
        await auditDocument(sequelize, transaction, {
          documentId: draft.documentId,
          workflowId: draft.workflowId,
          key: 'created',
          action: 'document.created',
          actor: { personId: draft.createdBy, source: draft.source },
          actorUnitId: draft.issuingUnitId,
          versionSha256: sha256,
          detail: { type: draft.typeCode, subject: draft.content.subject, version: 1 },
          at: draft.at,
        });
        return { id: draft.documentId, status: 'draft', version: 1, sha256 };
      });
    },

    async saveVersion(input: {
      documentId: string;
      workflowId: string;
      version: number;
      content: DraftContent;
      actor: ActorRef;
      at: string;
    }): Promise<DocumentSummary> {
      const sha256 = contentHash(input.content);
      const existing = await versionRow(input.documentId, input.version);
      if (existing)
        return { id: input.documentId, status: 'draft', version: input.version, sha256: existing.sha256 };
      return inTransaction(sequelize, async (transaction) => {
        await sequelize.query(
          `INSERT INTO document_version (document_id, version, sha256, content, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          {
            bind: [
              input.documentId,
              input.version,
              sha256,
              JSON.stringify(input.content),
              input.actor.personId,
              input.at,
            ],
            transaction,
          },
        );
        await setStatus(sequelize, transaction, input.documentId, 'draft', input.at, {
          current_version: input.version,
          subject: input.content.subject,
          subject_folded: foldForSearch(input.content.subject),
          signer_person_id: input.content.signer?.personId ?? null,
          recipients: JSON.stringify(input.content.recipients ?? []),
          response_due: input.content.responseDue ?? null,
        });
        await auditDocument(sequelize, transaction, {
          documentId: input.documentId,
          workflowId: input.workflowId,
          key: `version:${input.version}`,
          action: 'document.edited',
          actor: input.actor,
          versionSha256: sha256,
          detail: { version: input.version },
          at: input.at,
        });
        return { id: input.documentId, status: 'draft', version: input.version, sha256 };
      });
    },

    async recordStatus(input: {
      documentId: string;
      workflowId: string;
      status: DocumentStatus;
      action: string;
      actor: ActorRef | null;
      detail: Record<string, unknown>;
      at: string;
    }): Promise<void> {
      await inTransaction(sequelize, async (transaction) => {
        const fresh = await auditDocument(sequelize, transaction, {
          documentId: input.documentId,
          workflowId: input.workflowId,
          key: input.action,
          action: input.action,
          actor: input.actor,
          detail: input.detail,
          at: input.at,
        });
        if (fresh) await setStatus(sequelize, transaction, input.documentId, input.status, input.at);
      });
    },

    async documentNumber(input: { documentId: string }): Promise<string | null> {
      const [row] = await sequelize.query<{ number: string | null }>(
        'SELECT number FROM document WHERE id = $1',
        {
          bind: [input.documentId],
          type: QueryTypes.SELECT,
        },
      );
      return row?.number ?? null;
    },
  };
}
