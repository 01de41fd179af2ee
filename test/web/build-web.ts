/**
 * Builds the web interface into web/dist when it is missing or older than its sources.
 * The browser tests call `ensureWebBuilt()`; the build itself runs under `flock` so two
 * test runs sharing the working tree never build into the same folder at once (the second
 * finds the first one's build fresh and does nothing).
 *
 * Run directly (`node --import tsx test/web/build-web.ts`) it builds if stale.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const ROOT = path.resolve(__dirname, '..', '..');
const WEB = path.join(ROOT, 'web');
const BUILT = path.join(WEB, 'dist', 'index.html');
const LOCK = path.join(ROOT, 'node_modules', '.vanthu-web-build.lock');

/** Everything the bundle is made of: the web sources and the domain modules they import. */
const SOURCES = [
  path.join(WEB, 'src'),
  path.join(WEB, 'public'),
  path.join(WEB, 'index.html'),
  path.join(WEB, 'vite.config.mts'),
  path.join(ROOT, 'domain'),
  path.join(ROOT, 'package-lock.json'),
];

function newestMtime(file: string): number {
  if (!existsSync(file)) return 0;
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(file).map((name) => newestMtime(path.join(file, name))));
}

export function webBuildIsStale(): boolean {
  if (!existsSync(BUILT)) return true;
  return Math.max(...SOURCES.map(newestMtime)) > statSync(BUILT).mtimeMs;
}

async function build(): Promise<void> {
  await run(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'web/vite.config.mts',
      '--logLevel',
      'warn',
    ],
    {
      cwd: ROOT,
      timeout: 120_000,
    },
  );
}

/** Builds web/dist unless it is fresh; serialised across processes. */
export async function ensureWebBuilt(): Promise<void> {
  if (!webBuildIsStale()) return;
  await run('flock', [LOCK, process.execPath, '--import', 'tsx', path.join(__dirname, 'build-web.ts')], {
    cwd: ROOT,
    timeout: 180_000,
  });
  if (webBuildIsStale()) throw new Error('building the web interface left web/dist older than its sources');
}

if (require.main === module) {
  // Under the lock: another run may have built it while this one waited.
  if (webBuildIsStale()) {
    build().catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
  }
}
