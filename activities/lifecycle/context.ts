/**
 * What lifecycle activities share: the database, the deployment PKI, and small helpers
 * that keep every write of an action in one transaction with its audit entry.
 */
import type { Sequelize, Transaction } from 'sequelize';
import { type AuditEntry, appendAudit } from '../../db/audit';
import type { DocumentStatus } from '../../domain/lifecycle';
import type { Logger } from '../../runtime/logger';
import type { DeploymentPki } from '../../runtime/pki';
import type { ActorRef } from '../../workflows/definitions';
import { classifyFailures } from '../failures';

export interface LifecycleDeps {
  sequelize: Sequelize;
  pki: DeploymentPki;
  publicUrl: string;
  logger: Logger;
}

/** Runs `work` in one transaction; data errors fail at once instead of retrying. */
export function inTransaction<T>(
  sequelize: Sequelize,
  work: (transaction: Transaction) => Promise<T>,
): Promise<T> {
  return classifyFailures(() => sequelize.transaction(work));
}

export interface AuditOf {
  documentId: string;
  workflowId: string;
  /** Unique within the document's workflow: a retried activity records nothing twice. */
  key: string;
  action: string;
  actor: ActorRef | null;
  actorUnitId?: number | null;
  versionSha256?: string | null;
  detail?: Record<string, unknown>;
  at: string;
}

/** One audit entry for a document action, keyed for idempotency. Returns false if already logged. */
export async function auditDocument(
  sequelize: Sequelize,
  transaction: Transaction,
  entry: AuditOf,
): Promise<boolean> {
  const record: AuditEntry = {
    at: new Date(entry.at),
    actorPersonId: entry.actor?.personId ?? null,
    actorUnitId: entry.actorUnitId ?? null,
    source: entry.actor?.source ?? `workflow:${entry.workflowId}`,
    action: entry.action,
    documentId: entry.documentId,
    versionSha256: entry.versionSha256 ?? null,
    detail: entry.detail ?? {},
    idempotencyKey: `${entry.workflowId}:${entry.key}`,
  };
  return (await appendAudit(sequelize, transaction, [record])) > 0;
}

export async function setStatus(
  sequelize: Sequelize,
  transaction: Transaction,
  documentId: string,
  status: DocumentStatus,
  at: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const columns = Object.keys(extra);
  const sets = columns.map((c, i) => `${c} = $${i + 4}`);
  await sequelize.query(
    `UPDATE document SET status = $2, updated_at = $3${sets.length ? `, ${sets.join(', ')}` : ''} WHERE id = $1`,
    { bind: [documentId, status, at, ...columns.map((c) => extra[c])], transaction },
  );
}
