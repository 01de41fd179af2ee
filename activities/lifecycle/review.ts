/** Review: opening a round of approval, recording decisions, reminding and escalating. */
import { QueryTypes } from 'sequelize';
import { notify } from '../../db/notifications';
import type { ApprovalStepSpec, Decision, StepOutcome } from '../../domain/approval';
import { requiredApprovals } from '../../domain/approval';
import type { ActorRef } from '../../workflows/definitions';
import { auditDocument, inTransaction, type LifecycleDeps, setStatus } from './context';

const DECISION_STATUS: Record<Exclude<StepOutcome, 'open'>, 'approved' | 'returned' | 'rejected'> = {
  approved: 'approved',
  returned: 'returned',
  rejected: 'rejected',
};

export function reviewActivities({ sequelize }: LifecycleDeps) {
  async function subjectOf(documentId: string): Promise<string> {
    const [row] = await sequelize.query<{ subject: string }>('SELECT subject FROM document WHERE id = $1', {
      bind: [documentId],
      type: QueryTypes.SELECT,
    });
    return row?.subject ?? documentId;
  }

  return {
    async openReview(input: {
      documentId: string;
      workflowId: string;
      round: number;
      chain: ApprovalStepSpec[];
      stepDue: Array<string | null>;
      version: number;
      sha256: string;
      actor: ActorRef;
      at: string;
    }): Promise<void> {
      const subject = await subjectOf(input.documentId);
      await inTransaction(sequelize, async (transaction) => {
        const fresh = await auditDocument(sequelize, transaction, {
          documentId: input.documentId,
          workflowId: input.workflowId,
          key: `submitted:${input.round}`,
          action: 'document.submitted',
          actor: input.actor,
          versionSha256: input.sha256,
          detail: { round: input.round, version: input.version, steps: input.chain.map((s) => s.label) },
          at: input.at,
        });
        if (!fresh) return;
        for (const [step, spec] of input.chain.entries()) {
          await sequelize.query(
            `INSERT INTO approval_step (document_id, round, step, label, approvers, required, status, due_at, opened_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
            {
              bind: [
                input.documentId,
                input.round,
                step,
                spec.label,
                spec.approvers,
                requiredApprovals(spec),
                step === 0 ? 'open' : 'waiting',
                input.stepDue[step] ?? null,
                step === 0 ? input.at : null,
              ],
              transaction,
            },
          );
        }
        await setStatus(sequelize, transaction, input.documentId, 'in_review', input.at);
        await notify(
          sequelize,
          transaction,
          input.chain[0]!.approvers.map((personId) => ({
            personId,
            kind: 'approval_requested',
            documentId: input.documentId,
            message: `Xin ý kiến duyệt: ${subject}`,
            dedupeKey: `${input.workflowId}:approve:${input.round}:0:${personId}`,
            at: new Date(input.at),
          })),
        );
      });
    },

    async recordDecision(input: {
      documentId: string;
      workflowId: string;
      round: number;
      step: number;
      actor: ActorRef;
      decision: Decision;
      comment?: string;
      version: number;
      sha256: string;
      outcome: StepOutcome;
      nextStep: number | null;
      at: string;
    }): Promise<void> {
      await inTransaction(sequelize, async (transaction) => {
        const fresh = await auditDocument(sequelize, transaction, {
          documentId: input.documentId,
          workflowId: input.workflowId,
          key: `decision:${input.round}:${input.step}:${input.actor.personId}`,
          action: `document.${input.decision === 'approve' ? 'approved' : input.decision === 'return' ? 'returned' : 'rejected'}`,
          actor: input.actor,
          versionSha256: input.sha256,
          detail: {
            round: input.round,
            step: input.step,
            version: input.version,
            ...(input.comment ? { comment: input.comment } : {}),
          },
          at: input.at,
        });
        if (!fresh) return;
        await sequelize.query(
          `INSERT INTO approval_decision (document_id, round, step, person_id, decision, comment, version, sha256, at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          {
            bind: [
              input.documentId,
              input.round,
              input.step,
              input.actor.personId,
              input.decision,
              input.comment ?? null,
              input.version,
              input.sha256,
              input.at,
            ],
            transaction,
          },
        );
        if (input.outcome === 'open') return;
        await sequelize.query(
          'UPDATE approval_step SET status = $4, closed_at = $5 WHERE document_id = $1 AND round = $2 AND step = $3',
          {
            bind: [input.documentId, input.round, input.step, DECISION_STATUS[input.outcome], input.at],
            transaction,
          },
        );
        if (input.outcome === 'returned') {
          await setStatus(sequelize, transaction, input.documentId, 'changes_requested', input.at);
        } else if (input.outcome === 'rejected') {
          await setStatus(sequelize, transaction, input.documentId, 'rejected', input.at);
        } else if (input.nextStep !== null) {
          const [next] = await sequelize.query<{ approvers: number[] }>(
            `UPDATE approval_step SET status = 'open', opened_at = $4
              WHERE document_id = $1 AND round = $2 AND step = $3 RETURNING approvers`,
            {
              bind: [input.documentId, input.round, input.nextStep, input.at],
              type: QueryTypes.SELECT,
              transaction,
            },
          );
          const subject = await subjectOf(input.documentId);
          await notify(
            sequelize,
            transaction,
            (next?.approvers ?? []).map((personId) => ({
              personId,
              kind: 'approval_requested',
              documentId: input.documentId,
              message: `Xin ý kiến duyệt: ${subject}`,
              dedupeKey: `${input.workflowId}:approve:${input.round}:${input.nextStep}:${personId}`,
              at: new Date(input.at),
            })),
          );
        }
      });
    },

    /** At a step's deadline: remind who has not decided; later, tell the unit's leaders. */
    async remindApprovers(input: {
      documentId: string;
      workflowId: string;
      round: number;
      step: number;
      kind: 'reminder' | 'escalation';
      at: string;
    }): Promise<{ pending: number }> {
      const [step] = await sequelize.query<{
        approvers: number[];
        label: string;
        issuing_unit_id: number;
        subject: string;
      }>(
        `SELECT s.approvers, s.label, d.issuing_unit_id, d.subject FROM approval_step s JOIN document d ON d.id = s.document_id
          WHERE s.document_id = $1 AND s.round = $2 AND s.step = $3`,
        { bind: [input.documentId, input.round, input.step], type: QueryTypes.SELECT },
      );
      if (!step) return { pending: 0 };
      const decided = await sequelize.query<{ person_id: number }>(
        'SELECT person_id FROM approval_decision WHERE document_id = $1 AND round = $2 AND step = $3',
        { bind: [input.documentId, input.round, input.step], type: QueryTypes.SELECT },
      );
      const done = new Set(decided.map((d) => d.person_id));
      const pending = step.approvers.filter((p) => !done.has(p));
      await inTransaction(sequelize, async (transaction) => {
        let people = pending;
        let message = `Nhắc việc: văn bản "${step.subject}" đang chờ ý kiến của đồng chí (quá hạn duyệt)`;
        if (input.kind === 'escalation') {
          const leaders = await sequelize.query<{ person_id: number }>(
            `SELECT DISTINCT person_id FROM role_assignment WHERE unit_id = $1 AND role = 'leader'`,
            { bind: [step.issuing_unit_id], type: QueryTypes.SELECT, transaction },
          );
          people = leaders.map((l) => l.person_id);
          message = `Báo cáo quá hạn: văn bản "${step.subject}" chưa được duyệt ở bước "${step.label}" (${pending.length} người chưa cho ý kiến)`;
        }
        await notify(
          sequelize,
          transaction,
          people.map((personId) => ({
            personId,
            kind: `approval_${input.kind}`,
            documentId: input.documentId,
            message,
            dedupeKey: `${input.workflowId}:${input.kind}:${input.round}:${input.step}:${personId}`,
            at: new Date(input.at),
          })),
        );
        await auditDocument(sequelize, transaction, {
          documentId: input.documentId,
          workflowId: input.workflowId,
          key: `approval-${input.kind}:${input.round}:${input.step}`,
          action: `approval.${input.kind}`,
          actor: null,
          detail: { round: input.round, step: input.step, pending },
          at: input.at,
        });
      });
      return { pending: pending.length };
    },
  };
}
