/**
 * Finds the Temporal CLI that runs the local dev server, in this order:
 * TEMPORAL_CLI_PATH, PATH, our cache, the SDK's download (for machines online), a Go
 * build of the official module (for machines with Go and its module proxy). The result
 * always ends up as <cache>/bin/temporal so that it is found at once the next time; we
 * never rely on the SDK's own download cache, which expires after a day.
 */
import { execFile } from 'node:child_process';
import {
  accessSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from './logger';

const run = promisify(execFile);

/** The last release installable with `go install` (later tags carry a replace directive). */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export type CliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'SDK download' | 'Go build';

export interface FoundCli {
  path: string;
  source: CliSource;
}

export interface FindCliOptions {
  explicitPath?: string;
  cacheDir: string;
  logger: Logger;
  /** Environment to search PATH in (tests pass a reduced one). */
  env?: NodeJS.ProcessEnv;
}

export function cachedCliPath(cacheDir: string): string {
  return path.join(cacheDir, 'bin', 'temporal');
}

export async function findTemporalCli(options: FindCliOptions): Promise<FoundCli> {
  const { explicitPath, cacheDir, logger } = options;
  const env = options.env ?? process.env;
  if (explicitPath) {
    if (!isExecutable(explicitPath)) {
      throw new Error(
        `TEMPORAL_CLI_PATH=${explicitPath} is not an executable file; fix the path or unset it`,
      );
    }
    return { path: explicitPath, source: 'TEMPORAL_CLI_PATH' };
  }
  const onPath = searchPath('temporal', env.PATH ?? '');
  if (onPath) return { path: onPath, source: 'PATH' };
  const cached = cachedCliPath(cacheDir);
  if (isExecutable(cached)) return { path: cached, source: 'cache' };

  const failures: string[] = [];
  try {
    return { path: await downloadWithSdk(cacheDir, logger), source: 'SDK download' };
  } catch (error) {
    failures.push(`the SDK download failed (${oneLine(error)})`);
    logger.info(`Temporal CLI: SDK download not possible here (${oneLine(error)}); trying a Go build`);
  }
  try {
    return { path: await buildWithGo(cacheDir, logger, env), source: 'Go build' };
  } catch (error) {
    failures.push(`the Go build failed (${oneLine(error)})`);
  }
  throw new Error(
    `no Temporal CLI: none in TEMPORAL_CLI_PATH, PATH or ${cached}; ${failures.join('; ')}. ` +
      'Do one of: install the Temporal CLI (https://docs.temporal.io/cli) and put `temporal` on PATH or set ' +
      `TEMPORAL_CLI_PATH; or install Go and run \`GOBIN=${path.dirname(cached)} go install ${TEMPORAL_CLI_MODULE}\`; ` +
      'or set TEMPORAL_ADDRESS=host:port to use a Temporal server you already run.',
  );
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function searchPath(name: string, pathVariable: string): string | undefined {
  for (const dir of pathVariable.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The SDK downloads the CLI when it starts an ephemeral server; we let it download into
 * our cache folder, stop that server, and keep the executable as <cache>/bin/temporal.
 */
async function downloadWithSdk(cacheDir: string, logger: Logger): Promise<string> {
  const downloadDir = path.join(cacheDir, 'download');
  mkdirSync(downloadDir, { recursive: true });
  logger.info('Temporal CLI: downloading it through the Temporal SDK…');
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const environment = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir, ttl: '3650 days' } },
  });
  await environment.teardown();
  const downloaded = findExecutable(downloadDir);
  if (!downloaded) throw new Error(`the SDK reported success but left no executable in ${downloadDir}`);
  const target = cachedCliPath(cacheDir);
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(downloaded, `${target}.partial`);
  renameSync(`${target}.partial`, target);
  logger.info({ path: target }, 'Temporal CLI: downloaded');
  return target;
}

function findExecutable(dir: string): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = findExecutable(full);
      if (inner) return inner;
    } else if (entry.name.startsWith('temporal') && isExecutable(full)) {
      return full;
    }
  }
  return undefined;
}

async function buildWithGo(cacheDir: string, logger: Logger, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    await run('go', ['version'], { env });
  } catch {
    throw new Error('Go is not installed');
  }
  const binDir = path.join(cacheDir, 'bin');
  mkdirSync(binDir, { recursive: true });
  logger.info(
    `Temporal CLI: building ${TEMPORAL_CLI_MODULE} with Go into ${binDir} (once; about 3–5 minutes)…`,
  );
  const started = Date.now();
  const progress = setInterval(() => {
    logger.info(`Temporal CLI: still building (${Math.round((Date.now() - started) / 1000)} s)…`);
  }, 30_000);
  try {
    await run('go', ['install', TEMPORAL_CLI_MODULE], {
      env: { ...env, GOBIN: binDir, GOFLAGS: `${env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '');
    const reason = stderr.split('\n').filter(Boolean).slice(-2).join(' ') || oneLine(error);
    throw new Error(reason);
  } finally {
    clearInterval(progress);
  }
  const built = cachedCliPath(cacheDir);
  if (!existsSync(built)) throw new Error(`go install finished but ${built} is missing`);
  logger.info({ path: built, seconds: Math.round((Date.now() - started) / 1000) }, 'Temporal CLI: built');
  return built;
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 300);
}
