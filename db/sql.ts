/**
 * Statements run straight on a transaction's pg connection, as named prepared statements.
 * Sequelize's query path costs several times what PostgreSQL does for a small statement;
 * on the hot paths (acknowledgments, audit appends) that overhead, not the database, was
 * the limit. Everything else keeps using Sequelize.
 */
import { createHash } from 'node:crypto';
import type { ClientBase, QueryResultRow } from 'pg';
import type { Sequelize, Transaction } from 'sequelize';

export type Sql = <T extends QueryResultRow>(text: string, values?: readonly unknown[]) => Promise<T[]>;

const names = new Map<string, string>();

function nameOf(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `vanthu_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}

/** The statements of `transaction`, on its own connection. */
export function sqlIn(transaction: Transaction): Sql {
  return sqlOn((transaction as unknown as { connection: ClientBase }).connection);
}

/** Statements on a pg client of the pool. */
export function sqlOn(client: ClientBase): Sql {
  return async <T extends QueryResultRow>(text: string, values: readonly unknown[] = []) =>
    (await client.query<T>({ name: nameOf(text), text, values: [...values] })).rows;
}

/**
 * Runs `work` in a transaction on a pooled connection without Sequelize's transaction
 * machinery, which costs about as much as a statement; for the hottest path only.
 */
export async function rawTransaction<T>(sequelize: Sequelize, work: (sql: Sql) => Promise<T>): Promise<T> {
  const manager = sequelize.connectionManager;
  const client = (await manager.getConnection({ type: 'write' })) as ClientBase;
  try {
    await client.query('BEGIN');
    try {
      const result = await work(sqlOn(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    manager.releaseConnection(client);
  }
}

/** Parameters of a statement being composed: each value gets the next `$n`, cast. */
export class Params {
  readonly values: unknown[] = [];

  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/**
 * A data-modifying statement written as one part of a combined statement; or several,
 * named, when a later one reads what an earlier one returned (names unique per part).
 */
export type WritePart = (params: Params) => string | ReadonlyArray<{ name: string; sql: string }>;

/**
 * Runs independent writes as one statement, each a data-modifying WITH query: PostgreSQL
 * runs every one of them to completion, and the transaction pays one round trip instead
 * of one per table. The parts must not touch the same rows.
 */
export async function writeTogether(sql: Sql, parts: readonly WritePart[]): Promise<void> {
  if (parts.length === 0) return;
  const params = new Params();
  const ctes = parts.flatMap((part, i) => {
    const written = part(params);
    return typeof written === 'string'
      ? [`w${i} AS (${written})`]
      : written.map(({ name, sql: text }) => `${name} AS (${text})`);
  });
  await sql(`WITH ${ctes.join(',\n')}\nSELECT 1`, params.values);
}

/** Text matched literally inside a LIKE pattern: its `%`, `_` and `\` escaped. */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
