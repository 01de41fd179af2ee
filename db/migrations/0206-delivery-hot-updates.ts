/**
 * Acknowledging a delivery rewrote an entry in each of its four indexes: `status` was
 * indexed (delivery_progress, document and status), so no update could be a heap-only
 * (HOT) update. Lookups by document are served by the (document_id, recipient_unit_id)
 * key already, and progress counts read every delivery of the document anyway. Without
 * that index, and with room left in each page (fillfactor 80), a status change writes
 * the new row version beside the old one and touches no index.
 *
 * The fillfactor applies to pages written from now on; existing pages gain room as they
 * are rewritten (VACUUM FULL, or in time as rows are updated and pruned).
 */
import type { Migration } from '../migrate';

export const up: Migration = async ({ context }) => {
  await context.sequelize.query('DROP INDEX delivery_progress');
  await context.sequelize.query('ALTER TABLE delivery SET (fillfactor = 80)');
};

export const down: Migration = async ({ context }) => {
  await context.sequelize.query('ALTER TABLE delivery RESET (fillfactor)');
  await context.sequelize.query('CREATE INDEX delivery_progress ON delivery (document_id, status)');
};
