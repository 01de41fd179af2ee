/** Sign-in sessions: only the SHA-256 of each session token is stored. */
import type { Migration } from '../migrate';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(`
    CREATE TABLE session (
      token_sha256  char(64) PRIMARY KEY,
      person_id     integer NOT NULL REFERENCES person(id),
      created_at    timestamptz NOT NULL DEFAULT now(),
      expires_at    timestamptz NOT NULL,
      client        text
    )`);
  await context.sequelize.query('CREATE INDEX session_person ON session (person_id)');
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query('DROP TABLE IF EXISTS session');
};
