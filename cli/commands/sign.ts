/**
 * `vanthu sign <in.pdf> -o <out.pdf> --key <p8|p12> [--cert … --chain …] --passphrase-file …
 *  --level B-B|B-T|B-LT|B-LTA --tsa <url> [--pkcs11-module …] [--image …]`:
 * signs a PDF with a software key (encrypted PKCS#8 or PKCS#12) or a PKCS#11 token, at the
 * PAdES level asked or not at all. The output is written to a temporary file and renamed,
 * so a failure never leaves a partial or unsigned file behind.
 * Exit codes: 0 signed, 1 signing failed (key, TSA, revocation, document), 2 usage error
 * or unreadable input.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { parseCertificates } from '../../pki/crypto/certificate';
import { isPkiError, PkiError } from '../../pki/errors';
import type { ClosableSigner } from '../../pki/keys/key-object-signer';
import { openPkcs11Signer } from '../../pki/keys/pkcs11';
import { openSoftwareSigner } from '../../pki/keys/software';
import { PADES_LEVELS, type PadesLevel, type SignatureAppearance, signPdf } from '../../pki/pades';
import type { DocMdpPermissions } from '../../pki/pades/signature-field';
import { HttpRevocationSource } from '../../pki/revocation/http-source';
import type { HashAlgorithm } from '../../pki/signer';
import { HttpTimestampAuthority } from '../../pki/tsa/client';
import { EXIT_USAGE, usageErrorsExit2 } from '../usage';

interface SignCliOptions {
  output: string;
  key?: string;
  cert?: string;
  chain: string[];
  passphraseFile?: string;
  level: string;
  tsa?: string;
  validationCert: string[];
  pkcs11Module?: string;
  tokenLabel?: string;
  slot?: string;
  keyLabel?: string;
  keyId?: string;
  hash?: string;
  pss?: boolean;
  field?: string;
  reason?: string;
  location?: string;
  contact?: string;
  name?: string;
  certify?: string;
  fill: string[];
  image?: string;
  sealImage?: string;
  page?: string;
  rect?: string;
  text: boolean;
  maxMb?: string;
}

const EXIT_FAILED = 1;

/** A usage or input problem: one clear line, exit code 2. */
class UsageError extends Error {}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function readInput(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : 'cannot be read';
    throw new UsageError(`${what} ${file} ${why}.`);
  }
}

function passphrase(options: SignCliOptions, what: string): string {
  if (options.passphraseFile) {
    const text = readInput(options.passphraseFile, 'The passphrase file').toString('utf8');
    return text.replace(/\r?\n$/, '');
  }
  const env = process.env.VANTHU_KEY_PASSPHRASE;
  if (env !== undefined) return env;
  throw new UsageError(`Give the ${what} with --passphrase-file or VANTHU_KEY_PASSPHRASE.`);
}

