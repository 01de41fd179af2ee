/**
 * Anchors of the audit log: at regular intervals the heads of all chains are hashed
 * together and timestamped by the TSA. A database owner can recompute a chain, but not a
 * TSA signature over its old head, so a rewritten or truncated chain shows. Anchors are
 * append-only like the log itself.
 */
import type { Migration } from '../migrate';

export const up: Migration = async ({ context }) => {
  const sql = (text: string) => context.sequelize.query(text);
  await sql(`
    CREATE TABLE audit_anchor (
      id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      anchored_at  timestamptz NOT NULL,
      heads        jsonb NOT NULL,
      digest       char(64) NOT NULL,
      token        bytea NOT NULL,
      tsa_serial   text NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT now()
    )`);
  await sql('CREATE INDEX audit_anchor_time ON audit_anchor (anchored_at DESC)');
  await sql(`
    CREATE FUNCTION audit_anchor_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_anchor is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END $$`);
  await sql(`
    CREATE TRIGGER audit_anchor_no_update_delete
      BEFORE UPDATE OR DELETE ON audit_anchor
      FOR EACH ROW EXECUTE FUNCTION audit_anchor_is_append_only()`);
  await sql(`
    CREATE TRIGGER audit_anchor_no_truncate
      BEFORE TRUNCATE ON audit_anchor
      FOR EACH STATEMENT EXECUTE FUNCTION audit_anchor_is_append_only()`);
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query('DROP TABLE IF EXISTS audit_anchor');
  await context.sequelize.query('DROP FUNCTION IF EXISTS audit_anchor_is_append_only()');
};
