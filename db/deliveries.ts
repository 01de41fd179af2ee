/**
 * What recipients do with a delivery, written straight from the api (no workflow, no
 * signal): each action is one conditional UPDATE plus its audit entry in one transaction,
 * and repeating an action that already happened changes nothing and answers the same.
 *
 *   delivered ─receive→ received ─assign→ assigned ─start→ in_progress ─complete→ completed
 *        └──────return──────┘        (received/assigned may also complete directly)
 *   recalled by the sender: frozen, and the recipient confirms.
 */
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { DomainError } from '../domain/errors';
import { appendAudit } from './audit';
import { registerOf, takeNumber } from './registers';
import { enqueueWebhook } from './webhooks';

export type DeliveryStatus =
  | 'delivered'
  | 'received'
  | 'assigned'
  | 'in_progress'
  | 'completed'
  | 'returned'
  | 'recalled';

export interface DeliveryRow {
  id: number;
  document_id: string;
  recipient_unit_id: number;
  status: DeliveryStatus;
  delivered_at: Date;
  read_at: Date | null;
  received_at: Date | null;
  incoming_number: string | null;
  assignee_id: number | null;
  handle_due: Date | null;
  completed_at: Date | null;
  returned_reason: string | null;
  recalled_at: Date | null;
  recall_confirmed_at: Date | null;
}

export type DeliveryAction =
  | 'read'
  | 'receive'
  | 'return'
  | 'assign'
  | 'start'
  | 'complete'
  | 'confirm_recall';

/** From which statuses each action may start, and where it leads. */
const RULES: Record<Exclude<DeliveryAction, 'read'>, { from: DeliveryStatus[]; to: DeliveryStatus }> = {
  receive: { from: ['delivered'], to: 'received' },
  return: { from: ['delivered', 'received'], to: 'returned' },
  assign: { from: ['received', 'assigned'], to: 'assigned' },
  start: { from: ['assigned'], to: 'in_progress' },
  complete: { from: ['received', 'assigned', 'in_progress'], to: 'completed' },
  confirm_recall: { from: ['recalled'], to: 'recalled' },
};

const STATUS_WORDS: Record<DeliveryStatus, string> = {
  delivered: 'chưa tiếp nhận (delivered)',
  received: 'đã tiếp nhận (received)',
  assigned: 'đã giao xử lý (assigned)',
  in_progress: 'đang xử lý (in progress)',
  completed: 'đã hoàn thành (completed)',
  returned: 'đã trả lại (returned)',
  recalled: 'đã bị thu hồi (recalled)',
};

export async function findDelivery(
  sequelize: Sequelize,
  id: number,
  transaction?: Transaction,
): Promise<DeliveryRow | undefined> {
  const [row] = await sequelize.query<DeliveryRow>('SELECT * FROM delivery WHERE id = $1', {
    bind: [id],
    type: QueryTypes.SELECT,
    ...(transaction ? { transaction, lock: transaction.LOCK.UPDATE } : {}),
  });
  return row ? { ...row, id: Number(row.id) } : undefined;
}

export interface ActionInput {
  deliveryId: number;
  action: DeliveryAction;
  personId: number;
  source: string;
  reason?: string;
  assigneeId?: number;
  handleDue?: string | null;
  at: Date;
}

/**
 * Applies a recipient's action. Returns the delivery after it; `changed` is false when the
 * action had already been applied (an idempotent repeat).
 */
