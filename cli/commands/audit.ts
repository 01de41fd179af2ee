/**
 * `vanthu audit verify`: re-checks every audit chain, its head and every TSA anchor, and
 * names each altered, deleted or inserted entry. Exit code 0 only when the log is intact,
 * 1 when something was found, 2 when the check could not run.
 *
 * `vanthu audit anchor`: timestamps the chain heads now (the Schedule does it every few
 * minutes while the system runs).
 *
 * Uses the database of a running `vanthu start` on the same data folder, DATABASE_URL,
 * or starts the embedded PostgreSQL for the check. Anchors are checked against the
 * deployment's trust store (`<data>/pki/trust`, or VANTHU_PKI_DIR).
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { Sequelize } from 'sequelize';
import { auditAnchorActivities } from '../../activities/audit-anchor';
import { type AuditVerification, verifyAuditLog } from '../../db/audit-verify';
import { openDatabase } from '../../db/open';
import { loadTrustStore } from '../../pki/trust/directory';
import { loadConfig } from '../../runtime/config';
import { runningSupervisor } from '../../runtime/data-lock';
import { startInfrastructure } from '../../runtime/infrastructure';
import { createLogger } from '../../runtime/logger';
import { openDeploymentPki } from '../../runtime/pki';

async function withDatabase<T>(work: (sequelize: Sequelize) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 'vanthu-audit');
  const running = runningSupervisor(config.dataDir);
  const infrastructure =
    running?.databaseUrl && config.database.kind === 'embedded'
      ? { databaseUrl: running.databaseUrl, stop: async () => undefined }
      : await startInfrastructure(config, logger, { temporal: false });
  let sequelize: Sequelize | undefined;
  try {
    sequelize = await openDatabase(infrastructure.databaseUrl, logger, { migrate: false });
    return await work(sequelize);
  } finally {
    await sequelize?.close();
    await infrastructure.stop();
  }
}

function printReport(report: AuditVerification): void {
  const lines = [
    `${report.intact ? 'INTACT' : 'NOT INTACT'}: ${report.entries.toLocaleString('en')} entries in ${report.chains} chains, ` +
      `${report.anchors.valid}/${report.anchors.checked} anchors valid` +
      (report.anchors.trustChecked ? '' : ' (TSA trust not checked: no trust store)'),
  ];
  if (report.anchors.latest) {
    lines.push(`latest anchor: #${report.anchors.latest.id} at ${report.anchors.latest.anchoredAt}`);
  }
  for (const f of report.findings) {
    const where =
      f.chain === null ? `anchor ${f.id}` : `chain ${f.chain} seq ${f.seq ?? '?'} id ${f.id ?? '-'}`;
    lines.push(`${f.kind.padEnd(16)} ${where}: ${f.detail}`);
  }
  if (report.findingsOmitted > 0) lines.push(`… and ${report.findingsOmitted} more findings`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function register(program: Command): void {
  const audit = program.command('audit').description('check and anchor the tamper-evident audit log');
  audit
    .command('verify')
    .description('re-check every chain and anchor; exit 0 only when the log is intact')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      try {
        const config = loadConfig();
        const trust = await loadTrustStore(path.join(config.pki.dir, 'trust'));
        const report = await withDatabase((sequelize) =>
          verifyAuditLog(sequelize, trust.anchors().length > 0 ? { trust } : {}),
        );
        if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else printReport(report);
        process.exitCode = report.intact ? 0 : 1;
      } catch (error) {
        process.stderr.write(
          `vanthu audit verify: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        process.exitCode = 2;
      }
    });
  audit
    .command('anchor')
    .description("timestamp the chain heads now with the deployment's TSA")
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger('warn', 'vanthu-audit');
      const pki = await openDeploymentPki(
        {
          dir: config.pki.dir,
          publicUrl: config.publicUrl,
          ...(config.pki.passphrase ? { passphrase: config.pki.passphrase } : {}),
        },
        logger,
        { create: false },
      );
      try {
        const result = await withDatabase((sequelize) =>
          auditAnchorActivities(sequelize, pki.tsa).anchorAuditChains(),
        );
        process.stdout.write(
          result.anchored
            ? `anchored: #${result.anchorId} at ${result.anchoredAt}, digest ${result.digest}\n`
            : `nothing new since anchor #${result.anchorId} (${result.anchoredAt})\n`,
        );
      } finally {
        await pki.close();
      }
    });
}
