/**
 * Schema changes are migrations (db/migrations/NNNN-name.ts), applied at start-up by
 * Umzug and recorded in SequelizeMeta. Several api and worker processes may start at
 * once; an advisory lock makes exactly one of them migrate while the others wait.
 */
import path from 'node:path';
import type { QueryInterface, Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import type { Logger } from '../runtime/logger';

export type MigrationContext = QueryInterface;
export type Migration = (params: { context: MigrationContext }) => Promise<void>;

const MIGRATION_LOCK = 7_238_101; // arbitrary, constant: "vanthu migrations"

export function migrator(sequelize: Sequelize, logger?: Logger): Umzug<MigrationContext> {
  return new Umzug({
    migrations: {
      glob: ['migrations/*.{js,ts}', { cwd: __dirname, ignore: ['**/*.d.ts', '**/*.map'] }],
      resolve: ({ name, path: file, context }) => {
        const migration = require(file!) as { up: Migration; down?: Migration };
        return {
          name: path.basename(name, path.extname(name)),
          up: () => migration.up({ context }),
          down: () => (migration.down ? migration.down({ context }) : Promise.resolve()),
        };
      },
    },
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize }),
    logger: logger
      ? {
          info: (m) => logger.info(m, 'migration'),
          warn: (m) => logger.warn(m, 'migration'),
          error: (m) => logger.error(m, 'migration'),
          debug: (m) => logger.debug(m, 'migration'),
        }
      : undefined,
  });
}

export async function migrate(sequelize: Sequelize, logger?: Logger): Promise<string[]> {
  // The lock lives on one connection, so take it inside a transaction that holds it.
  return sequelize.transaction(async (transaction) => {
    await sequelize.query('SELECT pg_advisory_xact_lock(:lock)', {
      replacements: { lock: MIGRATION_LOCK },
      transaction,
    });
    const applied = await migrator(sequelize, logger).up();
    return applied.map((m) => m.name);
  });
}
