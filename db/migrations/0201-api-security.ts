/**
 * Who is calling, and how hard they may try: sign-in throttling per account and per
 * client address, one-time activation codes for accounts seeded without a password, API
 * tokens for other systems (each acts through a service person holding the token's
 * roles), and stored first responses for Idempotency-Key.
 */
import type { Migration } from '../migrate';

export const up: Migration = async ({ context }) => {
  const sql = (text: string) => context.sequelize.query(text);

  // Failed sign-ins, counted per account name (known or not, so nothing is revealed) and
  // per client address. Several api processes share these rows.
  await sql(`
    CREATE TABLE sign_in_throttle (
      scope             text NOT NULL CHECK (scope IN ('account','client')),
      subject           text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
      failures          integer NOT NULL CHECK (failures >= 0),
      first_failure_at  timestamptz NOT NULL,
      last_failure_at   timestamptz NOT NULL,
      next_allowed_at   timestamptz NOT NULL,
      locked_until      timestamptz,
      PRIMARY KEY (scope, subject)
    )`);

  // At most one live code per person; only its SHA-256 is kept.
  await sql(`
    CREATE TABLE activation_code (
      person_id    integer PRIMARY KEY REFERENCES person(id),
      code_sha256  char(64) NOT NULL,
      issued_by    integer NOT NULL REFERENCES person(id),
      issued_at    timestamptz NOT NULL DEFAULT now(),
      expires_at   timestamptz NOT NULL
    )`);

  await sql(`
    CREATE TABLE api_token (
      id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      person_id     integer NOT NULL UNIQUE REFERENCES person(id),
      unit_id       integer NOT NULL REFERENCES org_unit(id),
      roles         text[] NOT NULL CHECK (cardinality(roles) >= 1),
      token_sha256  char(64) NOT NULL UNIQUE,
      created_by    integer NOT NULL REFERENCES person(id),
      created_at    timestamptz NOT NULL DEFAULT now(),
      expires_at    timestamptz,
      revoked_at    timestamptz,
      revoked_by    integer REFERENCES person(id),
      last_used_at  timestamptz
    )`);
  await sql('CREATE INDEX api_token_unit ON api_token (unit_id, id DESC)');

  // The first response to each (caller, Idempotency-Key), encrypted with a key derived
  // from the Idempotency-Key itself: whoever reads the table cannot read the responses
  // (some carry a session cookie or a token shown once).
  await sql(`
    CREATE TABLE idempotency_record (
      caller          text NOT NULL,
      key_sha256      char(64) NOT NULL,
      method          text NOT NULL,
      path            text NOT NULL,
      request_sha256  char(64) NOT NULL,
      state           text NOT NULL CHECK (state IN ('running','done')),
      locked_until    timestamptz NOT NULL,
      response        bytea,
      created_at      timestamptz NOT NULL DEFAULT now(),
      expires_at      timestamptz NOT NULL,
      PRIMARY KEY (caller, key_sha256)
    )`);
  await sql('CREATE INDEX idempotency_record_expiry ON idempotency_record (expires_at)');
  await sql('CREATE INDEX session_expiry ON session (expires_at)');
};

export const down: Migration = async ({ context }) => {
  for (const table of ['idempotency_record', 'api_token', 'activation_code', 'sign_in_throttle']) {
    await context.sequelize.query(`DROP TABLE IF EXISTS ${table}`);
  }
  await context.sequelize.query('DROP INDEX IF EXISTS session_expiry');
};
