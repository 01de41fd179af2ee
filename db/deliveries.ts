/**
 * What recipients do with a delivery, written straight from the api (no workflow, no
 * signal). Thousands of branches acknowledge one directive within seconds, so actions are
 * applied in small batches: the requests that arrive within a few milliseconds share one
 * transaction — one lock of their deliveries (in id order), one advance of each register
 * counter, one insert of their register entries, one append to the audit chains, one
 * webhook insert — and each request still gets its own answer or refusal. Repeating an
 * action that already happened changes nothing and answers the same.
 *
 *   delivered ─receive→ received ─assign→ assigned ─start→ in_progress ─complete→ completed
 *        └──────return──────┘        (received/assigned may also complete directly)
 *   recalled by the sender: frozen, and the recipient confirms.
 */
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { DomainError } from '../domain/errors';
import { type RegisterPolicy, sequenceKey } from '../domain/numbering';
import { vietnamDate } from '../domain/time';
import { type AuditEntry, appendAudit } from './audit';
import { CURRENT_TERM } from './registers';
import { sqlIn } from './sql';
import { enqueueWebhooks, type WebhookEventInput } from './webhooks';

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

/** A delivery with the path of its recipient unit, for deciding who may act on it. */
export type LockedDelivery = DeliveryRow & { unit_path: string };

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

/** Incoming registers (sổ đến) number everything received together, per calendar year. */
const INCOMING_POLICY: RegisterPolicy = { scheme: 'party', sequence: 'shared', reset: 'year' };

export async function findDelivery(sequelize: Sequelize, id: number): Promise<LockedDelivery | undefined> {
  const [row] = await sequelize.query<LockedDelivery>(
    'SELECT d.*, u.path AS unit_path FROM delivery d JOIN org_unit u ON u.id = d.recipient_unit_id WHERE d.id = $1',
    { bind: [id], type: QueryTypes.SELECT },
  );
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
  /** Decides, on the locked delivery, whether this person may act: a refusal, or nothing. */
  authorize?: (delivery: LockedDelivery) => DomainError | null;
}

export interface ActionResult {
  delivery: DeliveryRow;
  changed: boolean;
}

/** A repeat of an action already applied, with the same meaning: answer it unchanged. */
function alreadyDone(delivery: DeliveryRow, input: ActionInput): boolean {
  switch (input.action) {
    case 'read':
      return delivery.read_at !== null;
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
  }
}

interface Pending {
  input: ActionInput;
  resolve: (result: ActionResult) => void;
  reject: (error: unknown) => void;
}

/** One accepted change, waiting for its batch to write it. */
interface Change {
  pending: Pending;
  before: LockedDelivery;
  after: LockedDelivery;
  detail: Record<string, unknown>;
}

export interface BatchOptions {
  /** Most actions in one transaction. */
  maxBatch: number;
  /** How long the first action of a batch waits for company. */
  maxWaitMs: number;
  /** Batches written at the same time (each on its own connection). */
  maxInFlight: number;
}

const DEFAULT_BATCH: BatchOptions = { maxBatch: 200, maxWaitMs: 2, maxInFlight: 1 };

class DeliveryActionBatcher {
  private queue: Pending[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sequelize: Sequelize,
    private readonly options: BatchOptions,
  ) {}

  submit(input: ActionInput): Promise<ActionResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight >= this.options.maxInFlight || this.queue.length === 0) return;
    if (this.queue.length >= this.options.maxBatch) {
      this.flush();
    } else {
      this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs);
    }
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue.splice(0, this.options.maxBatch);
    if (batch.length === 0) return;
    this.inFlight += 1;
    writeBatch(this.sequelize, batch)
      .catch((error: unknown) => {
        for (const pending of batch) pending.reject(error);
      })
      .finally(() => {
        this.inFlight -= 1;
        this.schedule();
      });
  }
}

const batchers = new WeakMap<Sequelize, DeliveryActionBatcher>();

/**
 * Applies a recipient's action. Answers the delivery after it; `changed` is false when the
 * action had already been applied (an idempotent repeat).
 */
export function applyDeliveryAction(
  sequelize: Sequelize,
  input: ActionInput,
  options: BatchOptions = DEFAULT_BATCH,
): Promise<ActionResult> {
  let batcher = batchers.get(sequelize);
  if (!batcher) {
    batcher = new DeliveryActionBatcher(sequelize, options);
    batchers.set(sequelize, batcher);
  }
  return batcher.submit(input);
}