function certificates(files: readonly string[], what: string): Uint8Array[] {
  return files.flatMap((file) => {
    try {
      return parseCertificates(readInput(file, what), `${what} ${file}`);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}

function parseLevel(value: string): PadesLevel {
  const level = value.toUpperCase() as PadesLevel;
  if (!PADES_LEVELS.includes(level))
    throw new UsageError(`--level must be one of ${PADES_LEVELS.join(', ')}.`);
  return level;
}

function parseHash(value: string | undefined): HashAlgorithm | undefined {
  if (value === undefined) return undefined;
  const hash = value.toUpperCase().replace(/^SHA-?/, 'SHA-') as HashAlgorithm;
  if (!['SHA-256', 'SHA-384', 'SHA-512'].includes(hash))
    throw new UsageError('--hash must be SHA-256, SHA-384 or SHA-512.');
  return hash;
}

function parseAppearance(options: SignCliOptions): SignatureAppearance | undefined {
  if (!options.rect) {
    if (options.image || options.sealImage || options.page)
      throw new UsageError('--image, --seal-image and --page need --rect x,y,width,height.');
    return undefined;
  }
  const numbers = options.rect.split(',').map(Number);
  if (numbers.length !== 4 || !numbers.every(Number.isFinite) || numbers[2]! <= 0 || numbers[3]! <= 0) {
    throw new UsageError('--rect must be x,y,width,height in points, e.g. 340,120,200,110.');
  }
  const [x, y, width, height] = numbers as [number, number, number, number];
  const page = options.page === undefined ? undefined : Number(options.page);
  if (page !== undefined && !Number.isInteger(page))
    throw new UsageError('--page must be a page number (1 = first, -1 = last).');
  return {
    rect: { x, y, width, height },
    ...(page !== undefined ? { page: page > 0 ? page - 1 : page } : {}),
    ...(options.image ? { image: readInput(options.image, 'The image') } : {}),
    ...(options.sealImage ? { seal: readInput(options.sealImage, 'The seal image') } : {}),
    ...(options.text ? {} : { text: false as const }),
  };
}

function parseFill(values: readonly string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const fill: Record<string, string> = {};
  for (const item of values) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`--fill takes name=value, got "${item}".`);
    fill[item.slice(0, at)] = item.slice(at + 1);
  }
  return fill;
}

async function openSigner(options: SignCliOptions): Promise<ClosableSigner> {
  const hashAlgorithm = parseHash(options.hash);
  const rsaPadding = options.pss ? ('pss' as const) : undefined;
  const chain = certificates(options.chain, 'The chain file');
  if (options.pkcs11Module) {
    if (!options.keyLabel && !options.keyId)
      throw new UsageError('A PKCS#11 key needs --key-label or --key-id.');
    const slot = options.slot === undefined ? undefined : Number(options.slot);
    if (slot !== undefined && !Number.isInteger(slot)) throw new UsageError('--slot must be a number.');
    return openPkcs11Signer({
      module: options.pkcs11Module,
      pin: passphrase(options, 'token PIN'),
      ...(options.tokenLabel ? { tokenLabel: options.tokenLabel } : {}),
      ...(slot !== undefined ? { slot } : {}),
      ...(options.keyLabel ? { keyLabel: options.keyLabel } : {}),
      ...(options.keyId ? { keyId: options.keyId } : {}),
      ...(options.cert ? { certificate: certificates([options.cert], 'The certificate file')[0]! } : {}),
      ...(chain.length ? { chain } : {}),
      ...(hashAlgorithm ? { hashAlgorithm } : {}),
      ...(rsaPadding ? { rsaPadding } : {}),
    });
  }
  if (!options.key) throw new UsageError('Give --key <file.p12|file.p8.pem> or --pkcs11-module.');
  const key = readInput(options.key, 'The key file');
  return openSoftwareSigner({
    key,
    passphrase: passphrase(options, 'key passphrase'),
    ...(options.cert ? { certificate: readInput(options.cert, 'The certificate file') } : {}),
    ...(chain.length ? { chain } : {}),
    ...(hashAlgorithm ? { hashAlgorithm } : {}),
    ...(rsaPadding ? { rsaPadding } : {}),
  });
}

/** Writes next to the target and renames, so readers never see a half-written file. */
function writeAtomically(file: string, bytes: Uint8Array): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(temp, bytes, { flag: 'wx' });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new PkiError(
      'internal',
      `The signed PDF could not be written to ${file}: ${(error as Error).message}`,
    );
  }
}

