/**
 * Re-checks the whole audit log and names whatever does not hold, by chain, seq and id:
 *
 *   altered    — an entry's fields no longer match its hash (edited in place); when only its
 *                seq changed, the detail says from which seq it was renumbered;
 *   deleted    — a link is broken: the entry before this one is gone (or the head of the
 *                chain records more entries than there are: a deleted tail);
 *   inserted   — an entry that its successor links past, or that lies beyond the head;
 *   head_mismatch — the chain head row does not describe the last entry;
 *   rewritten / truncated — the chain no longer contains what the latest anchor timestamped
 *                (this catches a database owner who rewrote a chain and recomputed every
 *                hash and the head, which the chain alone cannot show);
 *   anchor_invalid / anchor_untrusted — an anchor's timestamp token does not verify, does
 *                not cover its heads, or was not issued by a TSA the deployment trusts.
 *
 * Everything is read in one REPEATABLE READ snapshot, so appends while verifying are
 * neither missed nor mistaken for insertions. Limit: entries appended after the latest
 * anchor can be removed or forged by the database owner together with the head row
 * without a trace; anchoring often keeps that window short.
 */
import { createHash } from 'node:crypto';
import { QueryTypes, type Sequelize, Transaction } from 'sequelize';
import { AUDIT_CHAINS, type AuditFields, auditEntryHash, GENESIS_HASH } from '../domain/audit-chain';
import { canonicalJson } from '../domain/document';
import type { TrustStore } from '../pki/trust/store';
import { checkTimestampToken } from '../pki/tsa/token';

export interface ChainHead {
  chain: number;
  seq: number;
  hash: string;
}

export type AuditFindingKind =
  | 'altered'
  | 'deleted'
  | 'inserted'
  | 'head_mismatch'
  | 'rewritten'
  | 'truncated'
  | 'anchor_invalid'
  | 'anchor_untrusted';

export interface AuditFinding {
  kind: AuditFindingKind;
  chain: number | null;
  seq: number | null;
  /** audit_event id (or audit_anchor id for anchor findings), when there is a row to name. */
  id: string | null;
  detail: string;
}

export interface AuditVerification {
  intact: boolean;
  checkedAt: string;
  chains: number;
  entries: number;
  anchors: {
    checked: number;
    valid: number;
    /** Whether TSA certificates were checked against a trust store. */
    trustChecked: boolean;
    latest: { id: string; anchoredAt: string; digest: string } | null;
  };
  findings: AuditFinding[];
  /** Findings beyond `maxFindings` are counted, not listed. */
  findingsOmitted: number;
}

export interface VerifyOptions {
  /** Trust store for the TSA certificate of anchors (the deployment's). */
  trust?: TrustStore;
  batchSize?: number;
  maxFindings?: number;
  /** Read within this transaction (tests tamper inside one and roll it back). */
  transaction?: Transaction;
}

/** The digest an anchor timestamps: SHA-256 of the canonical JSON of all chain heads. */
export function auditHeadsDigest(heads: readonly ChainHead[]): string {
  const sorted = [...heads]
    .sort((a, b) => a.chain - b.chain)
    .map((h) => ({ chain: h.chain, seq: h.seq, hash: h.hash }));
  return createHash('sha256')
    .update(canonicalJson({ heads: sorted }))
    .digest('hex');
}

/** An audit_event row as PostgreSQL returns it. */
export interface AuditEventRow {
  id: string;
  chain: number;
  seq: string;
  at: Date;
  actor_person_id: number | null;
  actor_unit_id: number | null;
  source: string;
  action: string;
  document_id: string | null;
  version_sha256: string | null;
  detail: Record<string, unknown>;
  idempotency_key: string | null;
  prev_hash: string;
  hash: string;
}

/** The hashed fields of a row (at `seq`, to forge or re-place an entry in tests). */
export function auditFieldsOf(row: AuditEventRow, seq = Number(row.seq)): AuditFields {
  return {
    chain: row.chain,
    seq,
    at: row.at.toISOString(),
    actorPersonId: row.actor_person_id,
    actorUnitId: row.actor_unit_id,
    source: row.source,
    action: row.action,
    documentId: row.document_id,
    versionSha256: row.version_sha256,
    detail: row.detail,
    idempotencyKey: row.idempotency_key,
  };
}

class Findings {
  readonly list: AuditFinding[] = [];
  omitted = 0;
  readonly #named = new Set<string>();
  constructor(private readonly max: number) {}

  add(finding: AuditFinding): void {
    const key = `${finding.kind}:${finding.chain}:${finding.seq}:${finding.id}`;
    if (this.#named.has(key)) return;
    this.#named.add(key);
    if (this.list.length < this.max) this.list.push(finding);
    else this.omitted += 1;
  }
}

interface Walked {
  id: string;
  seq: number;
  hash: string;
  prevHash: string;
}

/** State of one chain while its entries stream past in seq order. */
class ChainWalk {
  #prev: Walked | null = null;
  #beforePrev: Walked | null = null;
  last: Walked | null = null;
  readonly beyondHead: Walked[] = [];

