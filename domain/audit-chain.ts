/**
 * The audit log's hash chains, as a rule anyone can re-check. Entries are spread over
 * AUDIT_CHAINS chains (by document, else by actor); within a chain each entry's hash is
 * the SHA-256 of the canonical JSON of its fields together with the previous entry's
 * hash. The first entry of a chain follows 64 zeros.
 */
import { sha256Hex } from './content-hash';
import { canonicalJson } from './document';

export const GENESIS_HASH = '0'.repeat(64);
export const AUDIT_CHAINS = 32;

export interface AuditFields {
  chain: number;
  seq: number;
  /** ISO 8601 with milliseconds, UTC. */
  at: string;
  actorPersonId: number | null;
  actorUnitId: number | null;
  /** Where the action came from: a client address, or `workflow:<id>`. */
  source: string;
  action: string;
  documentId: string | null;
  versionSha256: string | null;
  detail: Record<string, unknown>;
  idempotencyKey: string | null;
}

export function auditEntryHash(fields: AuditFields, prevHash: string): string {
  return sha256Hex(canonicalJson({ ...fields, prevHash }));
}

/**
 * Which chain an entry joins: the one its writer chose, if any (an acknowledgment batch
 * appends all its entries to one chain); else a document's own entries stay together,
 * in order, and entries that name a key of their own spread over the chains by it.
 */
export function auditChainFor(entry: {
  chain?: number | undefined;
  chainKey?: string | undefined;
  documentId: string | null;
  actorPersonId: number | null;
}): number {
  if (entry.chain !== undefined) {
    if (!Number.isInteger(entry.chain) || entry.chain < 0 || entry.chain >= AUDIT_CHAINS)
      throw new RangeError(`no audit chain ${entry.chain}`);
    return entry.chain;
  }
  const key = entry.chainKey ?? entry.documentId ?? `person:${entry.actorPersonId ?? 'system'}`;
  return Number.parseInt(sha256Hex(key).slice(0, 8), 16) % AUDIT_CHAINS;
}
