/**
 * Dispatch and follow-up. Deliveries are created in batches by set-based SQL (one row per
 * recipient unit, never a workflow or signal per recipient); members addressed as a whole
 * are one audience row that makes the notice readable by all of them at once. Recipients'
 * actions are rows the workflow only counts when a deadline fires.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { QueryTypes } from 'sequelize';
import { newRegisterColumns } from '../../db/registers';
import { enqueueWebhook } from '../../db/webhooks';
import type { DraftContent } from '../../domain/document';
import type { RecipientSpec } from '../../domain/recipients';
import type { ActorRef } from '../../workflows/definitions';
import { auditDocument, inTransaction, type LifecycleDeps, setStatus } from './context';

const OPEN_STATUSES = ['delivered', 'received', 'assigned', 'in_progress'];

export function dispatchActivities({ sequelize }: LifecycleDeps) {
  async function approvedRecipients(documentId: string): Promise<RecipientSpec[]> {
    const [row] = await sequelize.query<{ content: DraftContent }>(
      `SELECT v.content FROM document d
         JOIN document_version v ON v.document_id = d.id AND v.version = d.approved_version
        WHERE d.id = $1`,
      { bind: [documentId], type: QueryTypes.SELECT },
    );
    if (!row) throw ApplicationFailure.nonRetryable(`document ${documentId} has no approved version`);
    return row.content.recipients ?? [];
  }

  return {
    async dispatchBatch(input: {
      documentId: string;
      workflowId: string;
      specIndex: number;
      afterUnitId: number;
      limit: number;
      at: string;
    }): Promise<{ created: number; lastUnitId: number; done: boolean }> {
      const spec = (await approvedRecipients(input.documentId))[input.specIndex];
      if (!spec) throw ApplicationFailure.nonRetryable(`recipient entry ${input.specIndex} does not exist`);
      return inTransaction(sequelize, async (transaction) => {
        if (spec.kind === 'members_under') {
          const [row] = await sequelize.query<{ n: number }>(
            `WITH ins AS (
               INSERT INTO document_audience (document_id, unit_id, unit_path)
               SELECT $1, id, path FROM org_unit WHERE id = $2
               ON CONFLICT DO NOTHING RETURNING 1)
             SELECT count(*)::int AS n FROM ins`,
            { bind: [input.documentId, spec.unitId], type: QueryTypes.SELECT, transaction },
          );
          await auditBatch(input, transaction, row!.n, { audience: spec.unitId });
          return { created: row!.n, lastUnitId: spec.unitId, done: true };
        }
        // The batch is chosen by unit id order, so a retry after a crash re-scans the same
        // units and ON CONFLICT skips those already delivered.
        const units =
          spec.kind === 'unit'
            ? {
                sql: 'SELECT id FROM org_unit WHERE id = $2 AND id > $3',
                bind: [spec.unitId, input.afterUnitId],
              }
            : {
                sql: `SELECT u.id FROM org_unit u, org_unit top
                       WHERE top.id = $2 AND u.path LIKE top.path || '%' AND u.id <> top.id AND u.kind = $5
                         AND u.id > $3 ORDER BY u.id LIMIT $4`,
                bind: [spec.unitId, input.afterUnitId, input.limit, spec.unitKind],
              };
        const at = `$${units.bind.length + 2}`;
        // Each recipient's sổ đến is opened with its first delivery, not in the rush of receipts.
        const registerColumns = [3, 4, 5, 6].map((i) => `$${units.bind.length + i}`).join(', ');
        const [row] = await sequelize.query<{
          last: number | null;
          scanned: number;
          created: number;
          recipients: number[] | null;
        }>(
          `WITH batch AS (${units.sql}),
                ins AS (
                  INSERT INTO delivery (document_id, recipient_unit_id, status, delivered_at)
                  SELECT $1, id, 'delivered', ${at}::timestamptz FROM batch
                  ON CONFLICT (document_id, recipient_unit_id) DO NOTHING RETURNING recipient_unit_id),
                opened AS (
                  INSERT INTO register (unit_id, direction, scheme, sequence_policy, reset_policy, term)
                  SELECT recipient_unit_id, 'incoming', ${registerColumns} FROM ins
                  ON CONFLICT (unit_id, direction) DO NOTHING)
           SELECT (SELECT max(id) FROM batch) AS last, (SELECT count(*)::int FROM batch) AS scanned,
                  (SELECT count(*)::int FROM ins) AS created, (SELECT array_agg(recipient_unit_id) FROM ins) AS recipients`,
          {
            bind: [input.documentId, ...units.bind, input.at, ...newRegisterColumns('incoming')],
            type: QueryTypes.SELECT,
            transaction,
          },
        );
        const { last, scanned, created, recipients } = row!;
        await auditBatch(input, transaction, created, { spec: input.specIndex, after: input.afterUnitId });
        if (recipients?.length) {
          await enqueueWebhook(sequelize, transaction, {
            type: 'delivery.delivered',
            unitIds: recipients,
            documentId: input.documentId,
            data: { deliveries: recipients.length },
            occurredAt: new Date(input.at),
            idempotencyKey: `${input.workflowId}:delivered:${input.specIndex}:${input.afterUnitId}`,
          });
        }
        return {
          created,
          lastUnitId: last ?? input.afterUnitId,
          done: spec.kind === 'unit' || scanned < input.limit,
        };
      });

      async function auditBatch(
        batch: typeof input,
        transaction: Parameters<Parameters<typeof inTransaction>[1]>[0],
        count: number,
        detail: Record<string, unknown>,
      ): Promise<void> {
        await auditDocument(sequelize, transaction, {
          documentId: batch.documentId,
          workflowId: batch.workflowId,
          key: `delivered:${batch.specIndex}:${batch.afterUnitId}`,
          action: 'document.delivered',
          actor: null,
          detail: { ...detail, deliveries: count },
          at: batch.at,
        });
      }
    },

    async markDispatched(input: { documentId: string; workflowId: string; deliveries: number; at: string }) {
      await inTransaction(sequelize, async (transaction) => {
        const fresh = await auditDocument(sequelize, transaction, {
          documentId: input.documentId,
          workflowId: input.workflowId,
          key: 'dispatched',
          action: 'document.dispatched',
          actor: null,
          detail: { deliveries: input.deliveries },
          at: input.at,
        });
        if (!fresh) return;
        await setStatus(sequelize, transaction, input.documentId, 'dispatched', input.at);
        // A report reaching its requester meets its unit's expectation.
        await sequelize.query(
          `UPDATE report_expectation e SET submitted_at = $2, document_id = d.id
             FROM document d WHERE d.id = $1 AND e.request_id = d.report_request_id
              AND e.unit_id = d.issuing_unit_id AND e.submitted_at IS NULL`,
          { bind: [input.documentId, input.at], transaction },
        );
      });
    },

    /** At the response deadline: remind the units not done; later, escalate them to their parents. */
    async followUpDeliveries(input: {
      documentId: string;
      workflowId: string;
      kind: 'reminder' | 'escalation';
      at: string;
    }): Promise<{ overdue: number }> {
      return inTransaction(sequelize, async (transaction) => {
        const column = input.kind === 'reminder' ? 'reminded_at' : 'escalated_at';
        const [marked] = await sequelize.query<{ n: number }>(
          `WITH overdue AS (
             UPDATE delivery SET ${column} = $2
              WHERE document_id = $1 AND status = ANY($3::text[]) AND ${column} IS NULL
              RETURNING recipient_unit_id)
           SELECT count(*)::int AS n FROM overdue`,
          { bind: [input.documentId, input.at, OPEN_STATUSES], type: QueryTypes.SELECT, transaction },
        );
        if (input.kind === 'reminder') {
          await sequelize.query(
            `INSERT INTO notification (recipient_unit_id, kind, document_id, message, dedupe_key, created_at)
             SELECT dl.recipient_unit_id, 'delivery_reminder', dl.document_id,
                    'Nhắc việc: văn bản ' || coalesce(d.number, '') || ' "' || d.subject || '" đã đến hạn xử lý',
                    $3::text || ':reminder:' || dl.recipient_unit_id, $2::timestamptz
               FROM delivery dl JOIN document d ON d.id = dl.document_id
              WHERE dl.document_id = $1 AND dl.status = ANY($4::text[])
             ON CONFLICT (dedupe_key) DO NOTHING`,
            { bind: [input.documentId, input.at, input.workflowId, OPEN_STATUSES], transaction },
          );
        } else {
          // One notice per parent unit, naming how many of its units are overdue.
          await sequelize.query(
            `INSERT INTO notification (recipient_unit_id, kind, document_id, message, dedupe_key, created_at)
             SELECT u.parent_id, 'delivery_escalation', $1,
                    'Đơn vị trực thuộc quá hạn xử lý văn bản ' || coalesce(max(d.number), '') || ': ' || count(*) || ' đơn vị',
                    $3::text || ':escalation:' || u.parent_id, $2::timestamptz
               FROM delivery dl JOIN org_unit u ON u.id = dl.recipient_unit_id JOIN document d ON d.id = dl.document_id
              WHERE dl.document_id = $1 AND dl.status = ANY($4::text[]) AND u.parent_id IS NOT NULL
              GROUP BY u.parent_id
             ON CONFLICT (dedupe_key) DO NOTHING`,
            { bind: [input.documentId, input.at, input.workflowId, OPEN_STATUSES], transaction },
          );
        }
        if (input.kind === 'reminder' && marked!.n > 0) {
          const overdue = await sequelize.query<{ recipient_unit_id: number }>(
            `SELECT recipient_unit_id FROM delivery WHERE document_id = $1 AND status = ANY($2::text[])`,
            { bind: [input.documentId, OPEN_STATUSES], type: QueryTypes.SELECT, transaction },
          );
          await enqueueWebhook(sequelize, transaction, {
            type: 'delivery.overdue',
            unitIds: overdue.map((o) => o.recipient_unit_id),
            documentId: input.documentId,
            data: { overdueUnits: overdue.map((o) => o.recipient_unit_id) },
            occurredAt: new Date(input.at),
            idempotencyKey: `${input.workflowId}:overdue`,
          });
        }
        await auditDocument(sequelize, transaction, {
          documentId: input.documentId,
          workflowId: input.workflowId,
          key: `deliveries-${input.kind}`,
          action: `deliveries.${input.kind}`,
          actor: null,
          detail: { overdue: marked!.n },
          at: input.at,
        });
        return { overdue: marked!.n };
      });
    },

    /** Tells the drafter and the signer that their document went out, and to how many. */
    async notifyDispatched(input: {
      documentId: string;
      workflowId: string;
      deliveries: number;
      at: string;
    }) {
      await inTransaction(sequelize, async (transaction) => {
        await sequelize.query(
          `INSERT INTO notification (recipient_person_id, kind, document_id, message, dedupe_key, created_at)
           SELECT p, 'dispatched', d.id,
                  'Văn bản ' || coalesce(d.number, '') || ' "' || d.subject || '" đã phát hành tới ' || $3::int || ' nơi nhận',
                  $2::text || ':dispatched:' || p, $4::timestamptz
             FROM document d, unnest(ARRAY[d.created_by, d.signer_person_id]) AS p
            WHERE d.id = $1 AND p IS NOT NULL
           ON CONFLICT (dedupe_key) DO NOTHING`,
          { bind: [input.documentId, input.workflowId, input.deliveries, input.at], transaction },
        );
      });
    },

    async countOpenDeliveries(input: { documentId: string }): Promise<{ open: number; total: number }> {
      const [row] = await sequelize.query<{ open: number; total: number }>(
        `SELECT count(*) FILTER (WHERE status = ANY($2::text[]))::int AS open, count(*)::int AS total
           FROM delivery WHERE document_id = $1`,
        { bind: [input.documentId, OPEN_STATUSES], type: QueryTypes.SELECT },
      );
      return row!;
    },

    /** Freezes every recipient's copy; each recipient then confirms the recall. */
    async recallDocument(input: {
      documentId: string;
      workflowId: string;
      actor: ActorRef | null;
      reason: string;
      at: string;
    }): Promise<{ frozen: number }> {
      return inTransaction(sequelize, async (transaction) => {
        const [row] = await sequelize.query<{ n: number }>(
          `WITH frozen AS (
             UPDATE delivery SET status = 'recalled', recalled_at = $2
              WHERE document_id = $1 AND status NOT IN ('returned', 'recalled') RETURNING 1)
           SELECT count(*)::int AS n FROM frozen`,
          { bind: [input.documentId, input.at], type: QueryTypes.SELECT, transaction },
        );
        await sequelize.query(
          `INSERT INTO notification (recipient_unit_id, kind, document_id, message, dedupe_key, created_at)
           SELECT dl.recipient_unit_id, 'recalled', dl.document_id,
                  'Thu hồi văn bản ' || coalesce(d.number, '') || ': ' || $4::text || ' — đề nghị xác nhận',
                  $3::text || ':recalled:' || dl.recipient_unit_id, $2::timestamptz
             FROM delivery dl JOIN document d ON d.id = dl.document_id
            WHERE dl.document_id = $1 AND dl.status = 'recalled'
           ON CONFLICT (dedupe_key) DO NOTHING`,
          { bind: [input.documentId, input.at, input.workflowId, input.reason], transaction },
        );
        const fresh = await auditDocument(sequelize, transaction, {
          documentId: input.documentId,
          workflowId: input.workflowId,
          key: 'recalled',
          action: 'document.recalled',
          actor: input.actor,
          detail: { reason: input.reason, frozen: row!.n },
          at: input.at,
        });
        if (fresh) await setStatus(sequelize, transaction, input.documentId, 'recalled', input.at);
        return { frozen: row!.n };
      });
    },
  };
}
