/**
 * Appending to the audit log inside the caller's transaction, so an action and its
 * audit entry commit together or not at all. Each chain has one head row, locked FOR
 * UPDATE while appending, so writers to the same chain queue and writers to different
 * chains do not. Chains are locked in ascending order so two transactions never deadlock.
 */
import type { Sequelize, Transaction } from 'sequelize';
import { type AuditFields, auditChainFor, auditEntryHash } from '../domain/audit-chain';
import { type Column, type Sql, sqlIn, type WritePart, writeTogether } from './sql';

export type AuditEntry = Omit<AuditFields, 'seq' | 'at' | 'chain'> & {
  at?: Date;
  /** Spreads entries of one document over the chains (see auditChainFor). */
  chainKey?: string;
  /** The chain itself, when the writer chose it (see auditChainFor). */
  chain?: number;
};

const COLUMNS: readonly Column[] = [
  ['chain', 'smallint'],
  ['seq', 'bigint'],
  ['at', 'timestamptz'],
  ['actor_person_id', 'int'],
  ['actor_unit_id', 'int'],
  ['source', 'text'],
  ['action', 'text'],
  ['document_id', 'uuid'],
  ['version_sha256', 'char(64)'],
  ['detail', 'jsonb'],
  ['idempotency_key', 'text'],
  ['prev_hash', 'char(64)'],
  ['hash', 'char(64)'],
];

const HEAD_COLUMNS: readonly Column[] = [
  ['chain', 'smallint'],
  ['seq', 'bigint'],
  ['hash', 'text'],
];

export interface LockedHead {
  chain: number;
  seq: string | number;
  hash: string;
}

/** The chains `entries` go to, ascending: the order their heads are locked in. */
export function auditChainsOf(entries: readonly AuditEntry[]): number[] {
  return [...new Set(entries.map(auditChainFor))].sort((a, b) => a - b);
}

/**
 * Locks the heads of the chains in the array parameter `chains` (say `$1`), ascending so
 * two writers never deadlock. Usable as a WITH query, so a caller can take the locks
 * together with a statement of its own.
 */
export function lockAuditHeads(chains: string): string {
  return `SELECT chain, seq, hash FROM audit_chain_head WHERE chain = ANY(${chains}::smallint[]) ORDER BY chain FOR UPDATE`;
}

/**
 * The entries hashed onto their chains' locked heads, as the writes that append them and
 * advance the heads (see writeTogether).
 */
export function chainedAuditWrites(
  heads: readonly LockedHead[],
  entries: readonly AuditEntry[],
): WritePart[] {
  const byChain = new Map<number, AuditEntry[]>();
  for (const entry of entries) {
    const chain = auditChainFor(entry);
    byChain.set(chain, [...(byChain.get(chain) ?? []), entry]);
  }
  if (heads.length !== byChain.size || heads.some((h) => !byChain.has(Number(h.chain)))) {
    throw new Error('an audit chain has no locked head row');
  }
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
        fields.detail,
        fields.idempotencyKey,
        prevHash,
        hash,
      ]);
      prevHash = hash;
    }
    advanced.push({ chain, seq, hash: prevHash });
  }
  // Rows as one parameter: one statement text whatever the number of entries.
  const names = COLUMNS.map(([name]) => name).join(', ');
  return [
    (p) =>
      `UPDATE audit_chain_head h SET seq = v.seq, hash = v.hash
         FROM ${p.addRows(
           advanced.map((a) => [a.chain, a.seq, a.hash]),
           HEAD_COLUMNS,
           'v',
         )}
        WHERE h.chain = v.chain`,
    (p) => `INSERT INTO audit_event (${names}) SELECT ${names} FROM ${p.addRows(rows, COLUMNS, 'e')}`,
  ];
}

/** Appends entries (in order within each chain); entries whose idempotency key is logged are skipped. */
export async function appendAudit(
  _sequelize: Sequelize,
  transaction: Transaction,
  entries: readonly AuditEntry[],
): Promise<number> {
  return appendAuditWith(sqlIn(transaction), entries);
}

/** appendAudit on the statements of a transaction already open. */
export async function appendAuditWith(sql: Sql, entries: readonly AuditEntry[]): Promise<number> {
  if (entries.length === 0) return 0;
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
  const heads = await sql<LockedHead>(lockAuditHeads('$1'), [auditChainsOf(fresh)]);
  await writeTogether(sql, chainedAuditWrites(heads, fresh));
  return fresh.length;
}