async function run(input: string, options: SignCliOptions): Promise<void> {
  const level = parseLevel(options.level);
  if (level !== 'B-B' && !options.tsa) throw new UsageError(`--level ${level} needs --tsa <url>.`);
  if (options.tsa && !/^https?:\/\//.test(options.tsa)) throw new UsageError('--tsa must be an http(s) URL.');
  const certify = options.certify === undefined ? undefined : Number(options.certify);
  if (certify !== undefined && ![1, 2, 3].includes(certify))
    throw new UsageError('--certify must be 1, 2 or 3.');
  const maxMb = options.maxMb === undefined ? undefined : Number(options.maxMb);
  if (maxMb !== undefined && !(maxMb > 0)) throw new UsageError('--max-mb must be a positive number.');
  const appearance = parseAppearance(options);
  const fill = parseFill(options.fill);
  const validationCertificates = certificates(options.validationCert, 'The validation certificate file');
  const pdf = readInput(input, 'The file');

  const signer = await openSigner(options);
  try {
    const result = await signPdf(pdf, {
      signer,
      level,
      ...(options.tsa ? { timestampAuthority: new HttpTimestampAuthority(options.tsa) } : {}),
      ...(level === 'B-LT' || level === 'B-LTA'
        ? { revocationSource: new HttpRevocationSource({ timeoutMs: 10_000 }) }
        : {}),
      ...(validationCertificates.length ? { validationCertificates } : {}),
      ...(options.field ? { fieldName: options.field } : {}),
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.location ? { location: options.location } : {}),
      ...(options.contact ? { contactInfo: options.contact } : {}),
      ...(options.name ? { signerName: options.name } : {}),
      ...(certify ? { certify: certify as DocMdpPermissions } : {}),
      ...(fill ? { fill } : {}),
      ...(appearance ? { appearance } : {}),
      ...(maxMb ? { maxBytes: Math.floor(maxMb * 1024 * 1024) } : {}),
    });
    writeAtomically(options.output, result.pdf);
    process.stdout.write(
      `Signed ${input} → ${options.output} (PAdES ${result.level}, field "${result.fieldName}").\n`,
    );
  } finally {
    await signer.close();
  }
}

export function register(program: Command): void {
  const command = program
    .command('sign')
    .description('sign a PDF (PAdES B-B to B-LTA) with a software key or a PKCS#11 token')
    .argument('<in.pdf>', 'the PDF to sign')
    .requiredOption('-o, --output <out.pdf>', 'where to write the signed PDF')
    .option('--key <file>', 'encrypted PKCS#8 PEM/DER or PKCS#12 (.p12) key file')
    .option('--cert <file>', 'signer certificate (PEM/DER; needed with a PKCS#8 key)')
    .option('--chain <file>', 'intermediate CA certificate(s) (repeatable)', collect, [])
    .option(
      '--passphrase-file <file>',
      'file holding the key passphrase or token PIN (else VANTHU_KEY_PASSPHRASE)',
    )
    .option('--level <level>', 'PAdES level: B-B, B-T, B-LT or B-LTA', 'B-B')
    .option('--tsa <url>', 'RFC 3161 timestamp authority URL (B-T and above)')
    .option(
      '--validation-cert <file>',
      'extra certificate for the DSS, e.g. the root (repeatable)',
      collect,
      [],
    )
    .option('--pkcs11-module <path>', 'PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so')
    .option('--token-label <label>', 'PKCS#11 token label')
    .option('--slot <n>', 'PKCS#11 slot index (when no token label)')
    .option('--key-label <label>', 'PKCS#11 key label')
    .option('--key-id <hex>', 'PKCS#11 key id')
    .option('--hash <alg>', 'SHA-256, SHA-384 or SHA-512')
    .option('--pss', 'RSA-PSS instead of PKCS#1 v1.5 (RSA keys)')
    .option('--field <name>', 'signature field name (an existing empty field is signed into)')
    .option('--reason <text>', 'reason for signing')
    .option('--location <text>', 'where the document was signed')
    .option('--contact <text>', 'contact information of the signer')
    .option('--name <text>', 'signer name for the signature dictionary')
    .option('--certify <P>', 'certification signature with DocMDP permissions 1, 2 or 3')
    .option('--fill <name=value>', 'fill a text field in the same update (repeatable)', collect, [])
    .option('--image <file>', 'signature image (PNG/JPEG) for a visible signature')
    .option('--seal-image <file>', 'organisation seal image, over the left third of --image')
    .option('--page <n>', 'page of the visible signature (1 = first, -1 = last; default last)')
    .option('--rect <x,y,w,h>', 'rectangle of the visible signature in points')
    .option('--no-text', 'no text lines in the visible signature')
    .option('--max-mb <n>', 'refuse larger input files (default 50)');
  usageErrorsExit2(command).action(async (input: string, options: SignCliOptions) => {
    try {
      await run(input, options);
    } catch (error) {
      process.exitCode = error instanceof UsageError ? EXIT_USAGE : EXIT_FAILED;
      if (isPkiError(error) || error instanceof UsageError) throw error;
      throw new Error(`Signing failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}
