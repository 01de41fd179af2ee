/**
 * A document shows the one that replaced it (thay thế) when read, so the link is looked
 * up by the replaced document's id on every read: index it.
 */
import type { Migration } from '../migrate';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query(
    'CREATE INDEX document_replaces ON document (replaces_document_id) WHERE replaces_document_id IS NOT NULL',
  );
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query('DROP INDEX document_replaces');
};
