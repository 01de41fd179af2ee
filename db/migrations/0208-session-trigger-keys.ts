/**
 * A session row's digest and person also shape the principal kept for it (the cache is keyed
 * by the digest and grouped by person): an update of either now notifies too, not only of
 * the expiry. Nothing updates them today; a token rotation would.
 */
import type { Migration } from '../migrate';

async function sessionTrigger(
  sql: (text: string) => Promise<unknown>,
  columns: readonly string[],
): Promise<void> {
  await sql('DROP TRIGGER session_changed ON session');
  await sql(`
    CREATE TRIGGER session_changed AFTER UPDATE ON session FOR EACH ROW
      WHEN (${columns.map((c) => `OLD.${c} IS DISTINCT FROM NEW.${c}`).join(' OR ')})
      EXECUTE FUNCTION principal_changed_person('person_id')`);
}

export const up: Migration = async ({ context }) => {
  await sessionTrigger((text) => context.sequelize.query(text), ['expires_at', 'token_sha256', 'person_id']);
};

export const down: Migration = async ({ context }) => {
  await sessionTrigger((text) => context.sequelize.query(text), ['expires_at']);
};
