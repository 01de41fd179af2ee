/**
 * Statements run straight on a transaction's pg connection, as named prepared statements.
 * Sequelize's query path costs several times what PostgreSQL does for a small statement;
 * on the hot paths (acknowledgments, audit appends) that overhead, not the database, was
 * the limit. Everything else keeps using Sequelize.
 */
import { createHash } from 'node:crypto';
import type { ClientBase, QueryResultRow } from 'pg';
import type { Transaction } from 'sequelize';

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
  const client = (transaction as unknown as { connection: ClientBase }).connection;
  return async <T extends QueryResultRow>(text: string, values: readonly unknown[] = []) =>
    (await client.query<T>({ name: nameOf(text), text, values: [...values] })).rows;
}
