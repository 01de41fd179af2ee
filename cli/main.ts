/**
 * The `vanthu` command line. Each command group lives in cli/commands/<name>.ts and
 * exports `register(program)`; this file only wires them together and turns errors into
 * one clear line and a non-zero exit code.
 */
import { Command } from 'commander';

const program = new Command()
  .name('vanthu')
  .description('vanthu — văn thư điện tử: document workflow and digital signatures')
  .showHelpAfterError();

// --- command groups (one line each) ---
require('./commands/audit').register(program);
require('./commands/ca').register(program);
require('./commands/serve').register(program);
require('./commands/seed').register(program);
require('./commands/sign').register(program);
require('./commands/temporal').register(program);
require('./commands/verify').register(program);
// --- end command groups ---

program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`vanthu: ${message}\n`);
  process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1;
});
