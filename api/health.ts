/**
 * Readiness of each dependency: the database answers, Temporal answers for our
 * namespace, and at least one worker has polled our task queue recently.
 */
import type { Client } from '@temporalio/client';
import type { Sequelize } from 'sequelize';

export interface DependencyCheck {
  ok: boolean;
  detail: string;
}

export interface HealthReport {
  status: 'ok' | 'unavailable';
  checks: { database: DependencyCheck; temporal: DependencyCheck; worker: DependencyCheck };
}

/** A worker long-polls at least once a minute; older than this means none is serving. */
const WORKER_FRESH_MS = 90_000;

export async function checkHealth(
  sequelize: Sequelize,
  temporal: Client,
  taskQueue: string,
): Promise<HealthReport> {
  const [database, temporalCheck] = await Promise.all([checkDatabase(sequelize), checkTemporal(temporal)]);
  const worker = temporalCheck.ok
    ? await checkWorker(temporal, taskQueue)
    : { ok: false, detail: 'unknown: Temporal is unreachable' };
  const ok = database.ok && temporalCheck.ok && worker.ok;
  return { status: ok ? 'ok' : 'unavailable', checks: { database, temporal: temporalCheck, worker } };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkDatabase(sequelize: Sequelize): Promise<DependencyCheck> {
  try {
    await withTimeout(sequelize.query('SELECT 1'), 3_000, 'PostgreSQL');
    return { ok: true, detail: 'PostgreSQL answers' };
  } catch (error) {
    return { ok: false, detail: (error as Error).message.split('\n')[0]! };
  }
}

async function checkTemporal(client: Client): Promise<DependencyCheck> {
  try {
    await withTimeout(
      client.workflowService.describeNamespace({ namespace: client.options.namespace }),
      3_000,
      'Temporal',
    );
    return { ok: true, detail: `Temporal answers for namespace ${client.options.namespace}` };
  } catch (error) {
    return { ok: false, detail: (error as Error).message.split('\n')[0]! };
  }
}

async function checkWorker(client: Client, taskQueue: string): Promise<DependencyCheck> {
  try {
    const response = await withTimeout(
      client.workflowService.describeTaskQueue({
        namespace: client.options.namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
      }),
      3_000,
      'Temporal',
    );
    const now = Date.now();
    const fresh = (response.pollers ?? []).filter((p) => {
      const seconds = Number(p.lastAccessTime?.seconds ?? 0);
      return now - seconds * 1000 < WORKER_FRESH_MS;
    });
    return fresh.length > 0
      ? { ok: true, detail: `${fresh.length} worker(s) polling task queue ${taskQueue}` }
      : { ok: false, detail: `no worker is polling task queue ${taskQueue}` };
  } catch (error) {
    return { ok: false, detail: (error as Error).message.split('\n')[0]! };
  }
}
