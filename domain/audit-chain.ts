/**
 * The audit log's hash chain, as a rule anyone can re-check: each entry's hash is the
 * SHA-256 of the canonical JSON of its fields together with the previous entry's hash.
 * The first entry's previous hash is 64 zeros.
 */
import { sha256Hex } from './content-hash';
import { canonicalJson } from './document';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditFields {
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
