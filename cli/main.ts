/**
 * The `vanthu` command line. Each command group lives in cli/commands/<name>.ts and
 * exports `register(program)`; this file only wires them together and turns errors into
 * one clear line and a non-zero exit code.
 *
 * Only the module of the command being run is loaded (a `vanthu verify` does not load
 * the server, Temporal or the database); help and unknown commands load them all.
 */
import type { Command as CommandType } from 'commander';
import { Command } from 'commander';

type Registrar = { register(program: CommandType): void };

/** Top-level command name → the module that defines it. */
const COMMANDS: Record<string, () => Registrar> = {
  audit: () => require('./commands/audit'),
  ca: () => require('./commands/ca'),
  trust: () => require('./commands/ca'),
  start: () => require('./commands/serve'),
  api: () => require('./commands/serve'),
  worker: () => require('./commands/serve'),
  seed: () => require('./commands/seed'),
  sign: () => require('./commands/sign'),
  'temporal-cli': () => require('./commands/temporal'),
  verify: () => require('./commands/verify'),
};

const program = new Command()
  .name('vanthu')
  .description('vanthu — văn thư điện tử: document workflow and digital signatures')
  .showHelpAfterError();

const wanted = COMMANDS[process.argv[2] ?? ''];
const modules = new Set(wanted ? [wanted] : Object.values(COMMANDS));
const registered = new Set<Registrar>();
for (const load of modules) {
  const module = load();
  if (registered.has(module)) continue;
  registered.add(module);
  module.register(program);
}

program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`vanthu: ${message}\n`);
  process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1;
});
