/**
 * One vanthu process in one of three roles:
 *   all    — `npm start`: embedded PostgreSQL and Temporal (unless configured away),
 *            migrations, the demo seed on an empty database, the worker and the api;
 *   api    — the HTTP api only, against the operator's PostgreSQL and Temporal;
 *   worker — the Temporal worker only, likewise.
 * It stops in order on SIGINT/SIGTERM: api, worker, Temporal, PostgreSQL.
 */
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import { createApp } from '../api/app';
import { startBackgroundWork } from '../api/background';
import { isOrganisationEmpty, openDatabase } from '../db/open';
import { DEMO_PASSWORD, seedOrganisation } from '../db/seed';
import { type Config, ConfigError, describeConfigError, loadConfig, type Role } from './config';
import { claimDataDir, recordServices, releaseDataDir } from './data-lock';
import { close, listen } from './http-server';
import { type Infrastructure, startInfrastructure } from './infrastructure';
import { createLogger } from './logger';
import { openDeploymentPki } from './pki';
import { provisionMissingKeys } from './provision-keys';
import { connectClient } from './temporal-connection';
import { type RunningWorker, startWorker } from './worker';

export async function runVanthu(role: Role): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${describeConfigError(error)}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, role === 'all' ? 'vanthu' : `vanthu-${role}`);
  const embedded = config.database.kind === 'embedded' || config.temporal.kind === 'embedded';
  if (role !== 'all' && embedded) {
    const missing = [
      config.database.kind === 'embedded' ? 'DATABASE_URL' : null,
      config.temporal.kind === 'embedded' ? 'TEMPORAL_ADDRESS' : null,
    ].filter(Boolean);
    process.stderr.write(
      `vanthu ${role}: runs against your own servers; set ${missing.join(' and ')} (or use \`npm start\`, which embeds them)\n`,
    );
    process.exit(2);
  }

  const stack: Array<{ name: string; stop: () => Promise<void> }> = [];
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      logger.warn('second signal: exiting at once');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    for (const { name, stop } of stack.reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.error({ err: error }, `stopping ${name} failed`);
      }
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    if (role === 'all' && embedded) {
      claimDataDir(config.dataDir);
      stack.push({ name: 'data folder', stop: async () => releaseDataDir(config.dataDir) });
    }
    const infrastructure: Infrastructure = await startInfrastructure(config, logger);
    stack.push({ name: 'infrastructure', stop: infrastructure.stop });
    if (role === 'all' && embedded) {
      recordServices(config.dataDir, {
        databaseUrl: infrastructure.databaseUrl,
        temporalAddress: infrastructure.temporal.address,
      });
    }

    const sequelize: Sequelize = await openDatabase(infrastructure.databaseUrl, logger);
    stack.push({ name: 'database pool', stop: () => sequelize.close() });
    const pki = await openDeploymentPki(
      {
        dir: config.pki.dir,
        publicUrl: config.publicUrl,
        ...(config.pki.passphrase ? { passphrase: config.pki.passphrase } : {}),
      },
      logger,
      { create: role === 'all' },
    );
    stack.push({ name: 'PKI', stop: pki.close });
    if (role === 'all' && config.seed === 'demo' && (await isOrganisationEmpty(sequelize))) {
      const seeded = await seedOrganisation(infrastructure.databaseUrl, 'demo');
      const keys = await provisionMissingKeys(sequelize, pki, DEMO_PASSWORD);
      logger.info({ units: seeded.units, people: seeded.people, ...keys }, 'seeded the demo organisation');
    }

    if (role !== 'api') {
      const worker: RunningWorker = await startWorker({
        target: infrastructure.temporal,
        taskQueue: config.taskQueue,
        sequelize,
        logger,
        pki,
        publicUrl: config.publicUrl,
        cacheDir: config.cacheDir,
      });
      stack.push({ name: 'worker', stop: worker.stop });
    }
    if (role !== 'worker') {
      const temporal: Client = await connectClient(infrastructure.temporal);
      stack.push({ name: 'Temporal client', stop: () => temporal.connection.close() });
      // The audit-anchoring Schedule and the webhook dispatcher; idempotent across processes.
      await startBackgroundWork(
        temporal,
        { taskQueue: config.taskQueue, anchorEveryMinutes: config.auditAnchorMinutes },
        logger,
      );
      const app = createApp({
        sequelize,
        temporal,
        taskQueue: config.taskQueue,
        logger,
        publicUrl: config.publicUrl,
        pki,
      });
      const server: Server = await listen(app, config.port, config.host);
      stack.push({
        name: 'http server',
        stop: async () => {
          await close(server);
          logger.info('api stopped');
        },
      });
      logger.info(`vanthu is up at ${config.publicUrl} (health: ${config.publicUrl}/health)`);
      if (role === 'all' && config.seed === 'demo') {
        logger.info(
          `demo accounts: vanthu.tu, chuyenvien.tu, bithu.tu, quantri … — password "${DEMO_PASSWORD}"`,
        );
      }
    }
  } catch (error) {
    logger.error(`vanthu ${role} could not start: ${oneLine(error)}`);
    stopping = true;
    for (const { stop } of stack.reverse()) await stop().catch(() => undefined);
    process.exit(1);
  }
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
