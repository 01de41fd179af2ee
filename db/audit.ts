/**
 * Appending to the audit log inside the caller's transaction, so an action and its
 * audit entry commit together or not at all. Each chain has one head row, locked FOR
 * UPDATE while appending, so writers to the same chain queue and writers to different
 * chains do not. Chains are locked in ascending order so two transactions never deadlock.
 */
import type { Sequelize, Transaction } from 'sequelize';
import { type AuditFields, auditChainFor, auditEntryHash } from '../domain/audit-chain';
import { sqlIn } from './sql';

export type AuditEntry = Omit<AuditFields, 'seq' | 'at' | 'chain'> & {
  at?: Date;
  /** Spreads entries of one document over the chains (see auditChainFor). */
  chainKey?: string;
};

const COLUMNS = [
  'chain',
  'seq',
  'at',
  'actor_person_id',
  'actor_unit_id',
  'source',
  'action',
  'document_id',
  'version_sha256',
  'detail',
  'idempotency_key',
  'prev_hash',
  'hash',
] as const;

/** Appends entries (in order within each chain); entries whose idempotency key is logged are skipped. */
export async function appendAudit(
  sequelize: Sequelize,
  transaction: Transaction,
  entries: readonly AuditEntry[],
): Promise<number> {
  if (entries.length === 0) return 0;
  const sql = sqlIn(transaction);
  const keys = entries.map((e) => e.idempotencyKey).filter((k): k is string => k !== null);
  let fresh = entries;
  if (keys.length > 0) {
    const seen = await sql<{ idempotency_key: string }>(
      'SELECT idempotency_key FROM audit_event WHERE idempotency_key = ANY($1::text[])',
      [keys],
    );
    const logged = new Set(seen.map((r) => r.idempotency_key));
    fresh = entries.filter((e) => e.idempotencyKey === null || !logged.has(e.idempotencyKey));
    if (fresh.length === 0) return 0;
  }

  const byChain = new Map<number, AuditEntry[]>();
  for (const entry of fresh) {
    const chain = auditChainFor(entry);
    byChain.set(chain, [...(byChain.get(chain) ?? []), entry]);
  }
  // Every head involved is locked in one statement, in chain order (so two writers never
  // deadlock), and advanced in one statement after the entries are hashed.
  const chains = [...byChain.keys()].sort((a, b) => a - b);
  const heads = await sql<{ chain: number; seq: string; hash: string }>(
    'SELECT chain, seq, hash FROM audit_chain_head WHERE chain = ANY($1::smallint[]) ORDER BY chain FOR UPDATE',
    [chains],
  );
  if (heads.length !== chains.length) throw new Error('an audit chain has no head row');
  const rows: unknown[][] = [];
  const advanced: Array<{ chain: number; seq: number; hash: string }> = [];
  for (const head of heads) {
    const chain = Number(head.chain);
    let seq = Number(head.seq);
    let prevHash = head.hash;
    for (const entry of byChain.get(chain)!) {
      seq += 1;
      const fields: AuditFields = {
        chain,
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
        chain,
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
    advanced.push({ chain, seq, hash: prevHash });
  }
  await sql(
    `UPDATE audit_chain_head h SET seq = v.seq, hash = v.hash
       FROM unnest($1::smallint[], $2::bigint[], $3::text[]) AS v(chain, seq, hash) WHERE h.chain = v.chain`,
    [advanced.map((a) => a.chain), advanced.map((a) => a.seq), advanced.map((a) => a.hash)],
  );
  // Column arrays through unnest: one statement text whatever the number of entries.
  const column = (i: number) => rows.map((row) => row[i]);
  await sql(
    `INSERT INTO audit_event (${COLUMNS.join(', ')})
     SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::timestamptz[], $4::int[], $5::int[], $6::text[], $7::text[],
                          $8::uuid[], $9::char(64)[], $10::jsonb[], $11::text[], $12::char(64)[], $13::char(64)[])`,
    COLUMNS.map((_, i) => column(i)),
  );
  return rows.length;
}
