/**
 * Webhooks for other systems. An event is written in the same transaction as the action
 * it reports, together with one delivery row per matching subscription (the outbox); a
 * statement trigger wakes the dispatcher (NOTIFY is delivered on commit). Every attempt
 * to deliver is logged.
 */
import type { Migration } from '../migrate';

export const up: Migration = async ({ context }) => {
  const sql = (text: string) => context.sequelize.query(text);
  await sql(`
    CREATE TABLE webhook_subscription (
      id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      unit_id      integer NOT NULL REFERENCES org_unit(id),
      url          text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
      events       text[] NOT NULL CHECK (cardinality(events) >= 1),
      secret       text NOT NULL CHECK (length(secret) >= 32),
      description  text,
      active       boolean NOT NULL DEFAULT true,
      version      integer NOT NULL DEFAULT 1,
      created_by   integer NOT NULL REFERENCES person(id),
      created_at   timestamptz NOT NULL DEFAULT now(),
      updated_at   timestamptz NOT NULL DEFAULT now(),
      deleted_at   timestamptz
    )`);
  await sql(
    'CREATE INDEX webhook_subscription_unit ON webhook_subscription (unit_id) WHERE deleted_at IS NULL',
  );
  await sql(`
    CREATE TABLE webhook_event (
      id               uuid PRIMARY KEY,
      type             text NOT NULL,
      occurred_at      timestamptz NOT NULL,
      unit_ids         integer[] NOT NULL,
      document_id      uuid,
      data             jsonb NOT NULL DEFAULT '{}',
      idempotency_key  text UNIQUE
    )`);
  await sql(`
    CREATE TABLE webhook_delivery (
      id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      event_id         uuid NOT NULL REFERENCES webhook_event(id),
      subscription_id  integer NOT NULL REFERENCES webhook_subscription(id),
      state            text NOT NULL DEFAULT 'pending'
                         CHECK (state IN ('pending','dispatched','delivered','failed','cancelled')),
      attempts         integer NOT NULL DEFAULT 0,
      created_at       timestamptz NOT NULL DEFAULT now(),
      dispatched_at    timestamptz,
      finished_at      timestamptz,
      last_error       text,
      UNIQUE (event_id, subscription_id)
    )`);
  await sql(`CREATE INDEX webhook_delivery_pending ON webhook_delivery (id) WHERE state = 'pending'`);
  await sql('CREATE INDEX webhook_delivery_subscription ON webhook_delivery (subscription_id, id DESC)');
  await sql(`
    CREATE TABLE webhook_attempt (
      delivery_id      bigint NOT NULL REFERENCES webhook_delivery(id),
      attempt          integer NOT NULL CHECK (attempt >= 1),
      started_at       timestamptz NOT NULL,
      duration_ms      integer NOT NULL CHECK (duration_ms >= 0),
      outcome          text NOT NULL CHECK (outcome IN ('succeeded','failed')),
      response_status  integer,
      error            text,
      PRIMARY KEY (delivery_id, attempt)
    )`);
  await sql(`
    CREATE FUNCTION webhook_delivery_wake() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('vanthu_webhooks', '');
      RETURN NULL;
    END $$`);
  await sql(`
    CREATE TRIGGER webhook_delivery_inserted
      AFTER INSERT ON webhook_delivery
      FOR EACH STATEMENT EXECUTE FUNCTION webhook_delivery_wake()`);
};

export const down: Migration = async ({ context }) => {
  for (const table of ['webhook_attempt', 'webhook_delivery', 'webhook_event', 'webhook_subscription']) {
    await context.sequelize.query(`DROP TABLE IF EXISTS ${table}`);
  }
  await context.sequelize.query('DROP FUNCTION IF EXISTS webhook_delivery_wake()');
};
