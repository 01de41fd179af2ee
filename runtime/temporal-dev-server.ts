/**
 * The local Temporal dev server (`temporal server start-dev`), persisting to a SQLite file
 * in the data folder so that workflows running at shutdown resume at the next start.
 * Readiness is decided by asking the server itself, not by waiting a fixed time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import type { Logger } from './logger';
import { isProcessAlive, stopChild, waitForExit } from './processes';

export interface DevServerOptions {
  cliPath: string;
  /** Folder for the SQLite store and the pid file; omit for an in-memory server (tests). */
  dir?: string;
  port: number;
  /** Web UI port; omit for a headless server. */
  uiPort?: number;
  namespace: string;
  logger: Logger;
  /** Extra `--dynamic-config-value KEY=VALUE` settings. */
  dynamicConfig?: Record<string, unknown>;
  readyTimeoutMs?: number;
}

export interface RunningDevServer {
  address: string;
  uiUrl?: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startTemporalDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const { cliPath, dir, port, uiPort, namespace, logger } = options;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-format', 'json'];
  args.push('--log-level', 'warn');
  if (dir) {
    mkdirSync(dir, { recursive: true });
    await stopLeftover(dir, logger);
    args.push('--db-filename', path.join(dir, 'temporal.db'));
  }
  if (uiPort) args.push('--ui-port', String(uiPort));
  else args.push('--headless');
  if (namespace !== 'default') args.push('--namespace', namespace);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }

  // Its own process group: a Ctrl-C in the terminal reaches only us, and we stop the
  // server ourselves, after the api and the worker.
  const child = spawn(cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (dir && child.pid) writeFileSync(path.join(dir, 'server.pid'), String(child.pid));
  let output = '';
  const collect = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-8_000);
    for (const line of text.split('\n')) if (line.trim()) logger.debug({ temporal: line.trim() });
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exitCode: number | null | undefined;
  child.once('exit', (code) => {
    exitCode = code;
  });

  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (exitCode !== undefined) throw new Error(explainEarlyExit(output, port, exitCode));
    if (await isServing(address, namespace)) break;
    if (Date.now() > deadline) {
      await stopChild(child, 'SIGKILL', 5_000);
      throw new Error(`the Temporal dev server did not answer on ${address} within its start-up time`);
    }
    await sleep(200);
  }
  logger.info({ address, ui: uiPort ? `http://localhost:${uiPort}` : 'off' }, 'Temporal dev server is ready');
  return {
    address,
    ...(uiPort ? { uiUrl: `http://localhost:${uiPort}` } : {}),
    child,
    async stop() {
      const clean = await stopChild(child, 'SIGTERM', 20_000);
      if (dir) rmSync(path.join(dir, 'server.pid'), { force: true });
      logger.info(clean ? 'Temporal dev server stopped' : 'Temporal dev server had to be killed');
    },
  };
}

/** True when the frontend answers and the namespace exists. */
export async function isServing(address: string, namespace: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1_000 });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

function explainEarlyExit(output: string, port: number, code: number | null): string {
  if (/address already in use|bind: /i.test(output)) {
    return `the Temporal dev server cannot listen on port ${port}: it is in use; stop the other server or set VANTHU_TEMPORAL_PORT (and VANTHU_TEMPORAL_UI_PORT)`;
  }
  const lines = output.split('\n').filter((l) => l.trim());
  const last = lines.filter((l) => /error|fatal/i.test(l)).pop() ?? lines.pop() ?? '';
  return `the Temporal dev server exited during start-up (code ${code}): ${last.slice(0, 400)}`;
}

/** Stops a dev server left running by an earlier vanthu process on the same data folder. */
async function stopLeftover(dir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(dir, 'server.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return;
  let command = '';
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!command.includes('start-dev')) return;
  logger.warn(
    { pid },
    'a Temporal dev server from an earlier run is still running on this data folder; stopping it',
  );
  process.kill(pid, 'SIGTERM');
  if (!(await waitForExit(pid, 20_000))) process.kill(pid, 'SIGKILL');
}
