/**
 * Appending to the audit log inside the caller's transaction, so an action and its
 * audit entry commit together or not at all. The chain has one head: appends take a
 * transaction-scoped advisory lock, so concurrent writers queue instead of forking it.
 * Batch several entries in one call when one action produces many.
 */
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { type AuditFields, auditEntryHash, GENESIS_HASH } from '../domain/audit-chain';

const AUDIT_CHAIN_LOCK = 7_238_102;

export type AuditEntry = Omit<AuditFields, 'seq' | 'at'> & { at?: Date };

/** Appends entries in order; entries whose idempotency key is already logged are skipped. */
export async function appendAudit(
  sequelize: Sequelize,
  transaction: Transaction,
  entries: readonly AuditEntry[],
): Promise<number> {
  if (entries.length === 0) return 0;
  const keys = entries.map((e) => e.idempotencyKey).filter((k): k is string => k !== null);
  let fresh = entries;
  if (keys.length > 0) {
    const seen = await sequelize.query<{ idempotency_key: string }>(
      'SELECT idempotency_key FROM audit_event WHERE idempotency_key = ANY($1::text[])',
      { bind: [keys], type: QueryTypes.SELECT, transaction },
    );
    const logged = new Set(seen.map((r) => r.idempotency_key));
    fresh = entries.filter((e) => e.idempotencyKey === null || !logged.has(e.idempotencyKey));
    if (fresh.length === 0) return 0;
  }
  await sequelize.query('SELECT pg_advisory_xact_lock(:lock)', {
    replacements: { lock: AUDIT_CHAIN_LOCK },
    transaction,
  });
  const [head] = await sequelize.query<{ seq: string; hash: string }>(
    'SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1',
    { type: QueryTypes.SELECT, transaction },
  );
  let seq = head ? Number(head.seq) : 0;
  let prevHash = head ? head.hash : GENESIS_HASH;
  const rows: unknown[][] = [];
  for (const entry of fresh) {
    seq += 1;
    const fields: AuditFields = {
      seq,
      at: (entry.at ?? new Date()).toISOString(),
      actorPersonId: entry.actorPersonId,
      actorUnitId: entry.actorUnitId,
      source: entry.source,
      action: entry.action,
      documentId: entry.documentId,
      versionSha256: entry.versionSha256,
      detail: entry.detail,
      idempotencyKey: entry.idempotencyKey,
    };
    const hash = auditEntryHash(fields, prevHash);
    rows.push([
      seq,
      fields.at,
      fields.actorPersonId,
      fields.actorUnitId,
      fields.source,
      fields.action,
      fields.documentId,
      fields.versionSha256,
      JSON.stringify(fields.detail),
      fields.idempotencyKey,
      prevHash,
      hash,
    ]);
    prevHash = hash;
  }
  // 12 parameters a row; PostgreSQL allows 65,535 per statement.
  for (let start = 0; start < rows.length; start += 1_000) {
    const chunk = rows.slice(start, start + 1_000);
    const placeholders = chunk.map(
      (_, i) => `(${Array.from({ length: 12 }, (_, j) => `$${i * 12 + j + 1}`).join(',')})`,
    );
    await sequelize.query(
      `INSERT INTO audit_event (seq, at, actor_person_id, actor_unit_id, source, action, document_id,
         version_sha256, detail, idempotency_key, prev_hash, hash) VALUES ${placeholders.join(',')}`,
      { bind: chunk.flat(), transaction },
    );
  }
  return rows.length;
}
