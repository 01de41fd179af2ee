/** `vanthu start`, `vanthu api`, `vanthu worker`: the long-running processes. */
import type { Command } from 'commander';
import { runVanthu } from '../../runtime/process';

export function register(program: Command): void {
  program
    .command('start')
    .description('run everything: embedded PostgreSQL and Temporal (unless configured), worker and api')
    .action(() => runVanthu('all'));
  program
    .command('api')
    .description('run the HTTP api only, against DATABASE_URL and TEMPORAL_ADDRESS')
    .action(() => runVanthu('api'));
  program
    .command('worker')
    .description('run the Temporal worker only, against DATABASE_URL and TEMPORAL_ADDRESS')
    .action(() => runVanthu('worker'));
}
