/**
 * The services vanthu depends on: PostgreSQL and Temporal. Embedded by default (from
 * the data folder), or the operator's own servers when DATABASE_URL / TEMPORAL_ADDRESS
 * are set — then nothing embedded starts.
 */
import path from 'node:path';
import type { Config } from './config';
import { startEmbeddedPostgres } from './embedded-postgres';
import type { Logger } from './logger';
import { findTemporalCli } from './temporal-cli';
import type { TemporalTarget } from './temporal-connection';
import { startTemporalDevServer } from './temporal-dev-server';

export interface Infrastructure {
  databaseUrl: string;
  temporal: TemporalTarget;
  /** Stops what this process started: Temporal first, then PostgreSQL. */
  stop(): Promise<void>;
}

export async function startInfrastructure(
  config: Config,
  logger: Logger,
  needs: { temporal: boolean } = { temporal: true },
): Promise<Infrastructure> {
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const s of stoppers.reverse())
      await s().catch((error) => logger.error({ err: error }, 'stop failed'));
  };
  try {
    let databaseUrl: string;
    if (config.database.kind === 'external') {
      databaseUrl = config.database.url;
    } else {
      const pg = await startEmbeddedPostgres({
        dir: path.join(config.dataDir, 'postgres'),
        port: config.database.port,
        user: config.database.user,
        database: config.database.database,
        logger,
      });
      stoppers.push(pg.stop);
      databaseUrl = pg.url;
    }

    let temporal: TemporalTarget;
    if (config.temporal.kind === 'external') {
      const { address, namespace, tls, apiKey } = config.temporal;
      temporal = { address, namespace, ...(tls ? { tls } : {}), ...(apiKey ? { apiKey } : {}) };
    } else if (!needs.temporal) {
      temporal = { address: `127.0.0.1:${config.temporal.port}`, namespace: config.temporal.namespace };
    } else {
      const cli = await findTemporalCli({
        ...(config.temporal.cliPath ? { explicitPath: config.temporal.cliPath } : {}),
        cacheDir: config.cacheDir,
        logger,
      });
      logger.info({ path: cli.path, from: cli.source }, 'Temporal CLI found');
      const server = await startTemporalDevServer({
        cliPath: cli.path,
        dir: path.join(config.dataDir, 'temporal'),
        port: config.temporal.port,
        uiPort: config.temporal.uiPort,
        namespace: config.temporal.namespace,
        logger,
      });
      stoppers.push(server.stop);
      temporal = { address: server.address, namespace: config.temporal.namespace };
    }
    return { databaseUrl, temporal, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