  constructor(
    readonly chain: number,
    private readonly head: ChainHead,
    private readonly anchored: ChainHead | undefined,
    private readonly findings: Findings,
  ) {}

  visit(row: AuditEventRow): void {
    const seq = Number(row.seq);
    const at = { chain: this.chain, seq, id: row.id };
    const contentOk = auditEntryHash(auditFieldsOf(row), row.prev_hash) === row.hash;
    if (!contentOk) {
      const renumberedFrom = [-3, -2, -1, 1, 2, 3]
        .map((d) => seq + d)
        .find((s) => s >= 1 && auditEntryHash(auditFieldsOf(row, s), row.prev_hash) === row.hash);
      this.findings.add({
        kind: 'altered',
        ...at,
        detail:
          renumberedFrom !== undefined
            ? `entry ${row.id} was renumbered from seq ${renumberedFrom} to ${seq}`
            : `the fields of entry ${row.id} no longer match its hash (edited after it was written)`,
      });
    }
    const prev = this.#prev;
    const expectedPrev = prev?.hash ?? GENESIS_HASH;
    if (row.prev_hash !== expectedPrev) {
      if (
        prev &&
        row.prev_hash === (this.#beforePrev?.hash ?? GENESIS_HASH) &&
        prev.prevHash === row.prev_hash
      ) {
        this.findings.add({
          kind: 'inserted',
          chain: this.chain,
          seq: prev.seq,
          id: prev.id,
          detail: `entry ${prev.id} (seq ${prev.seq}) was inserted: the next entry, ${row.id}, links past it`,
        });
      } else {
        const from = prev ? prev.seq + 1 : 1;
        const missing =
          seq - 1 >= from ? (seq - 1 > from ? `seq ${from}–${seq - 1}` : `seq ${from}`) : 'entries';
        this.findings.add({
          kind: 'deleted',
          ...at,
          detail: prev
            ? `${missing} deleted between entry ${prev.id} (seq ${prev.seq}) and entry ${row.id} (seq ${seq}): the link is broken`
            : `${missing} deleted before entry ${row.id} (seq ${seq}), the first that remains`,
        });
      }
    } else if (contentOk && prev && seq !== prev.seq + 1) {
      this.findings.add({
        kind: 'deleted',
        ...at,
        detail: `the sequence jumps from ${prev.seq} to ${seq} at entry ${row.id}`,
      });
    }
    if (this.anchored && seq === this.anchored.seq && row.hash !== this.anchored.hash) {
      this.findings.add({
        kind: 'rewritten',
        ...at,
        detail: `entry ${row.id} is not the entry the latest anchor timestamped at seq ${seq}: the chain was rewritten up to here`,
      });
    }
    const walked = { id: row.id, seq, hash: row.hash, prevHash: row.prev_hash };
    if (seq > this.head.seq) this.beyondHead.push(walked);
    this.#beforePrev = prev;
    this.#prev = walked;
    this.last = walked;
  }

  finish(): void {
    const lastSeq = this.last?.seq ?? 0;
    for (const extra of this.beyondHead) {
      this.findings.add({
        kind: 'inserted',
        chain: this.chain,
        seq: extra.seq,
        id: extra.id,
        detail: `entry ${extra.id} (seq ${extra.seq}) lies beyond the chain head (seq ${this.head.seq}): it was added outside the log's writer`,
      });
    }
    if (lastSeq < this.head.seq) {
      this.findings.add({
        kind: 'deleted',
        chain: this.chain,
        seq: lastSeq + 1,
        id: null,
        detail: `the tail was deleted: the chain ends at seq ${lastSeq} but its head records seq ${this.head.seq}`,
      });
    } else if (lastSeq === this.head.seq && (this.last?.hash ?? GENESIS_HASH) !== this.head.hash) {
      this.findings.add({
        kind: 'head_mismatch',
        chain: this.chain,
        seq: lastSeq,
        id: this.last?.id ?? null,
        detail: `the chain head's hash does not match the last entry (seq ${lastSeq})`,
      });
    }
    if (this.anchored && lastSeq < this.anchored.seq) {
      this.findings.add({
        kind: 'truncated',
        chain: this.chain,
        seq: lastSeq + 1,
        id: null,
        detail: `the chain ends at seq ${lastSeq} but the latest anchor timestamped it at seq ${this.anchored.seq}: entries were deleted`,
      });
    }
  }
}

interface AnchorRow {
  id: string;
  anchored_at: Date;
  heads: ChainHead[];
  digest: string;
  token: Buffer;
}

/** Checks every anchor; returns the heads of the latest valid one. */
async function checkAnchors(
  anchors: readonly AnchorRow[],
  findings: Findings,
  trust: TrustStore | undefined,
): Promise<{ valid: number; latest: AnchorRow | null }> {
  let valid = 0;
  let latest: AnchorRow | null = null;
  for (const anchor of anchors) {
    const problem = (kind: AuditFindingKind, detail: string) =>
      findings.add({ kind, chain: null, seq: null, id: anchor.id, detail: `anchor ${anchor.id}: ${detail}` });
    if (auditHeadsDigest(anchor.heads) !== anchor.digest) {
      problem('anchor_invalid', 'its stored heads do not hash to its digest');
      continue;
    }
    let info: ReturnType<typeof checkTimestampToken>;
    try {
      info = checkTimestampToken(new Uint8Array(anchor.token));
    } catch (error) {
      problem(
        'anchor_invalid',
        error instanceof Error ? error.message : 'the timestamp token does not verify',
      );
      continue;
    }
    if (
      info.hashAlgorithm !== 'SHA-256' ||
      Buffer.from(info.hashedMessage).toString('hex') !== anchor.digest
    ) {
      problem('anchor_invalid', 'the timestamp token covers another digest than the anchor');
      continue;
    }
    if (trust) {
      const result = await trust.validate(info.tsaCertificate, {
        at: info.genTime,
        extraCertificates: info.certificates,
        purpose: 'timestamp',
      });
      if (result.status !== 'valid') {
        problem('anchor_untrusted', `the timestamp was not issued by a trusted TSA (${result.reason})`);
        continue;
      }
    }
    if (latest) {
      const before = new Map(latest.heads.map((h) => [h.chain, h]));
      const regressed = anchor.heads.find((h) => {
        const earlier = before.get(h.chain);
        return earlier && (h.seq < earlier.seq || (h.seq === earlier.seq && h.hash !== earlier.hash));
      });
      if (regressed) {
        problem('anchor_invalid', `chain ${regressed.chain} went backwards since anchor ${latest.id}`);
        continue;
      }
    }
    valid += 1;
    latest = anchor;
  }
  return { valid, latest };
}

/** Verifies every chain and every anchor. */
export async function verifyAuditLog(
  sequelize: Sequelize,
  options: VerifyOptions = {},
): Promise<AuditVerification> {
  if (options.transaction) return verifyWithin(sequelize, options.transaction, options);
  return sequelize.transaction(
    { isolationLevel: Transaction.ISOLATION_LEVELS.REPEATABLE_READ },
    async (transaction) => {
      await sequelize.query('SET TRANSACTION READ ONLY', { transaction });
      return verifyWithin(sequelize, transaction, options);
    },
  );
}

async function verifyWithin(
  sequelize: Sequelize,
  transaction: Transaction,
  options: VerifyOptions,
): Promise<AuditVerification> {
  const findings = new Findings(options.maxFindings ?? 1_000);
  const batch = options.batchSize ?? 5_000;
  const heads = await sequelize.query<{ chain: number; seq: string; hash: string }>(
    'SELECT chain, seq, hash FROM audit_chain_head ORDER BY chain',
    { type: QueryTypes.SELECT, transaction },
  );
  const anchors = await sequelize.query<AnchorRow>(
    'SELECT id, anchored_at, heads, digest, token FROM audit_anchor ORDER BY id',
    { type: QueryTypes.SELECT, transaction },
  );
  const { valid, latest } = await checkAnchors(anchors, findings, options.trust);
  const anchored = new Map((latest?.heads ?? []).map((h) => [h.chain, h]));

  const walks = new Map<number, ChainWalk>();
  const walkOf = (chain: number): ChainWalk => {
    let walk = walks.get(chain);
    if (!walk) {
      const head = heads.find((h) => h.chain === chain);
      walk = new ChainWalk(
        chain,
        head ? { chain, seq: Number(head.seq), hash: head.hash } : { chain, seq: 0, hash: GENESIS_HASH },
        anchored.get(chain),
        findings,
      );
      walks.set(chain, walk);
    }
    return walk;
  };
  for (let chain = 0; chain < AUDIT_CHAINS; chain++) walkOf(chain);

  let entries = 0;
  let after: [number, string] = [-1, '0'];
  for (;;) {
    const rows = await sequelize.query<AuditEventRow>(
      `SELECT id, chain, seq, at, actor_person_id, actor_unit_id, source, action, document_id,
              version_sha256, detail, idempotency_key, prev_hash, hash
         FROM audit_event WHERE (chain, seq) > ($1, $2::bigint) ORDER BY chain, seq LIMIT $3`,
      { bind: [after[0], after[1], batch], type: QueryTypes.SELECT, transaction },
    );
    for (const row of rows) walkOf(row.chain).visit(row);
    entries += rows.length;
    if (rows.length < batch) break;
    const last = rows[rows.length - 1]!;
    after = [last.chain, last.seq];
  }
  for (const walk of walks.values()) walk.finish();

  return {
    intact: findings.list.length === 0 && findings.omitted === 0,
    checkedAt: new Date().toISOString(),
    chains: walks.size,
    entries,
    anchors: {
      checked: anchors.length,
      valid,
      trustChecked: options.trust !== undefined,
      latest: latest
        ? { id: latest.id, anchoredAt: latest.anchored_at.toISOString(), digest: latest.digest }
        : null,
    },
    findings: findings.list,
    findingsOmitted: findings.omitted,
  };
}
