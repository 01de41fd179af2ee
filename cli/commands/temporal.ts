/**
 * `vanthu temporal-cli`: finds the Temporal CLI the way `vanthu start` does — building it
 * with Go into the cache when nothing else works — and prints where it is. CI runs it
 * once so the tests find the CLI in the cache.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../runtime/config';
import { createLogger } from '../../runtime/logger';
import { findTemporalCli } from '../../runtime/temporal-cli';

export function register(program: Command): void {
  program
    .command('temporal-cli')
    .description('find (or download, or build with Go) the Temporal CLI that runs the local dev server')
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel, 'vanthu');
      const explicitPath = config.temporal.kind === 'embedded' ? config.temporal.cliPath : undefined;
      const found = await findTemporalCli({
        ...(explicitPath ? { explicitPath } : {}),
        cacheDir: config.cacheDir,
        logger,
      });
      process.stdout.write(`${found.path} (from ${found.source})\n`);
    });
}
