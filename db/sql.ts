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

/** A statement with its parameters, composed but not yet sent. */
export interface Statement {
  text: string;
  values: unknown[];
}

/** What a transaction's work answers, and the write to send together with COMMIT. */
export interface TransactionOutcome<T> {
  result: T;
  finalWrite?: Statement | null;
}

/**
 * Runs `work` in a transaction on a pooled connection without Sequelize's transaction
 * machinery, which costs about as much as a statement; for the hottest path only.
 *
 * The connection is pipelined and its socket corked around what can travel together:
 * BEGIN goes out in one packet with the first statement, and the final write with
 * COMMIT, so a transaction of n dependent steps costs n round trips and n wake-ups of
 * the server, not n + 2. Every statement's outcome is checked before the commit is
 * believed: after a failed one PostgreSQL answers COMMIT with a rollback.
 */
export async function rawTransaction<T>(
  sequelize: Sequelize,
  work: (sql: Sql) => Promise<TransactionOutcome<T>>,
): Promise<T> {
  const manager = sequelize.connectionManager;
  const client = (await manager.getConnection({ type: 'write' })) as PipelinedClient;
  const socket = client.connection.stream;
  const sent: Array<Promise<unknown>> = [];
  const send = <R>(statement: Promise<R>): Promise<R> => {
    sent.push(statement);
    // Observed below, after COMMIT; a step that awaits it sees the failure itself.
    statement.catch(() => undefined);
    return statement;
  };
  const statements = sqlOn(client);
  const sql: Sql = (text, values) => send(statements(text, values));
  client.pipeline = true;
  try {
    socket.cork();
    send(client.query('BEGIN'));
    // `work` sends its first statement before its first await, into the corked socket.
    const working = work(sql);
    socket.uncork();
    const { result, finalWrite } = await working;
    socket.cork();
    if (finalWrite) sql(finalWrite.text, finalWrite.values);
    const commit = client.query('COMMIT');
    socket.uncork();
    const failure = (await Promise.allSettled(sent)).find((o) => o.status === 'rejected');
    const committed = await commit;
    if (failure) throw failure.reason;
    if (committed.command !== 'COMMIT') throw new Error(`the transaction ended in ${committed.command}`);
    return result;
  } catch (error) {
    // Behind everything already sent, so it also waits for the pipeline to drain.
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.pipeline = false;
    manager.releaseConnection(client);
  }
}

/** pg's client, whose pipeline mode (8.23) is a plain switch, safe to flip while it is idle. */
type PipelinedClient = ClientBase & {
  pipeline: boolean;
  connection: { stream: { cork(): void; uncork(): void } };
};

/** Parameters of a statement being composed: each value gets the next `$n`, cast. */
export class Params {
  readonly values: unknown[] = [];

  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }

  /**
   * Rows as one JSON parameter, read back as a table named `alias` with typed columns:
   * one native JSON.stringify, where an array per column costs pg a literal built value
   * by value (the largest part of composing an acknowledgment batch's write).
   */
  addRows(rows: ReadonlyArray<readonly unknown[]>, columns: readonly Column[], alias: string): string {
    const objects = rows.map((row) => {
      const object: Record<string, unknown> = {};
      columns.forEach(([name], i) => {
        object[name] = row[i];
      });
      return object;
    });
    const typed = columns.map(([name, type]) => `${name} ${type}`).join(', ');
    return `json_to_recordset(${this.add(JSON.stringify(objects), 'json')}) AS ${alias}(${typed})`;
  }
}

/** A column of rows passed with Params.addRows: its name and SQL type. */
export type Column = readonly [name: string, type: string];

/**
 * A data-modifying statement written as one part of a combined statement; or several,
 * named, when a later one reads what an earlier one returned (names unique per part).
 */
export type WritePart = (params: Params) => string | ReadonlyArray<{ name: string; sql: string }>;

/**
 * Independent writes as one statement, each a data-modifying WITH query: PostgreSQL runs
 * every one of them to completion, and the transaction pays one round trip instead of
 * one per table. The parts must not touch the same rows. Null when there is nothing to write.
 */
export function combinedWrite(parts: readonly WritePart[]): Statement | null {
  if (parts.length === 0) return null;
  const params = new Params();
  const ctes = parts.flatMap((part, i) => {
    const written = part(params);
    return typeof written === 'string'
      ? [`w${i} AS (${written})`]
      : written.map(({ name, sql: text }) => `${name} AS (${text})`);
  });
  return { text: `WITH ${ctes.join(',\n')}\nSELECT 1`, values: params.values };
}

/** Runs combinedWrite(parts), if there is anything to write. */
export async function writeTogether(sql: Sql, parts: readonly WritePart[]): Promise<void> {
  const statement = combinedWrite(parts);
  if (statement) await sql(statement.text, statement.values);
}

/** Text matched literally inside a LIKE pattern: its `%`, `_` and `\` escaped. */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
