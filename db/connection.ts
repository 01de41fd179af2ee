/**
 * One Sequelize instance per process, over node-postgres. Hot paths (bulk seeding,
 * acknowledgments) use raw SQL through the same pool; models serve the ordinary reads
 * and writes.
 */
import { Sequelize } from 'sequelize';
import type { Logger } from '../runtime/logger';

export interface DatabaseOptions {
  url: string;
  logger?: Logger;
  poolMax?: number;
  /** How its connections show in pg_stat_activity. */
  applicationName?: string;
}

export function connectDatabase({
  url,
  logger,
  poolMax = 20,
  applicationName = 'vanthu',
}: DatabaseOptions): Sequelize {
  return new Sequelize(url, {
    dialect: 'postgres',
    logging: logger ? (sql: string) => logger.trace({ sql }) : false,
    pool: { max: poolMax, min: 0, idle: 10_000, acquire: 30_000 },
    define: { underscored: true, timestamps: false, freezeTableName: true },
    dialectOptions: { application_name: applicationName },
  });
}

/** Turns a connection failure into one line that says what to check. */
export function explainConnectionError(error: unknown, url: string): string {
  const code = (error as { original?: { code?: string }; parent?: { code?: string } }).original?.code;
  let where = 'the database';
  try {
    const parsed = new URL(url);
    where = `PostgreSQL at ${parsed.hostname}:${parsed.port || 5432}/${parsed.pathname.slice(1)}`;
  } catch {
    /* keep the generic wording */
  }
  switch (code) {
    case 'ECONNREFUSED':
      return `${where} refused the connection: is the server running and DATABASE_URL's host and port right?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where}: the host name in DATABASE_URL cannot be resolved`;
    case '28P01':
    case '28000':
      return `${where} rejected the user name or password in DATABASE_URL`;
    case '3D000':
      return `${where}: the database named in DATABASE_URL does not exist; create it first`;
    default:
      return `${where} cannot be reached: ${(error as Error).message}`;
  }
}
