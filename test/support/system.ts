/**
 * The real system for integration tests, started once per test run and shared: a fresh
 * embedded PostgreSQL in a temp folder, one Temporal dev server, a worker with the real
 * workflows and activities, and the api on a local port. Suites call `testSystem()`;
 * the mocha root hook stops everything after the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import { createApp } from '../../api/app';
import { connectDatabase } from '../../db/connection';
import { openDatabase } from '../../db/open';
import { DEMO_PASSWORD, seedOrganisation } from '../../db/seed';
import type { SeedScale } from '../../db/seed/plan';
import { startEmbeddedPostgres } from '../../runtime/embedded-postgres';
import { close, listen } from '../../runtime/http-server';
import { createLogger, type Logger } from '../../runtime/logger';
import { type DeploymentPki, openDeploymentPki } from '../../runtime/pki';
import { provisionMissingKeys } from '../../runtime/provision-keys';
import { findTemporalCli } from '../../runtime/temporal-cli';
import { connectClient, type TemporalTarget } from '../../runtime/temporal-connection';
import { startTemporalDevServer } from '../../runtime/temporal-dev-server';
import { type RunningWorker, startWorker } from '../../runtime/worker';
import { onRunEnd } from '../hooks';
import { freePort, localUrl } from './ports';

export interface EphemeralSystem {
  baseUrl: string;
  databaseUrl: string;
  sequelize: Sequelize;
  temporal: Client;
  target: TemporalTarget;
  taskQueue: string;
  temporalCliPath: string;
  logger: Logger;
  pki: DeploymentPki;
  dir: string;
  stop(): Promise<void>;
}

export type TestSystem = EphemeralSystem;

let shared: Promise<TestSystem> | undefined;

/** The system shared by every suite of one test run; stopped by the root hook. */
export function testSystem(): Promise<TestSystem> {
  shared ??= startEphemeralSystem().then((system) => {
    onRunEnd(system.stop);
    return system;
  });
  return shared;
}

/** Where the Temporal CLI is, found the way `npm start` finds it. */
export async function temporalCliForTests(logger: Logger): Promise<string> {
  const cli = await findTemporalCli({
    ...(process.env.TEMPORAL_CLI_PATH ? { explicitPath: process.env.TEMPORAL_CLI_PATH } : {}),
    cacheDir: process.env.VANTHU_CACHE_DIR ?? path.join(process.env.HOME ?? tmpdir(), '.cache', 'vanthu'),
    logger,
  });
  return cli.path;
}

/**
 * Starts a complete throwaway system in a temp folder. `durable` keeps PostgreSQL's
 * crash-safety settings on (benchmarks measure what production would do).
 */
export async function startEphemeralSystem(
  options: { durable?: boolean; seed?: SeedScale | 'none' } = {},
): Promise<EphemeralSystem> {
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'error', 'vanthu-test');
  const dir = mkdtempSync(path.join(tmpdir(), 'vanthu-test-'));
  const stops: Array<() => Promise<void>> = [async () => rmSync(dir, { recursive: true, force: true })];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };

  try {
    const pg = await startEmbeddedPostgres({
      dir: path.join(dir, 'postgres'),
      port: await freePort(),
      user: 'vanthu',
      database: 'vanthu',
      logger,
      // A throwaway database: durability settings off for speed, unless measuring.
      ...(options.durable
        ? {}
        : { settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } }),
    });
    stops.push(pg.stop);

    const temporalCliPath = await temporalCliForTests(logger);
    const server = await startTemporalDevServer({
      cliPath: temporalCliPath,
      port: await freePort(),
      namespace: 'default',
      logger,
    });
    stops.push(server.stop);
    const target: TemporalTarget = { address: server.address, namespace: 'default' };

    const sequelize = await openDatabase(pg.url, logger);
    stops.push(() => sequelize.close());
    const publicUrl = 'http://127.0.0.1';
    const pki = await openDeploymentPki({ dir: path.join(dir, 'pki'), publicUrl, throwaway: true }, logger, {
      create: true,
    });
    stops.push(pki.close);
    const seed = options.seed ?? 'demo';
    if (seed !== 'none') await seedOrganisation(pg.url, seed);
    if (seed === 'demo') await provisionMissingKeys(sequelize, pki, DEMO_PASSWORD);

    const taskQueue = 'vanthu-test';
    const worker: RunningWorker = await startWorker({
      target,
      taskQueue,
      sequelize,
      logger,
      pki,
      publicUrl,
      cacheDir: path.join(tmpdir(), 'vanthu-test-cache'),
    });
    stops.push(worker.stop);

    const temporal = await connectClient(target);
    stops.push(() => temporal.connection.close());
    const app = createApp({ sequelize, temporal, taskQueue, logger, publicUrl, pki });
    const http: Server = await listen(app, 0, '127.0.0.1');
    stops.push(() => close(http, 2_000));

    return {
      baseUrl: localUrl(http),
      databaseUrl: pg.url,
      sequelize,
      temporal,
      target,
      taskQueue,
      temporalCliPath,
      logger,
      pki,
      dir,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** A second api on the test system's database, with a connection pool of its own. */
export interface SecondApi {
  url: string;
  sequelize: Sequelize;
  stop(): Promise<void>;
}

/**
 * Another api process, as far as the database can tell: its own pool (named
 * `applicationName` in pg_stat_activity), its own caches and batchers. Its pool binds no
 * models: binding them again (db/open.ts) would take them from the shared test system, and
 * they would stop working when this pool closes.
 */
export async function startSecondApi(system: TestSystem, applicationName = 'vanthu'): Promise<SecondApi> {
  const sequelize = connectDatabase({ url: system.databaseUrl, applicationName });
  const app = createApp({
    sequelize,
    temporal: system.temporal,
    taskQueue: system.taskQueue,
    logger: system.logger,
    publicUrl: 'http://127.0.0.1',
    pki: system.pki,
  });
  const server = await listen(app, 0, '127.0.0.1');
  return {
    url: localUrl(server),
    sequelize,
    async stop() {
      await close(server, 1_000);
      await sequelize.close();
    },
  };
}
