/**
 * Writes an organisation plan with PostgreSQL COPY — the fastest way in — inside one
 * transaction, so a failed seed leaves nothing behind.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { OrganisationPlan } from './plan';

type Cell = string | number | boolean | null;

function copyLine(cells: readonly Cell[]): string {
  return `${cells
    .map((cell) =>
      cell === null
        ? '\\N'
        : String(cell)
            .replace(/\\/g, '\\\\')
            .replace(/\t/g, '\\t')
            .replace(/\n/g, '\\n')
            .replace(/\r/g, '\\r'),
    )
    .join('\t')}\n`;
}

async function copyRows(client: Client, table: string, columns: string[], rows: Iterable<readonly Cell[]>) {
  const sink = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  function* lines() {
    let batch = '';
    for (const row of rows) {
      batch += copyLine(row);
      if (batch.length > 1 << 16) {
        yield batch;
        batch = '';
      }
    }
    if (batch) yield batch;
  }
  await pipeline(Readable.from(lines()), sink);
}

export async function writePlan(
  databaseUrl: string,
  plan: OrganisationPlan,
  staffPasswordHash: string | null,
): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query('SELECT count(*)::int AS n FROM org_unit');
    if (rows[0].n > 0) {
      throw new Error('the database already holds an organisation; seed a fresh database or use --reset');
    }
    await copyRows(
      client,
      'org_unit',
      ['id', 'code', 'name', 'abbreviation', 'kind', 'parent_id', 'path'],
      plan.units.map((u) => [u.id, u.code, u.name, u.abbreviation, u.kind, u.parentId, u.path]),
    );
    await copyRows(
      client,
      'person',
      ['id', 'username', 'full_name', 'password_hash', 'home_unit_id'],
      plan.people.map((p) => [
        p.id,
        p.username,
        p.fullName,
        p.staff ? staffPasswordHash : null,
        p.homeUnitId,
      ]),
    );
    await copyRows(
      client,
      'role_assignment',
      ['person_id', 'unit_id', 'role', 'title'],
      plan.roles.map((r) => [r.personId, r.unitId, r.role, r.title]),
    );
    await client.query("SELECT setval(pg_get_serial_sequence('person', 'id'), (SELECT max(id) FROM person))");
    await client.query('COMMIT');
    await client.query('ANALYZE org_unit; ANALYZE person; ANALYZE role_assignment');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
