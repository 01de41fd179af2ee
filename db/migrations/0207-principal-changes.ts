/**
 * The api keeps the principal of each session and API token between requests (api/
 * principal-cache.ts) and must hear at once when anything it was read from changes. Each
 * such change NOTIFYs `vanthu_principals` on commit with the person concerned, or `*` when
 * a unit's path or name changes (that touches everyone with a role in it or under it).
 *
 * Row triggers, with a WHEN on updates, so that only what a principal shows counts: a
 * token's `last_used_at` or a person's password hash do not. (A new password ends the
 * person's sessions, and that deletion notifies.) NOTIFY folds repeats of the same
 * payload within a transaction into one. Granting roles notifies `*` once per statement:
 * grants are rare, except when a seed COPYs hundreds of thousands of them.
 */
import type { Migration } from '../migrate';

const FUNCTIONS = ['principal_changed_person', 'principal_changed_all'];

interface PrincipalTrigger {
  table: string;
  name: string;
  event: 'INSERT' | 'UPDATE' | 'DELETE';
  /** Only updates of what a principal shows. */
  when?: string;
  /** The column naming the person; none when every principal may be concerned. */
  person?: 'person_id' | 'id';
  /** Once per statement, for everyone: seeding COPYs hundreds of thousands of roles at once. */
  perStatement?: boolean;
}

const distinct = (...columns: string[]) =>
  columns.map((c) => `OLD.${c} IS DISTINCT FROM NEW.${c}`).join(' OR ');

const TRIGGERS: readonly PrincipalTrigger[] = [
  {
    table: 'session',
    name: 'session_changed',
    event: 'UPDATE',
    when: distinct('expires_at'),
    person: 'person_id',
  },
  { table: 'session', name: 'session_ended', event: 'DELETE', person: 'person_id' },
  {
    table: 'api_token',
    name: 'api_token_changed',
    event: 'UPDATE',
    when: distinct('revoked_at', 'expires_at', 'person_id', 'token_sha256'),
    person: 'person_id',
  },
  { table: 'api_token', name: 'api_token_deleted', event: 'DELETE', person: 'person_id' },
  {
    table: 'person',
    name: 'person_changed',
    event: 'UPDATE',
    when: distinct('active', 'username', 'full_name', 'home_unit_id'),
    person: 'id',
  },
  { table: 'person', name: 'person_deleted', event: 'DELETE', person: 'id' },
  { table: 'role_assignment', name: 'role_granted', event: 'INSERT', perStatement: true },
  { table: 'role_assignment', name: 'role_changed', event: 'UPDATE', person: 'person_id' },
  { table: 'role_assignment', name: 'role_revoked', event: 'DELETE', person: 'person_id' },
  { table: 'org_unit', name: 'org_unit_renamed', event: 'UPDATE', when: distinct('path', 'name') },
  { table: 'org_unit', name: 'org_unit_deleted', event: 'DELETE' },
];

export const up: Migration = async ({ context }) => {
  const sql = (text: string) => context.sequelize.query(text);
  // The person a row concerns: its person_id column, or its id on person itself.
  await sql(`
    CREATE FUNCTION principal_changed_person() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      changed jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
    BEGIN
      PERFORM pg_notify('vanthu_principals', changed ->> TG_ARGV[0]);
      IF TG_OP = 'UPDATE' AND to_jsonb(OLD) ->> TG_ARGV[0] IS DISTINCT FROM changed ->> TG_ARGV[0] THEN
        PERFORM pg_notify('vanthu_principals', to_jsonb(OLD) ->> TG_ARGV[0]);
      END IF;
      RETURN NULL;
    END $$`);
  await sql(`
    CREATE FUNCTION principal_changed_all() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('vanthu_principals', '*');
      RETURN NULL;
    END $$`);
  for (const { table, name, event, when, person, perStatement } of TRIGGERS) {
    await sql(`
      CREATE TRIGGER ${name} AFTER ${event} ON ${table} FOR EACH ${perStatement ? 'STATEMENT' : 'ROW'}
        ${when ? `WHEN (${when})` : ''}
        EXECUTE FUNCTION ${person ? `principal_changed_person('${person}')` : 'principal_changed_all()'}`);
  }
};

export const down: Migration = async ({ context }) => {
  for (const { table, name } of TRIGGERS) await context.sequelize.query(`DROP TRIGGER ${name} ON ${table}`);
  for (const fn of FUNCTIONS) await context.sequelize.query(`DROP FUNCTION ${fn}()`);
};
