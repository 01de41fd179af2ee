/**
 * One vanthu supervisor per data folder. The running one records where its embedded
 * services listen, so that other commands (`vanthu seed` in a second terminal) use
 * them instead of starting a second PostgreSQL on the same files.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from './processes';

export interface RunningServices {
  pid: number;
  databaseUrl?: string;
  temporalAddress?: string;
}

function lockPath(dataDir: string): string {
  return path.join(dataDir, 'vanthu.lock.json');
}

/** The live supervisor of this data folder, if any. */
export function runningSupervisor(dataDir: string): RunningServices | undefined {
  try {
    const info = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as RunningServices;
    return info.pid !== process.pid && isProcessAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

export function claimDataDir(dataDir: string): void {
  const other = runningSupervisor(dataDir);
  if (other) {
    throw new Error(
      `vanthu is already running on ${dataDir} (process ${other.pid}); stop it first, or set VANTHU_DATA_DIR to another folder`,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(lockPath(dataDir), JSON.stringify({ pid: process.pid }), { mode: 0o600 });
}

export function recordServices(dataDir: string, services: Omit<RunningServices, 'pid'>): void {
  writeFileSync(lockPath(dataDir), JSON.stringify({ pid: process.pid, ...services }), { mode: 0o600 });
}

export function releaseDataDir(dataDir: string): void {
  try {
    const info = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as RunningServices;
    if (info.pid === process.pid) rmSync(lockPath(dataDir), { force: true });
  } catch {
    /* nothing to release */
  }
}
