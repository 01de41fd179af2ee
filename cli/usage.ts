/**
 * The convention of the file commands (`sign`, `verify`): a usage mistake exits with 2, like
 * unreadable input, and main.ts prints it as one line (commander's own output is silenced).
 */
import type { Command, CommanderError } from 'commander';

export const EXIT_USAGE = 2;

export function usageErrorsExit2(command: Command): Command {
  return command.configureOutput({ outputError: () => undefined }).exitOverride((error: CommanderError) => {
    if (error.exitCode === 0) process.exit(0);
    process.exitCode = EXIT_USAGE;
    throw new Error(error.message.replace(/^error: /, ''));
  });
}
