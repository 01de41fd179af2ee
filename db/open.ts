/** Connecting at start-up: reach the server, apply migrations, bind the models. */
import type { Sequelize } from 'sequelize';
import type { Logger } from '../runtime/logger';
import { connectDatabase, explainConnectionError } from './connection';
import { migrate } from './migrate';
import { defineModels } from './models';
import { ensureReferenceData } from './reference-data';

export async function openDatabase(
  url: string,
  logger: Logger,
  options: { migrate: boolean; poolMax?: number } = { migrate: true },
): Promise<Sequelize> {
  const sequelize = connectDatabase({
    url,
    logger,
    ...(options.poolMax ? { poolMax: options.poolMax } : {}),
  });
  try {
    await sequelize.authenticate();
  } catch (error) {
    await sequelize.close().catch(() => undefined);
    throw new Error(explainConnectionError(error, url));
  }
  if (options.migrate) {
    const applied = await migrate(sequelize, logger);
    if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
    await ensureReferenceData(sequelize);
  }
  defineModels(sequelize);
  return sequelize;
}

export async function isOrganisationEmpty(sequelize: Sequelize): Promise<boolean> {
  const [rows] = await sequelize.query('SELECT 1 FROM org_unit LIMIT 1');
  return rows.length === 0;
}
