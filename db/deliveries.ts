/**
 * What recipients do with a delivery, written straight from the api (no workflow, no
 * signal). Thousands of branches acknowledge one directive within seconds, so actions are
 * applied in small batches: the requests that arrive within a few milliseconds share one
 * transaction — one lock of their deliveries (in id order), one advance of each register
 * counter, one insert of their register entries, one append to an audit chain, one
 * webhook insert — and each request still gets its own answer or refusal. Repeating an
 * action that already happened changes nothing and answers the same.
 *
 *   delivered ─receive→ received ─assign→ assigned ─start→ in_progress ─complete→ completed
 *        └──────return──────┘        (received/assigned may also complete directly)
 *   recalled by the sender: frozen, and the recipient confirms.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { AUDIT_CHAINS } from '../domain/audit-chain';
import { DomainError } from '../domain/errors';
import { type RegisterPolicy, sequenceKey } from '../domain/numbering';
import { vietnamDate } from '../domain/time';
import { type AuditEntry, chainedAuditWrites, type LockedHead, lockAuditHeads } from './audit';
import { newRegisterColumns } from './registers';
import { type Column, combinedWrite, rawTransaction, type Sql, type Statement, type WritePart } from './sql';
import { type WebhookEventInput, webhookWrites } from './webhooks';

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
  received_by: number | null;
  incoming_number: string | null;
  returned_at: Date | null;
  returned_reason: string | null;
  assigned_at: Date | null;
  assigned_by: number | null;
  assignee_id: number | null;
  handle_due: Date | null;
  in_progress_at: Date | null;
  completed_at: Date | null;
  completed_by: number | null;
  recalled_at: Date | null;
  recall_confirmed_at: Date | null;
  recall_confirmed_by: number | null;
  reminded_at: Date | null;
  escalated_at: Date | null;
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

export class DeliveryActionBatcher {
  private queue: Pending[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The audit chains the batches in flight append to. */
  private readonly chainsInUse = new Set<number>();

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

  /**
   * Starts a batch when there is room: at once when the queue is full or when the actions
   * waiting gathered while the previous batch was being written (waiting longer would only
   * add to their time); otherwise after a short wait for company.
   */
  private schedule(afterBatch = false): void {
    if (this.inFlight >= this.options.maxInFlight || this.queue.length === 0) return;
    if (this.queue.length >= this.options.maxBatch || afterBatch) {
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
    const chain = this.freeChain();
    this.chainsInUse.add(chain);
    writeBatch(this.sequelize, batch, chain).then(
      (answer) => this.finished(chain, answer),
      (error: unknown) =>
        this.finished(chain, () => {
          for (const pending of batch) pending.reject(error);
        }),
    );
  }

  /**
   * The next batch goes out before this one's requests are answered. Answering a batch
   * (serialising and writing each response) holds the event loop for a few milliseconds;
   * done first, it kept the database idle that long in every cycle. Sent first, the next
   * batch's lock statement runs meanwhile (bench: +10–50 % acknowledgments a second over
   * HTTP, in pairs run side by side).
   */
  private finished(chain: number, answer: () => void): void {
    this.inFlight -= 1;
    this.chainsInUse.delete(chain);
    this.schedule(true);
    setImmediate(answer);
  }

  /**
   * A batch appends all its audit entries to one chain: one head to lock and advance
   * instead of one per recipient unit. Batches in flight together take different chains,
   * so they never queue behind each other's head; the choice is random so that other
   * writers (and other api processes) seldom meet it either.
   */
  private freeChain(): number {
    const free = Array.from({ length: AUDIT_CHAINS }, (_, chain) => chain).filter(
      (chain) => !this.chainsInUse.has(chain),
    );
    return free[Math.floor(Math.random() * free.length)]!;
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

/**
 * What numbering a receipt needs to know, read with the lock: the document's sổ đến
 * columns and the recipient's incoming register (null until its first receipt).
 */
interface ReceiptContext {
  document: {
    number: string | null;
    type_code: string;
    subject: string;
    issuer: string;
    issued_at: string | null;
  };
  register: {
    id: number;
    scheme: RegisterPolicy['scheme'];
    sequence_policy: RegisterPolicy['sequence'];
    reset_policy: RegisterPolicy['reset'];
    term: string;
  } | null;
}

type LockedRow = LockedDelivery & { receipt: ReceiptContext };

/**
 * The transaction of one batch, in as few round trips as the data allows (each one waits
 * for an event loop that is also answering HTTP): lock and read everything, reserving
 * the receipts' numbers and locking the head of the batch's audit chain; then write
 * everything. BEGIN travels with the first and COMMIT with the last (rawTransaction): two
 * round trips for any number of acknowledgments (two more when the batch opens a register).
 */
async function writeBatch(
  sequelize: Sequelize,
  batch: readonly Pending[],
  chain: number,
): Promise<() => void> {
  const outcomes = await rawTransaction(sequelize, async (sql) => {
    const ids = [...new Set(batch.map((p) => p.input.deliveryId))];
    const claims = receiptClaims(batch);
    // The deliveries are locked first, by key and in id order. Their context is then read
    // once per distinct unit, document and register (MATERIALIZED: each table probed once
    // with the batch's keys). Per-row lookups made the planner rescan small tables once per
    // delivery, and joining the batch to whole tables hash-joined a city's 16,000 units.
    // The same statement locks the head of the batch's audit chain and reserves numbers for
    // the receipts the locked rows allow (see receiptClaims).
    const locked = await sql<LockedRow & { reserved: Reservation[] | null; heads: LockedHead[] | null }>(
      `WITH locked AS (SELECT * FROM delivery WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE),
       units AS MATERIALIZED (SELECT id, path FROM org_unit
                  WHERE id = ANY (ARRAY(SELECT DISTINCT recipient_unit_id FROM locked))),
       documents AS MATERIALIZED (
         SELECT x.id, x.number, x.type_code, x.subject, iu.name AS issuer, x.issued_at
           FROM document x JOIN org_unit iu ON iu.id = x.issuing_unit_id
          WHERE x.id = ANY (ARRAY(SELECT DISTINCT document_id FROM locked))),
       registers AS MATERIALIZED (
         SELECT id, unit_id, scheme, sequence_policy, reset_policy, term FROM register
          WHERE direction = 'incoming' AND unit_id = ANY (ARRAY(SELECT DISTINCT recipient_unit_id FROM locked))),
       heads AS (${lockAuditHeads('$2')}),
       claimed AS MATERIALIZED (
         SELECT r.id AS register_id,
                CASE r.sequence_policy WHEN 'per_type' THEN doc.type_code ELSE '*' END AS series,
                CASE r.reset_policy WHEN 'term' THEN 'term:' || r.term ELSE 'year:' || c.year END AS period,
                count(*)::int AS n
           FROM unnest($3::bigint[], $4::int[]) AS c(delivery_id, year)
           JOIN locked d ON d.id = c.delivery_id AND d.status = 'delivered'
           JOIN registers r ON r.unit_id = d.recipient_unit_id
           JOIN documents doc ON doc.id = d.document_id
          GROUP BY 1, 2, 3),
       advanced AS (${advanceCounters('SELECT register_id, series, period, n FROM claimed')})
       SELECT d.*, u.path AS unit_path,
              json_build_object(
                'document', json_build_object('number', doc.number, 'type_code', doc.type_code,
                  'subject', doc.subject, 'issuer', doc.issuer, 'issued_at', doc.issued_at),
                'register', CASE WHEN r.id IS NOT NULL THEN json_build_object('id', r.id, 'scheme', r.scheme,
                  'sequence_policy', r.sequence_policy, 'reset_policy', r.reset_policy, 'term', r.term) END
              ) AS receipt,
              -- The batch's reservations and audit head, once (in the first row), not in every row.
              CASE WHEN d.id = (SELECT min(id) FROM locked) THEN
                (SELECT json_agg(json_build_object('register_id', a.register_id, 'series', a.series,
                        'period', a.period, 'last_sequence', a.last_sequence, 'n', k.n))
                   FROM advanced a JOIN claimed k USING (register_id, series, period)) END AS reserved,
              CASE WHEN d.id = (SELECT min(id) FROM locked) THEN (SELECT json_agg(h) FROM heads h) END AS heads
         FROM locked d
         JOIN units u ON u.id = d.recipient_unit_id
         JOIN documents doc ON doc.id = d.document_id
         LEFT JOIN registers r ON r.unit_id = d.recipient_unit_id
        ORDER BY d.id`,
      [ids, [chain], [...claims.keys()], [...claims.values()]],
    );
    const reserved = reservationsOf(locked[0]?.reserved ?? []);
    const heads = locked[0]?.heads ?? [];
    const contexts = new Map<number, ReceiptContext>();
    const current = new Map<number, LockedDelivery>();
    for (const { receipt, reserved: _reserved, heads: _heads, ...row } of locked) {
      const id = Number(row.id);
      contexts.set(id, receipt);
      current.set(id, { ...row, id });
    }
    const changes: Change[] = [];
    let finalWrite: Statement | null = null;
    // Each request's answer: a refusal, or the delivery as its action left it.
    const answers: Array<{ pending: Pending; shown?: LockedDelivery; change?: Change; error?: unknown }> = [];

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
        answers.push({ pending, shown: delivery });
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
      answers.push({ pending, shown: after, change });
    }
    if (changes.length > 0) {
      const receipts = changes.filter((c) => c.pending.input.action === 'receive');
      await openRegisters(sql, receipts, contexts);
      const plan = planReceipts(receipts, contexts);
      if (plan) await reserveRest(sql, plan, reserved);
      const entries = plan ? assignNumbers(plan, reserved) : null;
      if (entries) carryNumbers(answers, entries.numbered);
      // And one statement writes everything, sent with COMMIT: register entries and the
      // numbers reserved but not used given back, deliveries, webhooks, the audit entries.
      finalWrite = combinedWrite([
        ...(entries ? [registerEntriesWrite(entries.rows)] : []),
        ...(entries && entries.unused.length > 0 ? [countersWrite(entries.unused)] : []),
        deliveriesWrite(changes),
        ...webhookWrites(changes.flatMap(webhookOf)),
        ...chainedAuditWrites(
          heads,
          changes.map((change) => auditEntryOf(change, chain)),
        ),
      ]);
    }

    return { result: answers, finalWrite };
  });
  return () => {
    for (const { pending, shown, change, error } of outcomes) {
      if (error) pending.reject(error);
      else pending.resolve({ delivery: view(shown!), changed: change !== undefined });
    }
  };
}

/**
 * A receipt's number is known only once the counters have advanced: it goes into the
 * receipt itself and everything after it in the batch that shows the same delivery.
 */
function carryNumbers(
  answers: Array<{ shown?: LockedDelivery; change?: Change }>,
  numbered: ReadonlyMap<number, string>,
): void {
  const received = new Set<number>();
  for (const answer of answers) {
    if (!answer.shown) continue;
    const id = answer.shown.id;
    if (answer.change?.pending.input.action === 'receive') received.add(id);
    if (!received.has(id)) continue;
    answer.shown = { ...answer.shown, incoming_number: numbered.get(id)! };
    if (answer.change) answer.change.after = answer.shown;
  }
}

function view(delivery: LockedDelivery): DeliveryRow {
  const { unit_path: _path, ...row } = delivery;
  return row;
}

/** The delivery after `input`, in memory: every column the action sets. */
function transition(delivery: LockedDelivery, input: ActionInput): LockedDelivery {
  const { at, personId } = input;
  switch (input.action) {
    case 'read':
      return { ...delivery, read_at: at };
    case 'receive':
      return {
        ...delivery,
        status: 'received',
        received_at: at,
        received_by: personId,
        read_at: delivery.read_at ?? at,
      };
    case 'return':
      return { ...delivery, status: 'returned', returned_at: at, returned_reason: input.reason ?? null };
    case 'assign':
      return {
        ...delivery,
        status: 'assigned',
        assigned_at: at,
        assigned_by: personId,
        assignee_id: input.assigneeId ?? null,
        handle_due: input.handleDue ? new Date(input.handleDue) : null,
      };
    case 'start':
      return { ...delivery, status: 'in_progress', in_progress_at: at };
    case 'complete':
      return { ...delivery, status: 'completed', completed_at: at, completed_by: personId };
    case 'confirm_recall':
      return { ...delivery, recall_confirmed_at: at, recall_confirmed_by: personId };
  }
}

/**
 * A unit's first receipt opens its incoming register if its delivery did not (dispatch
 * opens them; deliveries written otherwise may not have): two extra round trips, rarely.
 */
async function openRegisters(sql: Sql, receipts: readonly Change[], contexts: Map<number, ReceiptContext>) {
  const units = [
    ...new Set(
      receipts.filter((c) => !contexts.get(c.before.id)!.register).map((c) => c.before.recipient_unit_id),
    ),
  ].sort((a, b) => a - b);
  if (units.length === 0) return;
  await sql(
    `INSERT INTO register (unit_id, direction, scheme, sequence_policy, reset_policy, term)
     SELECT u, 'incoming', $2, $3, $4, $5 FROM unnest($1::int[]) AS u ON CONFLICT (unit_id, direction) DO NOTHING`,
    [units, ...newRegisterColumns('incoming')],
  );
  const opened = await sql<NonNullable<ReceiptContext['register']> & { unit_id: number }>(
    `SELECT id, unit_id, scheme, sequence_policy, reset_policy, term FROM register
      WHERE direction = 'incoming' AND unit_id = ANY($1::int[])`,
    [units],
  );
  const byUnit = new Map(opened.map((r) => [r.unit_id, r]));
  for (const change of receipts) {
    const context = contexts.get(change.before.id)!;
    context.register ??= byUnit.get(change.before.recipient_unit_id)!;
  }
}

interface ReceiptPlan {
  keyed: Array<{
    change: Change;
    context: ReceiptContext;
    registerId: number;
    series: string;
    period: string;
    key: string;
  }>;
  /** How many numbers each (register, series, period) gives out, in lock order. */
  counts: Array<{ registerId: number; series: string; period: string; key: string; n: number }>;
}

/**
 * Each receiving unit numbers what it receives in its own incoming register, per year.
 * Counters are advanced once per register for the whole batch, in a fixed order so two
 * batches never deadlock; the numbers are then handed out in arrival order.
 */
function planReceipts(
  receipts: readonly Change[],
  contexts: Map<number, ReceiptContext>,
): ReceiptPlan | null {
  if (receipts.length === 0) return null;
  const keyed = receipts.map((change) => {
    const context = contexts.get(change.before.id)!;
    const register = context.register!;
    const { series, period } = sequenceKey(
      { scheme: register.scheme, sequence: register.sequence_policy, reset: register.reset_policy },
      context.document.type_code,
      { term: register.term, year: vietnamDate(change.pending.input.at).year },
    );
    return {
      change,
      context,
      registerId: register.id,
      series,
      period,
      key: counterKey(register.id, series, period),
    };
  });
  const counts = new Map<string, ReceiptPlan['counts'][number]>();
  for (const k of keyed) {
    const entry = counts.get(k.key) ?? {
      registerId: k.registerId,
      series: k.series,
      period: k.period,
      key: k.key,
      n: 0,
    };
    entry.n += 1;
    counts.set(k.key, entry);
  }
  return {
    keyed,
    counts: [...counts.values()].sort(
      (a, b) =>
        a.registerId - b.registerId || a.series.localeCompare(b.series) || a.period.localeCompare(b.period),
    ),
  };
}

/**
 * The receipts a batch may make, claimed before its actions are decided: the first
 * receive action of each delivery, with the year it happens in. The lock statement
 * reserves a number for each of them whose delivery is still waiting to be received and
 * whose unit has a register; the batch then hands the reserved numbers out to the
 * receipts it accepts, in arrival order, and gives back in its final write those of
 * receipts it refused (the counter rows stay locked until then, so nobody sees them).
 */
function receiptClaims(batch: readonly Pending[]): Map<number, number> {
  const claims = new Map<number, number>();
  for (const { input } of batch) {
    if (input.action === 'receive' && !claims.has(input.deliveryId))
      claims.set(input.deliveryId, vietnamDate(input.at).year);
  }
  return claims;
}

/** Numbers reserved in a counter: the first one, and how many. */
interface Reservation {
  register_id: number;
  series: string;
  period: string;
  last_sequence: number;
  n: number;
}

type Reservations = Map<
  string,
  { registerId: number; series: string; period: string; first: number; n: number }
>;

const counterKey = (registerId: number, series: string, period: string) =>
  `${registerId}|${series}|${period}`;

function reservationsOf(rows: readonly Reservation[]): Reservations {
  return new Map(
    rows.map((r) => [
      counterKey(r.register_id, r.series, r.period),
      {
        registerId: r.register_id,
        series: r.series,
        period: r.period,
        first: r.last_sequence - r.n + 1,
        n: r.n,
      },
    ]),
  );
}

/**
 * Advances each counter in `counts` (register_id, series, period, how many) by its count,
 * creating it at need, in key order so two batches never deadlock; returns the new values.
 */
function advanceCounters(counts: string): string {
  return `INSERT INTO register_counter (register_id, series, period, last_sequence)
     SELECT * FROM (${counts}) AS c ORDER BY 1, 2, 3
     ON CONFLICT (register_id, series, period)
       DO UPDATE SET last_sequence = register_counter.last_sequence + EXCLUDED.last_sequence
     RETURNING register_id, series, period, last_sequence`;
}

/**
 * Reserves, in one more round trip, the numbers the lock statement could not: those of
 * units whose register this batch opened.
 */
async function reserveRest(sql: Sql, plan: ReceiptPlan, reserved: Reservations): Promise<void> {
  const rest = plan.counts.filter((c) => !reserved.has(c.key));
  if (rest.length === 0) return;
  const rows = await sql<{ register_id: number; series: string; period: string; last_sequence: number }>(
    advanceCounters('SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[])'),
    [
      rest.map((c) => c.registerId),
      rest.map((c) => c.series),
      rest.map((c) => c.period),
      rest.map((c) => c.n),
    ],
  );
  const wanted = new Map(rest.map((c) => [c.key, c.n]));
  for (const r of reservationsOf(
    rows.map((row) => ({ ...row, n: wanted.get(counterKey(row.register_id, row.series, row.period))! })),
  ))
    reserved.set(...r);
}

/** The counters whose reservations were not all used, set back to the last number used. */
function countersWrite(unused: ReadonlyArray<readonly unknown[]>): WritePart {
  return (p) =>
    `UPDATE register_counter c SET last_sequence = v.last_sequence
       FROM ${p.addRows(unused, COUNTER_COLUMNS, 'v')}
      WHERE c.register_id = v.register_id AND c.series = v.series AND c.period = v.period`;
}

const COUNTER_COLUMNS: readonly Column[] = [
  ['register_id', 'int'],
  ['series', 'text'],
  ['period', 'text'],
  ['last_sequence', 'int'],
];

/**
 * The reserved numbers handed out in arrival order, the register entries (sổ đến) to
 * insert, and the counters to set back where fewer were used than reserved.
 */
function assignNumbers(plan: ReceiptPlan, reserved: Reservations) {
  const next = new Map([...reserved].map(([key, r]) => [key, r.first]));
  const numbered = new Map<number, string>();
  const rows: unknown[][] = [];
  for (const k of plan.keyed) {
    const sequence = next.get(k.key)!;
    next.set(k.key, sequence + 1);
    const number = String(sequence);
    numbered.set(k.change.before.id, number);
    k.change.detail.incomingNumber = number;
    const { document } = k.context;
    const { input } = k.change.pending;
    rows.push([
      k.registerId,
      k.series,
      k.period,
      sequence,
      number,
      k.change.before.document_id,
      k.change.before.id,
      input.at,
      input.personId,
      // Sổ đến columns (Nghị định 30/2020, Phụ lục IV): who sent it, its number and date, its kind and subject.
      {
        issuer: document.issuer,
        documentNumber: document.number,
        documentDate: document.issued_at,
        type: document.type_code,
        subject: document.subject,
      },
    ]);
  }
  const unused = [...reserved]
    .filter(([key, r]) => next.get(key)! < r.first + r.n)
    .map(([key, r]) => [r.registerId, r.series, r.period, next.get(key)! - 1]);
  return { numbered, rows, unused };
}

/** The columns of a received register entry, in the order assignNumbers gives them. */
const ENTRY_COLUMNS: readonly Column[] = [
  ['register_id', 'int'],
  ['series', 'text'],
  ['period', 'text'],
  ['sequence', 'int'],
  ['number', 'text'],
  ['document_id', 'uuid'],
  ['delivery_id', 'bigint'],
  ['recorded_at', 'timestamptz'],
  ['recorded_by', 'int'],
  ['details', 'jsonb'],
];

function registerEntriesWrite(rows: readonly unknown[][]): WritePart {
  const names = ENTRY_COLUMNS.map(([name]) => name).join(', ');
  return (p) =>
    `INSERT INTO register_entry (${names}, status)
     SELECT ${names}, 'received' FROM ${p.addRows(rows, ENTRY_COLUMNS, 't')}`;
}

/** What a change may set on a delivery, all written from the final row of each delivery. */
const WRITTEN: ReadonlyArray<readonly [keyof LockedDelivery & string, string]> = [
  ['status', 'text'],
  ['read_at', 'timestamptz'],
  ['received_at', 'timestamptz'],
  ['received_by', 'int'],
  ['incoming_number', 'text'],
  ['returned_at', 'timestamptz'],
  ['returned_reason', 'text'],
  ['assigned_at', 'timestamptz'],
  ['assigned_by', 'int'],
  ['assignee_id', 'int'],
  ['handle_due', 'timestamptz'],
  ['in_progress_at', 'timestamptz'],
  ['completed_at', 'timestamptz'],
  ['completed_by', 'int'],
  ['recall_confirmed_at', 'timestamptz'],
  ['recall_confirmed_by', 'int'],
];

/**
 * Every changed delivery, as its final row in the batch; only the columns some action of
 * the batch changed (a receipt sets four of sixteen).
 */
function deliveriesWrite(changes: readonly Change[]): WritePart {
  const first = new Map<number, LockedDelivery>();
  const final = new Map<number, LockedDelivery>();
  for (const change of changes) {
    if (!first.has(change.before.id)) first.set(change.before.id, change.before);
    final.set(change.after.id, change.after);
  }
  const rows = [...final.values()];
  // Unchanged values are the very values read under the lock, so identity tells.
  const columns = WRITTEN.filter(([column]) => rows.some((r) => r[column] !== first.get(r.id)![column]));
  const values = rows.map((r) => [r.id, ...columns.map(([column]) => r[column])]);
  // The ids again as an array: the planner guesses a hundred rows for json_to_recordset
  // and would hash-join them to the whole table; by key, each delivery is one index probe.
  return (p) =>
    `UPDATE delivery SET ${columns.map(([column]) => `${column} = v.${column}`).join(', ')}
       FROM ${p.addRows(values, [['id', 'bigint'], ...columns], 'v')}
      WHERE delivery.id = ANY (${p.add(
        rows.map((r) => r.id),
        'bigint[]',
      )}) AND delivery.id = v.id`;
}

function auditEntryOf(change: Change, chain: number): AuditEntry {
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
    chain,
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