async function writeBatch(sequelize: Sequelize, batch: readonly Pending[]): Promise<void> {
  const outcomes = await sequelize.transaction(async (transaction) => {
    const sql = sqlIn(transaction);
    const ids = [...new Set(batch.map((p) => p.input.deliveryId))];
    const locked = await sql<LockedDelivery>(
      `SELECT d.*, u.path AS unit_path FROM delivery d JOIN org_unit u ON u.id = d.recipient_unit_id
        WHERE d.id = ANY($1::bigint[]) ORDER BY d.id FOR UPDATE OF d`,
      [ids],
    );
    const current = new Map(locked.map((row) => [Number(row.id), { ...row, id: Number(row.id) }]));
    const changes: Change[] = [];
    const answers: Array<{ pending: Pending; result?: ActionResult; error?: unknown }> = [];

    // Decide each action in arrival order; later actions see earlier ones of the batch.
    for (const pending of batch) {
      const { input } = pending;
      const delivery = current.get(input.deliveryId);
      if (!delivery) {
        answers.push({ pending, error: new DomainError('not_found', `no delivery ${input.deliveryId}`) });
        continue;
      }
      const refusal = input.authorize?.(delivery);
      if (refusal) {
        answers.push({ pending, error: refusal });
        continue;
      }
      if (alreadyDone(delivery, input)) {
        answers.push({ pending, result: { delivery: view(delivery), changed: false } });
        continue;
      }
      if (input.action !== 'read' && !RULES[input.action].from.includes(delivery.status)) {
        answers.push({
          pending,
          error: new DomainError(
            'invalid_transition',
            `cannot ${input.action.replace('_', ' ')}: the delivery is ${STATUS_WORDS[delivery.status]}`,
          ),
        });
        continue;
      }
      const after = transition(delivery, input);
      current.set(delivery.id, after);
      const change: Change = { pending, before: delivery, after, detail: {} };
      changes.push(change);
      answers.push({ pending });
    }

    await numberReceipts(sequelize, transaction, changes);
    await writeDeliveries(sequelize, transaction, changes);
    await appendAudit(sequelize, transaction, changes.map(auditEntryOf));
    await enqueueWebhooks(sequelize, transaction, changes.flatMap(webhookOf));

    for (const answer of answers) {
      if (answer.result || answer.error) continue;
      const change = changes.find((c) => c.pending === answer.pending)!;
      answer.result = { delivery: view(change.after), changed: true };
    }
    return answers;
  });
  for (const { pending, result, error } of outcomes) {
    if (error) pending.reject(error);
    else pending.resolve(result!);
  }
}

function view(delivery: LockedDelivery): DeliveryRow {
  const { unit_path: _path, ...row } = delivery;
  return row;
}

/** The delivery after `input`, in memory. */
function transition(delivery: LockedDelivery, input: ActionInput): LockedDelivery {
  const at = input.at;
  switch (input.action) {
    case 'read':
      return { ...delivery, read_at: at };
    case 'receive':
      return { ...delivery, status: 'received', received_at: at, read_at: delivery.read_at ?? at };
    case 'return':
      return { ...delivery, status: 'returned', returned_reason: input.reason ?? null };
    case 'assign':
      return {
        ...delivery,
        status: 'assigned',
        assignee_id: input.assigneeId ?? null,
        handle_due: input.handleDue ? new Date(input.handleDue) : null,
      };
    case 'start':
      return { ...delivery, status: 'in_progress' };
    case 'complete':
      return { ...delivery, status: 'completed', completed_at: at };
    case 'confirm_recall':
      return { ...delivery, recall_confirmed_at: at };
  }
}

/**
 * Each receiving unit numbers what it receives in its own incoming register, per year.
 * Counters are advanced once per register for the whole batch (in a fixed order, so two
 * batches never deadlock); the numbers are then handed out in arrival order.
 */