export async function applyDeliveryAction(
  sequelize: Sequelize,
  input: ActionInput,
): Promise<{ delivery: DeliveryRow; changed: boolean }> {
  return sequelize.transaction(async (transaction) => {
    const delivery = await findDelivery(sequelize, input.deliveryId, transaction);
    if (!delivery) throw new DomainError('not_found', `no delivery ${input.deliveryId}`);

    if (input.action === 'read') {
      if (delivery.read_at) return { delivery, changed: false };
      await sequelize.query('UPDATE delivery SET read_at = $2 WHERE id = $1', {
        bind: [delivery.id, input.at],
        transaction,
      });
      await audit(sequelize, transaction, delivery, input, {});
      return { delivery: { ...delivery, read_at: input.at }, changed: true };
    }

    const rule = RULES[input.action];
    if (alreadyDone(delivery, input)) return { delivery, changed: false };
    if (!rule.from.includes(delivery.status)) {
      throw new DomainError(
        'invalid_transition',
        `cannot ${input.action.replace('_', ' ')}: the delivery is ${STATUS_WORDS[delivery.status]}`,
      );
    }

    const sets: string[] = ['status = $2'];
    const values: unknown[] = [delivery.id, rule.to];
    const set = (column: string, value: unknown) => {
      values.push(value);
      sets.push(`${column} = $${values.length}`);
    };
    const detail: Record<string, unknown> = {};
    switch (input.action) {
      case 'receive': {
        const number = await takeIncomingNumber(sequelize, transaction, delivery, input);
        set('received_at', input.at);
        set('received_by', input.personId);
        set('incoming_number', number);
        if (!delivery.read_at) set('read_at', input.at);
        detail.incomingNumber = number;
        break;
      }
      case 'return':
        set('returned_at', input.at);
        set('returned_reason', input.reason ?? null);
        detail.reason = input.reason;
        break;
      case 'assign':
        set('assigned_at', input.at);
        set('assigned_by', input.personId);
        set('assignee_id', input.assigneeId ?? null);
        set('handle_due', input.handleDue ?? null);
        Object.assign(detail, { assigneeId: input.assigneeId, handleDue: input.handleDue ?? null });
        break;
      case 'start':
        set('in_progress_at', input.at);
        break;
      case 'complete':
        set('completed_at', input.at);
        set('completed_by', input.personId);
        break;
      case 'confirm_recall':
        set('recall_confirmed_at', input.at);
        set('recall_confirmed_by', input.personId);
        break;
    }
    const [updated] = await sequelize.query<DeliveryRow>(
      `UPDATE delivery SET ${sets.join(', ')} WHERE id = $1 RETURNING *`,
      { bind: values, type: QueryTypes.SELECT, transaction },
    );
    await audit(sequelize, transaction, delivery, input, detail);
    if (input.action === 'receive' || input.action === 'complete') {
      await enqueueWebhook(sequelize, transaction, {
        type: input.action === 'receive' ? 'delivery.received' : 'delivery.completed',
        unitIds: [delivery.recipient_unit_id],
        documentId: delivery.document_id,
        data: { deliveryId: delivery.id, recipientUnitId: delivery.recipient_unit_id, ...detail },
        occurredAt: input.at,
        idempotencyKey: `delivery:${delivery.id}:${input.action}`,
      });
    }
    return { delivery: { ...updated!, id: Number(updated!.id) }, changed: true };
  });
}

/** A repeat of an action already applied, with the same meaning: answer it unchanged. */
function alreadyDone(delivery: DeliveryRow, input: ActionInput): boolean {
  switch (input.action) {
    case 'receive':
      return delivery.received_at !== null && delivery.status !== 'delivered';
    case 'return':
      return delivery.status === 'returned';
    case 'assign':
      return delivery.status === 'assigned' && delivery.assignee_id === (input.assigneeId ?? null);
    case 'start':
      return delivery.status === 'in_progress';
    case 'complete':
      return delivery.status === 'completed';
    case 'confirm_recall':
      return delivery.recall_confirmed_at !== null;
    default:
      return false;
  }
}

/** Each receiving unit numbers what it receives in its own incoming register, per year. */
async function takeIncomingNumber(
  sequelize: Sequelize,
  transaction: Transaction,
  delivery: DeliveryRow,
  input: ActionInput,
): Promise<string> {
  const register = await registerOf(sequelize, transaction, delivery.recipient_unit_id, 'incoming');
  const [document] = await sequelize.query<{
    number: string | null;
    type_code: string;
    subject: string;
    issuer: string;
    issued_at: Date | null;
  }>(
    `SELECT d.number, d.type_code, d.subject, u.name AS issuer, d.issued_at
       FROM document d JOIN org_unit u ON u.id = d.issuing_unit_id WHERE d.id = $1`,
    { bind: [delivery.document_id], type: QueryTypes.SELECT, transaction },
  );
  const taken = await takeNumber(sequelize, transaction, {
    register,
    typeCode: document!.type_code,
    at: input.at,
    documentId: delivery.document_id,
    deliveryId: delivery.id,
    status: 'received',
    recordedBy: input.personId,
    // Sổ đến columns (Nghị định 30/2020, Phụ lục IV): who sent it, its number and date, its kind and subject.
    details: {
      issuer: document!.issuer,
      documentNumber: document!.number,
      documentDate: document!.issued_at,
      type: document!.type_code,
      subject: document!.subject,
    },
    format: (sequence) => String(sequence),
  });
  return taken.number;
}

async function audit(
  sequelize: Sequelize,
  transaction: Transaction,
  delivery: DeliveryRow,
  input: ActionInput,
  detail: Record<string, unknown>,
): Promise<void> {
  await appendAudit(sequelize, transaction, [
    {
      at: input.at,
      actorPersonId: input.personId,
      actorUnitId: delivery.recipient_unit_id,
      source: input.source,
      action: `delivery.${input.action}`,
      documentId: delivery.document_id,
      versionSha256: null,
      detail: { deliveryId: delivery.id, ...detail },
      idempotencyKey: null,
      // Thousands of units acknowledge one document at once: spread them over the chains.
      chainKey: `unit:${delivery.recipient_unit_id}`,
    },
  ]);
}
