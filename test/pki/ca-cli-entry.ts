/**
 * The `ca`/`trust` command groups behind the same error handling as cli/main.ts, without
 * loading every other command group: the CLI suite runs many commands and the full entry
 * point costs seconds per start. One test still goes through cli/main.ts itself.
 */
import { Command } from 'commander';
import { register } from '../../cli/commands/ca';

const program = new Command().name('vanthu').showHelpAfterError();
register(program);
program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`vanthu: ${message}\n`);
  process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1;
});
