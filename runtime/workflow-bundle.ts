/**
 * The workflow bundle, built once per version of the workflow code and kept in the
 * cache folder. Bundling with webpack takes seconds; a worker restarted after a crash
 * (or one of several workers starting together) should be polling in well under that.
 * The key covers every file the bundle can contain: our workflows and domain rules, and
 * the installed Temporal workflow library.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const ROOT = path.resolve(__dirname, '..');

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? sourceFiles(full) : [full];
    })
    .filter((file) => /\.(ts|js|json)$/.test(file) && !file.endsWith('.d.ts') && !file.endsWith('.map'))
    .sort();
}

function bundleKey(workflowsPath: string): string {
  const hash = createHash('sha256');
  const base = path.dirname(workflowsPath);
  for (const file of [...sourceFiles(base), ...sourceFiles(path.join(base, '..', 'domain'))]) {
    hash.update(path.relative(base, file)).update(readFileSync(file));
  }
  hash.update(readFileSync(require.resolve('@temporalio/workflow/package.json')));
  hash.update(readFileSync(require.resolve('@temporalio/worker/package.json')));
  return hash.digest('hex').slice(0, 24);
}

/** Path of an up-to-date bundle of `workflowsPath`, building it when the cache has none. */
export async function workflowBundlePath(workflowsPath: string, cacheDir: string): Promise<string> {
  const dir = path.join(cacheDir, 'workflow-bundles');
  const file = path.join(dir, `${bundleKey(workflowsPath)}.js`);
  if (existsSync(file)) return file;
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  mkdirSync(dir, { recursive: true });
  // Write then rename: workers starting together never read half a bundle.
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, code);
  renameSync(partial, file);
  return file;
}

export const WORKFLOWS_PATH = require.resolve(path.join(ROOT, 'workflows'));
