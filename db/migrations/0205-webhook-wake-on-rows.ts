/**
 * The webhook wake-up fired after every INSERT statement on webhook_delivery, also those
 * that inserted nothing: every batch of acknowledgments (which offers its events to the
 * subscriptions) woke the dispatcher for no delivery, a needless Temporal activity round
 * each time. It now notifies only when the statement inserted rows.
 */
import type { Migration } from '../migrate';

export const up: Migration = async ({ context }) => {
  const sql = (text: string) => context.sequelize.query(text);
  await sql('DROP TRIGGER webhook_delivery_inserted ON webhook_delivery');
  await sql(`
    CREATE OR REPLACE FUNCTION webhook_delivery_wake() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM inserted) THEN
        PERFORM pg_notify('vanthu_webhooks', '');
      END IF;
      RETURN NULL;
    END $$`);
  await sql(`
    CREATE TRIGGER webhook_delivery_inserted
      AFTER INSERT ON webhook_delivery REFERENCING NEW TABLE AS inserted
      FOR EACH STATEMENT EXECUTE FUNCTION webhook_delivery_wake()`);
};

export const down: Migration = async ({ context }) => {
  const sql = (text: string) => context.sequelize.query(text);
  await sql('DROP TRIGGER webhook_delivery_inserted ON webhook_delivery');
  await sql(`
    CREATE OR REPLACE FUNCTION webhook_delivery_wake() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('vanthu_webhooks', '');
      RETURN NULL;
    END $$`);
  await sql(`
    CREATE TRIGGER webhook_delivery_inserted
      AFTER INSERT ON webhook_delivery
      FOR EACH STATEMENT EXECUTE FUNCTION webhook_delivery_wake()`);
};
