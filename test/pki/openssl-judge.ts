/**
 * Helpers for asking outside tools (openssl, softhsm2-util) to judge our output. Always
 * asynchronous: the fixture's HTTP server runs in this process and must keep answering.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool and resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(
  command: string,
  args: string[],
  options: { input?: Uint8Array | string; env?: NodeJS.ProcessEnv } = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (error && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolve({ code, stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8') });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export function openssl(args: string[], input?: Uint8Array | string): Promise<ToolResult> {
  return run('openssl', args, input === undefined ? {} : { input });
}

/** A temp directory removed by the returned cleanup. */
export function tempDir(prefix: string): {
  dir: string;
  file: (name: string, data?: string | Uint8Array) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(path.join(os.tmpdir(), `vanthu-${prefix}-`));
  return {
    dir,
    file: (name, data) => {
      const file = path.join(dir, name);
      if (data !== undefined) writeFileSync(file, data);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Awaits `work` and checks it failed with PkiError `code`; returns the message. */
export async function expectPkiError(
  work: Promise<unknown> | (() => unknown),
  code: string,
): Promise<string> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    const actual =
      typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : String(error);
    if (!(error instanceof Error) || error.name !== 'PkiError' || actual !== code) {
      throw new Error(
        `expected PkiError ${code}, got ${error instanceof Error ? `${error.name} ${actual}: ${error.message}` : actual}`,
      );
    }
    return error.message;
  }
  throw new Error(`expected PkiError ${code}, but it succeeded`);
}
