/**
 * The webhook wake-up fired after every INSERT statement on webhook_delivery, also those
 * that inserted nothing: every batch of acknowledgments (which offers its events to the
 * subscriptions) woke the dispatcher for no delivery, a needless Temporal activity round
 * each time. It now notifies only when the statement inserted rows.
 */
import type { Migration } from '../migrate';

/** The statement trigger that wakes the dispatcher: on inserted rows only, or on every insert. */
async function installWake(sql: (text: string) => Promise<unknown>, onRowsOnly: boolean): Promise<void> {
  await sql('DROP TRIGGER webhook_delivery_inserted ON webhook_delivery');
  const notify = "PERFORM pg_notify('vanthu_webhooks', '');";
  await sql(`
    CREATE OR REPLACE FUNCTION webhook_delivery_wake() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      ${onRowsOnly ? `IF EXISTS (SELECT 1 FROM inserted) THEN ${notify} END IF;` : notify}
      RETURN NULL;
    END $$`);
  await sql(`
    CREATE TRIGGER webhook_delivery_inserted
      AFTER INSERT ON webhook_delivery ${onRowsOnly ? 'REFERENCING NEW TABLE AS inserted' : ''}
      FOR EACH STATEMENT EXECUTE FUNCTION webhook_delivery_wake()`);
}

export const up: Migration = async ({ context }) => {
  await installWake((text) => context.sequelize.query(text), true);
};

export const down: Migration = async ({ context }) => {
  await installWake((text) => context.sequelize.query(text), false);
};
