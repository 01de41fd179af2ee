/**
 * Registers (sổ đi, sổ đến) and their gapless counters. A number is taken inside the
 * transaction that records it: the counter row is locked FOR UPDATE, advanced by one and
 * the entry written, so two transactions never get the same number and a rolled-back
 * transaction gives its number back untouched. A number that was handed out and then
 * given up stays in the register as cancelled; it is never reused.
 */
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { DomainError } from '../domain/errors';
import { type NumberingScheme, type RegisterPolicy, sequenceKey } from '../domain/numbering';
import { vietnamDate } from '../domain/time';

export type RegisterDirection = 'outgoing' | 'incoming';

export interface Register extends RegisterPolicy {
  id: number;
  unitId: number;
  direction: RegisterDirection;
  term: string;
}

/** The committee term current when a register is created. */
export const CURRENT_TERM = '2025-2030';

/**
 * Party outgoing registers count per document type within the committee term; incoming
 * registers (sổ đến) count all documents together per calendar year.
 */
const DEFAULT_POLICY: Record<RegisterDirection, RegisterPolicy> = {
  outgoing: { scheme: 'party', sequence: 'per_type', reset: 'term' },
  incoming: { scheme: 'party', sequence: 'shared', reset: 'year' },
};

/** The columns (scheme, sequence_policy, reset_policy, term) of a register opened today. */
export function newRegisterColumns(direction: RegisterDirection): [string, string, string, string] {
  const policy = DEFAULT_POLICY[direction];
  return [policy.scheme, policy.sequence, policy.reset, CURRENT_TERM];
}

interface RegisterRow {
  id: number;
  unit_id: number;
  direction: RegisterDirection;
  scheme: NumberingScheme;
  sequence_policy: RegisterPolicy['sequence'];
  reset_policy: RegisterPolicy['reset'];
  term: string;
}

function fromRow(row: RegisterRow): Register {
  return {
    id: row.id,
    unitId: row.unit_id,
    direction: row.direction,
    scheme: row.scheme,
    sequence: row.sequence_policy,
    reset: row.reset_policy,
    term: row.term,
  };
}

/** The unit's register for a direction, created with the default policy on first use. */
export async function registerOf(
  sequelize: Sequelize,
  transaction: Transaction,
  unitId: number,
  direction: RegisterDirection,
): Promise<Register> {
  const policy = DEFAULT_POLICY[direction];
  await sequelize.query(
    `INSERT INTO register (unit_id, direction, scheme, sequence_policy, reset_policy, term)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (unit_id, direction) DO NOTHING`,
    { bind: [unitId, direction, policy.scheme, policy.sequence, policy.reset, CURRENT_TERM], transaction },
  );
  // FOR SHARE: a term being opened waits for the numbers being taken under the old one.
  const [row] = await sequelize.query<RegisterRow>(
    'SELECT * FROM register WHERE unit_id = $1 AND direction = $2 FOR SHARE',
    {
      bind: [unitId, direction],
      type: QueryTypes.SELECT,
      transaction,
    },
  );
  return fromRow(row!);
}

/** A committee term label: `2025-2030`. */
export const TERM_PATTERN = /^(\d{4})-(\d{4})$/;

/**
 * Opens a new committee term in the unit's outgoing register: Party numbers count per
 * type within a term, so the next number of every type is 01 again. The entries of the
 * old term stay where they are. Terms only move forward; opening the current term again
 * changes nothing.
 */
export async function openTerm(
  sequelize: Sequelize,
  transaction: Transaction,
  unitId: number,
  term: string,
): Promise<{ register: Register; previousTerm: string; changed: boolean }> {
  await registerOf(sequelize, transaction, unitId, 'outgoing');
  const [row] = await sequelize.query<RegisterRow>(
    "SELECT * FROM register WHERE unit_id = $1 AND direction = 'outgoing' FOR UPDATE",
    { bind: [unitId], type: QueryTypes.SELECT, transaction },
  );
  const register = fromRow(row!);
  if (register.term === term) return { register, previousTerm: term, changed: false };
  if (term < register.term) {
    throw new DomainError(
      'conflict',
      `the register is in term ${register.term}; a term only moves forward`,
      'body.term',
    );
  }
  await sequelize.query('UPDATE register SET term = $2 WHERE id = $1', {
    bind: [register.id, term],
    transaction,
  });
  return { register: { ...register, term }, previousTerm: register.term, changed: true };
}

export interface TakenNumber {
  entryId: number;
  sequence: number;
  series: string;
  period: string;
}

/**
 * Takes the next number of a register and records the entry, in `transaction`.
 * `format` turns the sequence into the number as printed (e.g. `12-CT/TU`).
 */
export async function takeNumber(
  sequelize: Sequelize,
  transaction: Transaction,
  input: {
    register: Register;
    typeCode: string;
    at: Date;
    documentId: string;
    deliveryId?: number;
    status: 'reserved' | 'issued' | 'received';
    recordedBy: number | null;
    details: Record<string, unknown>;
    format: (sequence: number) => string;
  },
): Promise<TakenNumber & { number: string }> {
  const { register } = input;
  const { series, period } = sequenceKey(register, input.typeCode, {
    term: register.term,
    year: vietnamDate(input.at).year,
  });
  await sequelize.query(
    `INSERT INTO register_counter (register_id, series, period, last_sequence) VALUES ($1, $2, $3, 0)
     ON CONFLICT DO NOTHING`,
    { bind: [register.id, series, period], transaction },
  );
  const [counter] = await sequelize.query<{ last_sequence: number }>(
    `UPDATE register_counter SET last_sequence = last_sequence + 1
      WHERE register_id = $1 AND series = $2 AND period = $3 RETURNING last_sequence`,
    { bind: [register.id, series, period], type: QueryTypes.SELECT, transaction },
  );
  const sequence = counter!.last_sequence;
  const number = input.format(sequence);
  const [entry] = await sequelize.query<{ id: string }>(
    `INSERT INTO register_entry (register_id, series, period, sequence, number, status, document_id,
        delivery_id, recorded_at, recorded_by, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
    {
      bind: [
        register.id,
        series,
        period,
        sequence,
        number,
        input.status,
        input.documentId,
        input.deliveryId ?? null,
        input.at,
        input.recordedBy,
        JSON.stringify(input.details),
      ],
      type: QueryTypes.SELECT,
      transaction,
    },
  );
  return { entryId: Number(entry!.id), sequence, series, period, number };
}

export async function cancelEntry(
  sequelize: Sequelize,
  transaction: Transaction,
  entryId: number,
  reason: string,
  at: Date,
): Promise<void> {
  await sequelize.query(
    `UPDATE register_entry SET status = 'cancelled', cancelled_at = $2, cancel_reason = $3
      WHERE id = $1 AND status = 'reserved'`,
    { bind: [entryId, at, reason], transaction },
  );
}
