/** Small helpers for the child processes vanthu supervises (PostgreSQL, Temporal). */
import { setTimeout as sleep } from 'node:timers/promises';

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits until `pid` has exited; false when it is still alive after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await sleep(50);
  }
  return !isProcessAlive(pid);
}

/**
 * Sends `signal` to a child we started and waits for it to exit; SIGKILL after
 * `timeoutMs`. Returns true when it stopped on the first signal.
 */
export async function stopChild(
  child: import('node:child_process').ChildProcess,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  // The timer is cancelled once the child exits, so it never holds the process open.
  const patience = new AbortController();
  const timedOut = await Promise.race([
    exited.then(() => false),
    sleep(timeoutMs, true, { signal: patience.signal }).catch(() => false),
  ]);
  patience.abort();
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
  return !timedOut;
}
