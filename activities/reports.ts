/**
 * Report requests: who owes a report for which period, and reminders to those who have
 * not submitted. A submission is an ordinary document (a báo cáo) that goes through its
 * own unit's approval and signing and is dispatched upward; its dispatch marks the
 * expectation as met (activities/lifecycle/dispatch.ts).
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { appendAudit } from '../db/audit';
import type { ReportKind, ReportTarget } from '../domain/reports';
import { classifyFailures } from './failures';

export interface OpenReportRequest {
  /** Used only when the request is new; a repeat returns the existing request's id. */
  candidateId: string;
  requestingUnitId: number;
  kind: ReportKind;
  title: string;
  period: string;
  dueAt: string;
  target: ReportTarget;
  createdBy: number | null;
  source: string;
  at: string;
}

export function reportActivities({ sequelize }: { sequelize: Sequelize }) {
  async function openReportRequest(
    input: OpenReportRequest,
  ): Promise<{ requestId: string; expected: number }> {
    return sequelize.transaction(async (transaction) => {
      await sequelize.query(
        `INSERT INTO report_request (id, requesting_unit_id, kind, title, period, due_at, target, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (requesting_unit_id, kind, period) DO NOTHING`,
        {
          bind: [
            input.candidateId,
            input.requestingUnitId,
            input.kind,
            input.title,
            input.period,
            input.dueAt,
            JSON.stringify(input.target),
            input.createdBy,
            input.at,
          ],
          transaction,
        },
      );
      const [request] = await sequelize.query<{ id: string }>(
        'SELECT id FROM report_request WHERE requesting_unit_id = $1 AND kind = $2 AND period = $3',
        { bind: [input.requestingUnitId, input.kind, input.period], type: QueryTypes.SELECT, transaction },
      );
      const requestId = request!.id;
      // Every unit of the target kind under the requesting unit owes one report.
      await sequelize.query(
        `INSERT INTO report_expectation (request_id, unit_id)
         SELECT $1, u.id FROM org_unit u, org_unit top
          WHERE top.id = $2 AND u.path LIKE top.path || '%' AND u.id <> top.id AND u.kind = $3
         ON CONFLICT DO NOTHING`,
        { bind: [requestId, input.requestingUnitId, input.target.unitKind], transaction },
      );
      await sequelize.query(
        `INSERT INTO notification (recipient_unit_id, kind, message, dedupe_key, created_at)
         SELECT e.unit_id, 'report_requested',
                $2::text || ' — kỳ ' || $3::text || ', hạn ' || to_char($4::timestamptz AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY'),
                'report:' || e.request_id::text || ':requested:' || e.unit_id, $5::timestamptz
           FROM report_expectation e WHERE e.request_id = $1
         ON CONFLICT (dedupe_key) DO NOTHING`,
        { bind: [requestId, input.title, input.period, input.dueAt, input.at], transaction },
      );
      const [count] = await sequelize.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM report_expectation WHERE request_id = $1',
        { bind: [requestId], type: QueryTypes.SELECT, transaction },
      );
      await appendAudit(sequelize, transaction, [
        {
          at: new Date(input.at),
          actorPersonId: input.createdBy,
          actorUnitId: input.requestingUnitId,
          source: input.source,
          action: 'report.requested',
          documentId: null,
          versionSha256: null,
          detail: {
            requestId,
            kind: input.kind,
            period: input.period,
            dueAt: input.dueAt,
            expected: count!.n,
          },
          idempotencyKey: `report-request:${requestId}:opened`,
        },
      ]);
      return { requestId, expected: count!.n };
    });
  }

  /** At the deadline: remind the units that have not submitted; later, tell their parents. */
  async function followUpReports(input: {
    requestId: string;
    kind: 'reminder' | 'escalation';
    at: string;
  }): Promise<{ missing: number }> {
    return sequelize.transaction(async (transaction) => {
      const [row] = await sequelize.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM report_expectation WHERE request_id = $1 AND submitted_at IS NULL',
        { bind: [input.requestId], type: QueryTypes.SELECT, transaction },
      );
      if (input.kind === 'reminder') {
        await sequelize.query(
          `INSERT INTO notification (recipient_unit_id, kind, message, dedupe_key, created_at)
           SELECT e.unit_id, 'report_reminder', 'Nhắc nộp: ' || r.title || ' — kỳ ' || r.period || ' đã quá hạn',
                  'report:' || e.request_id::text || ':reminder:' || e.unit_id, $2::timestamptz
             FROM report_expectation e JOIN report_request r ON r.id = e.request_id
            WHERE e.request_id = $1 AND e.submitted_at IS NULL
           ON CONFLICT (dedupe_key) DO NOTHING`,
          { bind: [input.requestId, input.at], transaction },
        );
        await sequelize.query(
          'UPDATE report_expectation SET reminded_at = $2 WHERE request_id = $1 AND submitted_at IS NULL',
          { bind: [input.requestId, input.at], transaction },
        );
      } else {
        await sequelize.query(
          `INSERT INTO notification (recipient_unit_id, kind, message, dedupe_key, created_at)
           SELECT u.parent_id, 'report_escalation',
                  r.title || ' — kỳ ' || r.period || ': ' || count(*) || ' đơn vị trực thuộc chưa nộp',
                  'report:' || e.request_id::text || ':escalation:' || u.parent_id, $2::timestamptz
             FROM report_expectation e JOIN org_unit u ON u.id = e.unit_id JOIN report_request r ON r.id = e.request_id
            WHERE e.request_id = $1 AND e.submitted_at IS NULL AND u.parent_id IS NOT NULL
            GROUP BY u.parent_id, r.title, r.period, e.request_id
           ON CONFLICT (dedupe_key) DO NOTHING`,
          { bind: [input.requestId, input.at], transaction },
        );
      }
      return { missing: row!.n };
    });
  }

  return {
    openReportRequest: (input: OpenReportRequest) => classifyFailures(() => openReportRequest(input)),
    followUpReports: (input: Parameters<typeof followUpReports>[0]) =>
      classifyFailures(() => followUpReports(input)),
  };
}

export type ReportActivities = ReturnType<typeof reportActivities>;