async function numberReceipts(
  sequelize: Sequelize,
  transaction: Transaction,
  changes: Change[],
): Promise<void> {
  const sql = sqlIn(transaction);
  const receipts = changes.filter((c) => c.pending.input.action === 'receive');
  if (receipts.length === 0) return;
  const units = [...new Set(receipts.map((c) => c.before.recipient_unit_id))].sort((a, b) => a - b);
  await sql(
    `INSERT INTO register (unit_id, direction, scheme, sequence_policy, reset_policy, term)
     SELECT u, 'incoming', $2, $3, $4, $5 FROM unnest($1::int[]) AS u ON CONFLICT (unit_id, direction) DO NOTHING`,
    [units, INCOMING_POLICY.scheme, INCOMING_POLICY.sequence, INCOMING_POLICY.reset, CURRENT_TERM],
  );
  const registers = await sql<{
    id: number;
    unit_id: number;
    sequence_policy: RegisterPolicy['sequence'];
    reset_policy: RegisterPolicy['reset'];
    scheme: RegisterPolicy['scheme'];
    term: string;
  }>(
    `SELECT id, unit_id, scheme, sequence_policy, reset_policy, term FROM register WHERE direction = 'incoming' AND unit_id = ANY($1::int[])`,
    [units],
  );
  const registerOf = new Map(registers.map((r) => [r.unit_id, r]));
  const documents = await sql<{
    id: string;
    number: string | null;
    type_code: string;
    subject: string;
    issuer: string;
    issued_at: Date | null;
  }>(
    `SELECT d.id, d.number, d.type_code, d.subject, u.name AS issuer, d.issued_at
       FROM document d JOIN org_unit u ON u.id = d.issuing_unit_id WHERE d.id = ANY($1::uuid[])`,
    [[...new Set(receipts.map((c) => c.before.document_id))]],
  );
  const documentOf = new Map(documents.map((d) => [d.id, d]));

  // How many numbers each (register, series, period) gives out in this batch.
  const keyOf = (change: Change) => {
    const register = registerOf.get(change.before.recipient_unit_id)!;
    const document = documentOf.get(change.before.document_id)!;
    const { series, period } = sequenceKey(
      { scheme: register.scheme, sequence: register.sequence_policy, reset: register.reset_policy },
      document.type_code,
      { term: register.term, year: vietnamDate(change.pending.input.at).year },
    );
    return { register, document, series, period, key: `${register.id}|${series}|${period}` };
  };
  const keyed = receipts.map((change) => ({ change, ...keyOf(change) }));
  const counts = new Map<string, { registerId: number; series: string; period: string; n: number }>();
  for (const k of keyed) {
    const entry = counts.get(k.key) ?? {
      registerId: k.register.id,
      series: k.series,
      period: k.period,
      n: 0,
    };
    entry.n += 1;
    counts.set(k.key, entry);
  }
  const ordered = [...counts.values()].sort(
    (a, b) =>
      a.registerId - b.registerId || a.series.localeCompare(b.series) || a.period.localeCompare(b.period),
  );
  const advanced = await sql<{
    register_id: number;
    series: string;
    period: string;
    last_sequence: number;
  }>(
    `INSERT INTO register_counter (register_id, series, period, last_sequence)
     SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[])
     ON CONFLICT (register_id, series, period) DO UPDATE SET last_sequence = register_counter.last_sequence + EXCLUDED.last_sequence
     RETURNING register_id, series, period, last_sequence`,
    [
      ordered.map((o) => o.registerId),
      ordered.map((o) => o.series),
      ordered.map((o) => o.period),
      ordered.map((o) => o.n),
    ],
  );
  const next = new Map<string, number>();
  for (const a of advanced) {
    const key = `${a.register_id}|${a.series}|${a.period}`;
    next.set(key, a.last_sequence - counts.get(key)!.n + 1);
  }
  const entries: unknown[][] = [];
  for (const k of keyed) {
    const sequence = next.get(k.key)!;
    next.set(k.key, sequence + 1);
    const number = String(sequence);
    k.change.after = { ...k.change.after, incoming_number: number };
    k.change.detail.incomingNumber = number;
    entries.push([
      k.register.id,
      k.series,
      k.period,
      sequence,
      number,
      k.change.before.document_id,
      k.change.before.id,
      k.change.pending.input.at,
      k.change.pending.input.personId,
      // Sổ đến columns (Nghị định 30/2020, Phụ lục IV): who sent it, its number and date, its kind and subject.
      JSON.stringify({
        issuer: k.document.issuer,
        documentNumber: k.document.number,
        documentDate: k.document.issued_at,
        type: k.document.type_code,
        subject: k.document.subject,
      }),
    ]);
  }
  const column = (i: number) => entries.map((e) => e[i]);
  await sql(
    `INSERT INTO register_entry (register_id, series, period, sequence, number, status, document_id, delivery_id,
        recorded_at, recorded_by, details)
     SELECT r, s, p, q, n, 'received', d, v, a, b, x
       FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::text[], $6::uuid[], $7::bigint[], $8::timestamptz[],
                   $9::int[], $10::jsonb[]) AS t(r, s, p, q, n, d, v, a, b, x)`,
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(column),
  );
}

