/**
 * Activities that write a document's state. Each writes the document row (the read
 * model), the version and the audit entry in one transaction, and is keyed so that a
 * retry after a crash writes nothing twice.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Sequelize } from 'sequelize';
import { appendAudit } from '../db/audit';
import { DocumentRow, DocumentVersion } from '../db/models';
import { contentHash } from '../domain/content-hash';
import type { DraftContent, Urgency } from '../domain/document';
import type { DocumentStatus } from '../domain/lifecycle';
import { classifyFailures } from './failures';

export interface NewDraft {
  documentId: string;
  workflowId: string;
  typeCode: string;
  urgency: Urgency;
  issuingUnitId: number;
  createdBy: number;
  content: DraftContent;
  /** Where the request came from (client address), for the audit trail. */
  source: string;
  /** The workflow's clock at creation, so a retry records the same time. */
  at: string;
}

export interface DocumentSummary {
  id: string;
  status: DocumentStatus;
  version: number;
  sha256: string;
}

export function documentActivities(sequelize: Sequelize) {
  return {
    async createDraft(draft: NewDraft): Promise<DocumentSummary> {
      const sha256 = contentHash(draft.content);
      const at = new Date(draft.at);
      return classifyFailures(() =>
        sequelize.transaction(async (transaction) => {
          const existing = await DocumentRow.findByPk(draft.documentId, { transaction });
          if (existing) {
            // A retry of an activity that already committed: report what is there.
            if (existing.workflowId !== draft.workflowId) {
              throw ApplicationFailure.nonRetryable(
                `document ${draft.documentId} belongs to another workflow`,
              );
            }
            const version = await DocumentVersion.findOne({
              where: { documentId: draft.documentId, version: 1 },
              transaction,
            });
            return { id: existing.id, status: 'draft', version: 1, sha256: version?.sha256 ?? sha256 };
          }
          await DocumentRow.create(
            {
              id: draft.documentId,
              typeCode: draft.typeCode,
              subject: draft.content.subject,
              status: 'draft',
              urgency: draft.urgency,
              issuingUnitId: draft.issuingUnitId,
              createdBy: draft.createdBy,
              currentVersion: 1,
              workflowId: draft.workflowId,
              createdAt: at,
              updatedAt: at,
            },
            { transaction },
          );
          await DocumentVersion.create(
            {
              documentId: draft.documentId,
              version: 1,
              sha256,
              content: draft.content,
              createdBy: draft.createdBy,
              createdAt: at,
            },
            { transaction },
          );
          await appendAudit(sequelize, transaction, [
            {
              at,
              actorPersonId: draft.createdBy,
              actorUnitId: draft.issuingUnitId,
              source: draft.source,
              action: 'document.created',
              documentId: draft.documentId,
              versionSha256: sha256,
              detail: { type: draft.typeCode, subject: draft.content.subject, version: 1 },
              idempotencyKey: `${draft.workflowId}:created`,
            },
          ]);
          return { id: draft.documentId, status: 'draft', version: 1, sha256 };
        }),
      );
    },
  };
}

export type DocumentActivities = ReturnType<typeof documentActivities>;
