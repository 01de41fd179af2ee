/**
 * Reference data every deployment needs. Document types are copied from the default
 * table only where missing, so an office's own corrections are never overwritten.
 */
import type { Sequelize } from 'sequelize';
import { DEFAULT_DOCUMENT_TYPES } from '../domain/document-types';

export async function ensureReferenceData(sequelize: Sequelize): Promise<void> {
  const rows = DEFAULT_DOCUMENT_TYPES.map((t) => [t.code, t.name, t.nameEn, t.party, t.state]);
  const placeholders = rows.map(
    (_, i) => `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5})`,
  );
  await sequelize.query(
    `INSERT INTO document_type (code, name, name_en, party, state) VALUES ${placeholders.join(', ')}
     ON CONFLICT (code) DO NOTHING`,
    { bind: rows.flat() },
  );
}
