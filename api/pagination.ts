/**
 * Cursor pagination for list routes. The order is stable (the last sort key must be
 * unique, e.g. the id), pages are read with a keyset condition (no OFFSET, so page 1,000
 * costs what page 1 does and rows inserted meanwhile neither repeat nor vanish), and the
 * cursor is opaque to clients: base64url of the last row's sort keys.
 *
 *   query: pageQuery(),                          // ?limit=50&cursor=…
 *   responses: { 200: { schema: pageOf(item, 'TokenPage') } }
 *   const page = await keysetPage(sequelize, {
 *     sql: 'SELECT id, name FROM api_token WHERE unit_id = $1', bind: [unitId],
 *     keys: [{ field: 'id', direction: 'desc' }], page: query });
 *   return { status: 200, body: { items: page.rows.map(view), nextCursor: page.nextCursor } };
 */
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { z } from 'zod';
import { DomainError } from '../domain/errors';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

/** The `limit` and `cursor` query parameters (other filters can `.extend()` it). */
export function pageQuery(options: { defaultLimit?: number; maxLimit?: number } = {}) {
  const max = options.maxLimit ?? MAX_PAGE_SIZE;
  return z.strictObject({
    limit: z.coerce
      .number()
      .int()
      .min(1, 'at least 1')
      .max(max, `at most ${max}`)
      .default(options.defaultLimit ?? DEFAULT_PAGE_SIZE)
      .describe(`Items per page, at most ${max}`),
    cursor: z
      .string()
      .max(1_000)
      .regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor from a previous page')
      .optional()
      .describe('The nextCursor of the previous page'),
  });
}

/** `{ items, nextCursor }`, registered as a named component. */
export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().describe('Pass as ?cursor= for the next page; null on the last page'),
    })
    .meta({ id });
}

type KeyValue = string | number;

export function encodeCursor(values: readonly KeyValue[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string, arity: number): KeyValue[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = null;
  }
  if (
    !Array.isArray(values) ||
    values.length !== arity ||
    !values.every((v) => typeof v === 'string' || typeof v === 'number')
  ) {
    throw new DomainError('validation', 'query.cursor: not a cursor this list gave out', 'query.cursor');
  }
  return values as KeyValue[];
}

export interface SortKey {
  /** Column name in the SELECT list (an alias is fine). */
  field: string;
  direction: 'asc' | 'desc';
}

export interface KeysetQuery {
  /** SELECT … FROM … WHERE … without ORDER BY or LIMIT; binds as $1, $2 … */
  sql: string;
  bind?: unknown[];
  /** Sort keys, most significant first; the last must be unique. */
  keys: readonly SortKey[];
  page: PageRequest;
  transaction?: Transaction;
}

function quoteIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`sort key "${name}" is not a plain column name`);
  return `"${name}"`;
}

function keyValue(value: unknown): KeyValue {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  throw new Error('a sort key value must be a number, a string or a date');
}

/** Reads one page; `nextCursor` is null on the last one. */
export async function keysetPage<Row extends object>(
  sequelize: Sequelize,
  query: KeysetQuery,
): Promise<{ rows: Row[]; nextCursor: string | null }> {
  const bind = [...(query.bind ?? [])];
  const columns = query.keys.map((k) => `page_source.${quoteIdentifier(k.field)}`);
  let where = '';
  if (query.page.cursor) {
    const after = decodeCursor(query.page.cursor, query.keys.length);
    // (a > x) OR (a = x AND b > y) … — works for mixed directions too.
    const clauses = query.keys.map((key, i) => {
      const equal = query.keys.slice(0, i).map((_, j) => {
        bind.push(after[j]);
        return `${columns[j]} = $${bind.length}`;
      });
      bind.push(after[i]);
      const beyond = `${columns[i]} ${key.direction === 'asc' ? '>' : '<'} $${bind.length}`;
      return `(${[...equal, beyond].join(' AND ')})`;
    });
    where = `WHERE ${clauses.join(' OR ')}`;
  }
  bind.push(query.page.limit + 1);
  const order = query.keys
    .map((k, i) => `${columns[i]} ${k.direction === 'asc' ? 'ASC' : 'DESC'}`)
    .join(', ');
  const rows = await sequelize.query<Row>(
    `SELECT * FROM (${query.sql}) AS page_source ${where} ORDER BY ${order} LIMIT $${bind.length}`,
    { bind, type: QueryTypes.SELECT, ...(query.transaction ? { transaction: query.transaction } : {}) },
  );
  if (rows.length <= query.page.limit) return { rows, nextCursor: null };
  const page = rows.slice(0, query.page.limit);
  const last = page[page.length - 1] as Record<string, unknown>;
  return { rows: page, nextCursor: encodeCursor(query.keys.map((k) => keyValue(last[k.field]))) };
}