/** One UPDATE per kind of action in the batch, each over all its deliveries. */
async function writeDeliveries(
  sequelize: Sequelize,
  transaction: Transaction,
  changes: Change[],
): Promise<void> {
  const sql = sqlIn(transaction);
  const byAction = new Map<DeliveryAction, Change[]>();
  for (const change of changes) {
    const action = change.pending.input.action;
    byAction.set(action, [...(byAction.get(action) ?? []), change]);
  }
  for (const [action, group] of byAction) {
    const ids = group.map((c) => c.before.id);
    const at = group.map((c) => c.pending.input.at);
    const person = group.map((c) => c.pending.input.personId);
    const bind = (extra: unknown[][]) => [ids, at, person, ...extra];
    const from = 'FROM unnest($1::bigint[], $2::timestamptz[], $3::int[]';
    switch (action) {
      case 'read':
        await sql(
          `UPDATE delivery SET read_at = v.a ${from}) AS v(id, a, p) WHERE delivery.id = v.id`,
          bind([]),
        );
        break;
      case 'receive':
        await sql(
          `UPDATE delivery SET status = 'received', received_at = v.a, received_by = v.p, incoming_number = v.n,
                  read_at = coalesce(read_at, v.a)
             ${from}, $4::text[]) AS v(id, a, p, n) WHERE delivery.id = v.id`,
          bind([group.map((c) => c.after.incoming_number)]),
        );
        break;
      case 'return':
        await sql(
          `UPDATE delivery SET status = 'returned', returned_at = v.a, returned_reason = v.r
             ${from}, $4::text[]) AS v(id, a, p, r) WHERE delivery.id = v.id`,
          bind([group.map((c) => c.pending.input.reason ?? null)]),
        );
        break;
      case 'assign':
        await sql(
          `UPDATE delivery SET status = 'assigned', assigned_at = v.a, assigned_by = v.p, assignee_id = v.h, handle_due = v.d
             ${from}, $4::int[], $5::timestamptz[]) AS v(id, a, p, h, d) WHERE delivery.id = v.id`,
          bind([
            group.map((c) => c.pending.input.assigneeId ?? null),
            group.map((c) => c.pending.input.handleDue ?? null),
          ]),
        );
        break;
      case 'start':
        await sql(
          `UPDATE delivery SET status = 'in_progress', in_progress_at = v.a ${from}) AS v(id, a, p) WHERE delivery.id = v.id`,
          bind([]),
        );
        break;
      case 'complete':
        await sql(
          `UPDATE delivery SET status = 'completed', completed_at = v.a, completed_by = v.p
             ${from}) AS v(id, a, p) WHERE delivery.id = v.id`,
          bind([]),
        );
        break;
      case 'confirm_recall':
        await sql(
          `UPDATE delivery SET recall_confirmed_at = v.a, recall_confirmed_by = v.p
             ${from}) AS v(id, a, p) WHERE delivery.id = v.id`,
          bind([]),
        );
        break;
    }
  }
}

function auditEntryOf(change: Change): AuditEntry {
  const { input } = change.pending;
  const detail: Record<string, unknown> = { deliveryId: change.before.id, ...change.detail };
  if (input.action === 'return') detail.reason = input.reason;
  if (input.action === 'assign')
    Object.assign(detail, { assigneeId: input.assigneeId, handleDue: input.handleDue ?? null });
  return {
    at: input.at,
    actorPersonId: input.personId,
    actorUnitId: change.before.recipient_unit_id,
    source: input.source,
    action: `delivery.${input.action}`,
    documentId: change.before.document_id,
    versionSha256: null,
    detail,
    idempotencyKey: null,
    // Thousands of units acknowledge one document at once: spread them over the chains.
    chainKey: `unit:${change.before.recipient_unit_id}`,
  };
}

function webhookOf(change: Change): WebhookEventInput[] {
  const { input } = change.pending;
  if (input.action !== 'receive' && input.action !== 'complete') return [];
  return [
    {
      type: input.action === 'receive' ? 'delivery.received' : 'delivery.completed',
      unitIds: [change.before.recipient_unit_id],
      documentId: change.before.document_id,
      data: {
        deliveryId: change.before.id,
        recipientUnitId: change.before.recipient_unit_id,
        ...change.detail,
      },
      occurredAt: input.at,
      idempotencyKey: `delivery:${change.before.id}:${input.action}`,
    },
  ];
}
