/**
 * `vanthu seed [--scale demo|city] [--reset]`: builds an organisation. Uses the database
 * of a running `vanthu start` on the same data folder, DATABASE_URL, or starts the
 * embedded PostgreSQL just for the seed.
 */
import type { Command } from 'commander';
import type { Sequelize } from 'sequelize';
import { openDatabase } from '../../db/open';
import { seedOrganisation } from '../../db/seed';
import type { SeedScale } from '../../db/seed/plan';
import { loadConfig } from '../../runtime/config';
import { runningSupervisor } from '../../runtime/data-lock';
import { startInfrastructure } from '../../runtime/infrastructure';
import { createLogger } from '../../runtime/logger';

interface SeedOptions {
  scale: string;
  reset?: boolean;
  staffPassword?: string;
}

export function register(program: Command): void {
  program
    .command('seed')
    .description(
      'create an organisation with people and roles (demo: small; city: 16,000 branches, ~470,000 members)',
    )
    .option('--scale <scale>', 'demo or city', 'demo')
    .option('--reset', 'first delete everything in the database (all documents and history)')
    .option(
      '--staff-password <password>',
      'password for staff accounts (default: the demo password for demo, none for city)',
    )
    .action(async (options: SeedOptions) => {
      if (options.scale !== 'demo' && options.scale !== 'city') {
        throw new Error(`--scale must be demo or city, not "${options.scale}"`);
      }
      const scale: SeedScale = options.scale;
      const config = loadConfig();
      const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 'vanthu-seed');
      const running = runningSupervisor(config.dataDir);
      const infrastructure =
        running?.databaseUrl && config.database.kind === 'embedded'
          ? { databaseUrl: running.databaseUrl, stop: async () => undefined }
          : await startInfrastructure(config, logger, { temporal: false });
      let sequelize: Sequelize | undefined;
      try {
        sequelize = await openDatabase(infrastructure.databaseUrl, logger, { migrate: !options.reset });
        if (options.reset) {
          process.stdout.write('deleting everything in the database…\n');
          await sequelize.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
          await sequelize.close();
          sequelize = await openDatabase(infrastructure.databaseUrl, logger);
        }
        process.stdout.write(`seeding the ${scale} organisation…\n`);
        const result = await seedOrganisation(
          infrastructure.databaseUrl,
          scale,
          options.staffPassword ?? (scale === 'demo' ? undefined : null),
        );
        process.stdout.write(
          `seeded ${scale}: ${result.units.toLocaleString('en')} units, ${result.people.toLocaleString('en')} people, ` +
            `${result.roles.toLocaleString('en')} role assignments in ${result.seconds.toFixed(1)} s\n`,
        );
      } finally {
        await sequelize?.close();
        await infrastructure.stop();
      }
    });
}
