/**
 * The Temporal worker: runs the document workflows and every activity, against the
 * same database as the api. Several may run at once against one cluster.
 */
import { DefaultLogger, type LogLevel, type NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Sequelize } from 'sequelize';
import { auditAnchorActivities } from '../activities/audit-anchor';
import { lifecycleActivities } from '../activities/lifecycle';
import { reportActivities } from '../activities/reports';
import { webhookActivities } from '../activities/webhooks';
import type { Logger } from './logger';
import type { DeploymentPki } from './pki';
import { connectWorkerConnection, type TemporalTarget } from './temporal-connection';
import { WORKFLOWS_PATH, workflowBundlePath } from './workflow-bundle';

export interface RunningWorker {
  worker: Worker;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

/** Routes the Temporal SDK's own log lines (warnings and errors) into our logger. */
function installRuntime(logger: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) =>
      logger[levels[entry.level]]({ temporal: entry.meta }, entry.message),
    ),
  });
}

export async function startWorker(options: {
  target: TemporalTarget;
  taskQueue: string;
  sequelize: Sequelize;
  logger: Logger;
  pki: DeploymentPki;
  publicUrl: string;
  /** Where the workflow bundle is cached between starts. */
  cacheDir: string;
  /** Reuse an existing connection (tests share one). */
  connection?: NativeConnection;
}): Promise<RunningWorker> {
  const { target, taskQueue, sequelize, logger } = options;
  installRuntime(logger);
  const connection = options.connection ?? (await connectWorkerConnection(target));
  const worker = await Worker.create({
    connection,
    namespace: target.namespace,
    taskQueue,
    workflowBundle: { codePath: await workflowBundlePath(WORKFLOWS_PATH, options.cacheDir) },
    activities: {
      ...lifecycleActivities({ sequelize, pki: options.pki, publicUrl: options.publicUrl, logger }),
      ...reportActivities({ sequelize }),
      ...auditAnchorActivities(sequelize, options.pki.tsa),
      ...webhookActivities(sequelize),
    },
  });
  const running = worker.run();
  running.catch((error: unknown) =>
    logger.error({ err: error }, 'the Temporal worker stopped with an error'),
  );
  logger.info({ taskQueue, namespace: target.namespace }, 'Temporal worker is polling');
  return {
    worker,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      if (!options.connection) await connection.close();
      logger.info('Temporal worker stopped');
    },
  };
}
