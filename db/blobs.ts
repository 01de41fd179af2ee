/** Files live in PostgreSQL, addressed by their SHA-256; workflows only pass the hashes. */
import { createHash } from 'node:crypto';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function putBlob(
  sequelize: Sequelize,
  bytes: Uint8Array,
  mediaType: string,
  transaction?: Transaction,
): Promise<string> {
  const sha256 = sha256Of(bytes);
  await sequelize.query(
    `INSERT INTO blob (sha256, media_type, size, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING`,
    { bind: [sha256, mediaType, bytes.length, Buffer.from(bytes)], ...(transaction ? { transaction } : {}) },
  );
  return sha256;
}

export async function getBlob(
  sequelize: Sequelize,
  sha256: string,
  transaction?: Transaction,
): Promise<Buffer> {
  const [row] = await sequelize.query<{ bytes: Buffer }>('SELECT bytes FROM blob WHERE sha256 = $1', {
    bind: [sha256],
    type: QueryTypes.SELECT,
    ...(transaction ? { transaction } : {}),
  });
  if (!row) throw new Error(`blob ${sha256} is missing`);
  // Re-check the address: a blob is trusted only when its bytes still hash to it.
  if (sha256Of(row.bytes) !== sha256) throw new Error(`blob ${sha256} does not match its hash`);
  return row.bytes;
}
