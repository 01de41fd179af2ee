/**
 * `vanthu verify <file.pdf> --trust root.pem [--trust more.pem] [--json] [--no-fetch]`:
 * verifies every signature and document timestamp of a PDF and prints the summary (or the
 * JSON report). Exit code 0 only when every signature is valid, 1 when any is not (invalid,
 * indeterminate, or no signature at all), 2 for unreadable input or a usage error.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isPkiError } from '../../pki/errors';
import { HttpRevocationSource } from '../../pki/revocation/http-source';
import { readCertificateFile, TrustStore } from '../../pki/trust/store';
import { formatVerificationSummary, verifyPdf } from '../../pki/verify';
import { EXIT_USAGE, usageErrorsExit2 } from '../usage';

interface VerifyCliOptions {
  trust: string[];
  json?: boolean;
  fetch: boolean;
  requireRevocation?: boolean;
  maxMb?: string;
}

/** A usage or input problem: one clear line, exit code 2. */
class UnreadableInput extends Error {}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function readInput(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : 'cannot be read';
    throw new UnreadableInput(`${what} ${file} ${why}.`);
  }
}

function trustStoreFrom(files: readonly string[]): TrustStore {
  if (files.length === 0) {
    throw new UnreadableInput('Give at least one --trust certificate: nothing is trusted by default.');
  }
  const store = new TrustStore();
  for (const file of files) {
    const bytes = readInput(file, 'Trust anchor file');
    try {
      for (const der of readCertificateFile(bytes)) store.addAnchor(der);
    } catch (error) {
      throw new UnreadableInput(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return store;
}

async function run(file: string, options: VerifyCliOptions): Promise<void> {
  const trust = trustStoreFrom(options.trust);
  const pdf = readInput(file, 'The file');
  const maxMb = options.maxMb === undefined ? undefined : Number(options.maxMb);
  if (maxMb !== undefined && !(maxMb > 0)) throw new UnreadableInput('--max-mb must be a positive number.');
  const report = await verifyPdf(pdf, {
    trust,
    fetchRevocation: options.fetch,
    ...(options.fetch ? { revocation: new HttpRevocationSource({ timeoutMs: 5_000 }) } : {}),
    ...(maxMb ? { maxBytes: Math.floor(maxMb * 1024 * 1024) } : {}),
    requireRevocation: options.requireRevocation === true,
  });
  process.stdout.write(
    options.json ? `${JSON.stringify(report, null, 2)}\n` : formatVerificationSummary(report, file),
  );
  process.exitCode = report.verdict === 'valid' ? 0 : 1;
}

export function register(program: Command): void {
  const command = program
    .command('verify')
    .description('verify the signatures of a PDF (exit 0: all valid, 1: not all valid, 2: unreadable input)')
    .argument('<file>', 'the signed PDF')
    .option('--trust <file>', 'trust anchor certificate (PEM or DER; repeat for more)', collect, [])
    .option('--json', 'print the JSON report instead of the summary')
    .option('--no-fetch', 'use only the revocation data in the document; fetch no OCSP/CRL')
    .option('--require-revocation', 'a signature whose revocation status is unknown is not valid')
    .option('--max-mb <n>', 'refuse larger files (default 64)');
  usageErrorsExit2(command).action(async (file: string, options: VerifyCliOptions) => {
    try {
      await run(file, options);
    } catch (error) {
      if (error instanceof UnreadableInput || isPkiError(error)) process.exitCode = EXIT_USAGE;
      throw error;
    }
  });
}
