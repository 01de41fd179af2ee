/**
 * Runs the real `vanthu` command line in a child process, as a user or operator would,
 * and collects what it prints.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = path.resolve(__dirname, '..', '..');

export interface VanthuProcess {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Log messages (the `msg` of JSON lines) in order. */
  messages(): string[];
  exited(): Promise<number | null>;
}

export function spawnVanthu(
  args: string[],
  env: Record<string, string | undefined>,
  /** Options for node itself, e.g. `--cpu-prof` when a benchmark is profiled. */
  nodeArgs: readonly string[] = [],
): VanthuProcess {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--require', require.resolve('tsx/cjs'), path.join(ROOT, 'cli', 'main.ts'), ...args],
    {
      cwd: ROOT,
      env: { ...process.env, VANTHU_LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    messages: () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => {
          try {
            return String((JSON.parse(line) as { msg?: unknown }).msg ?? '');
          } catch {
            return '';
          }
        }),
    exited: () => exit,
  };
}

/** Polls `url` until it answers `status` (default 200); fails with the process output. */
export async function waitForHttp(
  url: string,
  proc: VanthuProcess,
  timeoutMs = 120_000,
  status = 200,
): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let exitedWith: number | null | undefined;
  void proc.exited().then((code) => {
    exitedWith = code;
  });
  for (;;) {
    if (exitedWith !== undefined)
      throw new Error(`vanthu exited (${exitedWith}) before ${url} answered:\n${proc.output()}`);
    try {
      const response = await fetch(url);
      if (response.status === status) return response;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline)
      throw new Error(`${url} did not answer ${status} in time:\n${proc.output().slice(-4000)}`);
    await sleep(250);
  }
}
