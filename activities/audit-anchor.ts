/**
 * Anchoring the audit log: the heads of all chains, hashed together, timestamped by the
 * TSA and stored in audit_anchor. Nothing is written when no chain moved since the last
 * anchor, so an idle system does not pile up anchors, and a retry after a committed
 * anchor finds it and writes nothing twice. The anchor is not itself an audit entry: that
 * would move a head and make every round anchor again.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { QueryTypes, type Sequelize } from 'sequelize';
import { auditHeadsDigest, type ChainHead } from '../db/audit-verify';
import type { TimestampAuthority } from '../pki/providers';
import { checkTimestampToken } from '../pki/tsa/token';

export interface AnchorResult {
  anchored: boolean;
  /** The new anchor, or the latest one when nothing changed. */
  anchorId: string | null;
  digest: string;
  anchoredAt: string | null;
}

/** The TSA, or a function giving it (it may be opened after the worker starts). */
export type AnchorTimestamps = TimestampAuthority | (() => TimestampAuthority | undefined) | undefined;

export function auditAnchorActivities(sequelize: Sequelize, timestamps?: AnchorTimestamps) {
  const tsaOf = (): TimestampAuthority | undefined =>
    typeof timestamps === 'function' ? timestamps() : timestamps;
  return {
    async anchorAuditChains(): Promise<AnchorResult> {
      const tsa = tsaOf();
      if (!tsa) {
        throw ApplicationFailure.nonRetryable(
          'this worker has no time-stamping authority: start it with the deployment PKI to anchor the audit log',
          'NoTimestampAuthority',
        );
      }
      const heads = (
        await sequelize.query<{ chain: number; seq: string; hash: string }>(
          'SELECT chain, seq, hash FROM audit_chain_head ORDER BY chain',
          { type: QueryTypes.SELECT },
        )
      ).map((h): ChainHead => ({ chain: h.chain, seq: Number(h.seq), hash: h.hash }));
      const digest = auditHeadsDigest(heads);
      const [latest] = await sequelize.query<{ id: string; digest: string; anchored_at: Date }>(
        'SELECT id, digest, anchored_at FROM audit_anchor ORDER BY id DESC LIMIT 1',
        { type: QueryTypes.SELECT },
      );
      if (latest?.digest === digest) {
        return { anchored: false, anchorId: latest.id, digest, anchoredAt: latest.anchored_at.toISOString() };
      }
      const token = await tsa.timestamp(new Uint8Array(Buffer.from(digest, 'hex')), 'SHA-256');
      const info = checkTimestampToken(token);
      const [row] = await sequelize.query<{ id: string }>(
        `INSERT INTO audit_anchor (anchored_at, heads, digest, token, tsa_serial)
         VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        {
          bind: [info.genTime, JSON.stringify(heads), digest, Buffer.from(token), info.serial],
          type: QueryTypes.SELECT,
        },
      );
      return { anchored: true, anchorId: row!.id, digest, anchoredAt: info.genTime.toISOString() };
    },
  };
}

export type AuditAnchorActivities = ReturnType<typeof auditAnchorActivities>;
