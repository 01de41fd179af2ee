/**
 * `vanthu ca …` and `vanthu trust import`: run our own certificate authority from the
 * command line, on the directory given by --dir or VANTHU_PKI_DIR (the app uses
 * <data>/pki). Passphrases come from a file, an environment variable or a prompt, never
 * from the command line (it would end up in the shell history and `ps`).
 *
 * Exit codes: 0 done, 1 failure, 2 bad input or usage, 3 wrong passphrase, 4 not found,
 * 5 conflict (already exists / already revoked).
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CertificateAuthority, readCaCertificates } from '../../pki/ca/authority';
import { FileCaStore } from '../../pki/ca/file-store';
import { REVOCATION_REASONS, type RevocationReason } from '../../pki/ca/store';
import { parseCertificate, summariseCertificate } from '../../pki/crypto/certificate';
import { derToPem } from '../../pki/crypto/encoding';
import { type KeyType, parseKeyType, parsePublicKey } from '../../pki/crypto/keys';
import { isPkiError, PkiError } from '../../pki/errors';
import { readPkcs11PublicKey } from '../../pki/keys/pkcs11';
import { crlToPem } from '../../pki/revocation/crl';
import { importTrustFile } from '../../pki/trust/directory';

const EXIT_CODES: Record<string, number> = {
  invalid_input: 2,
  wrong_passphrase: 3,
  not_found: 4,
  conflict: 5,
};

interface DirOptions {
  dir?: string;
  passphraseFile?: string;
}

function pkiDirectory(options: DirOptions): string {
  const dir = options.dir ?? process.env.VANTHU_PKI_DIR;
  if (!dir) throw new PkiError('invalid_input', 'Give the PKI directory with --dir or VANTHU_PKI_DIR.');
  return path.resolve(dir);
}

function caDirectory(options: DirOptions): string {
  return path.join(pkiDirectory(options), 'ca');
}

function readSecretFile(file: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch {
    throw new PkiError('invalid_input', `The passphrase file ${file} cannot be read.`);
  }
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY)
    return Promise.reject(new PkiError('invalid_input', `${question} (no terminal to ask on)`));
  return new Promise((resolve, reject) => {
    process.stderr.write(`${question}: `);
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new PkiError('invalid_input', 'Cancelled.'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}

async function secret(file: string | undefined, envName: string, question: string): Promise<string> {
  if (file) return readSecretFile(file);
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  return promptHidden(`${question} (or use a file option / ${envName})`);
}

function caPassphrase(options: DirOptions): Promise<string> {
  return secret(options.passphraseFile, 'VANTHU_CA_PASSPHRASE', 'CA passphrase');
}

/** Writes a new file atomically; refuses to replace an existing one (keys must not be clobbered). */
async function writeNewFile(file: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const target = path.resolve(file);
  try {
    await fs.access(target);
    throw new PkiError('conflict', `${target} already exists; it is not overwritten.`);
  } catch (error) {
    if (error instanceof PkiError) throw error;
  }
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.tmp`;
  await fs.writeFile(temp, data, { mode });
  await fs.rename(temp, target);
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Runs an action; PkiErrors become one line on stderr and their exit code. */
function action<A extends unknown[]>(run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (error) {
      if (isPkiError(error)) {
        process.exitCode = EXIT_CODES[error.code] ?? 1;
        throw new Error(error.message);
      }
      throw error;
    }
  };
}

function withDir(command: Command): Command {
  return command
    .option('--dir <dir>', 'PKI directory (default: $VANTHU_PKI_DIR)')
    .option(
      '--passphrase-file <file>',
      'file holding the CA passphrase (default: $VANTHU_CA_PASSPHRASE or a prompt)',
    );
}

interface InitOptions extends DirOptions {
  baseUrl: string;
  org?: string;
  keyType: string;
}

interface IssueOptions extends DirOptions {
  type: string;
  cn: string;
  org?: string;
  ou?: string;
  country?: string;
  email?: string;
  uid?: string;
  title?: string;
  publicKey?: string;
  keyType?: string;
  keyPassphraseFile?: string;
  out: string;
  days?: string;
  issuer?: string;
  install?: boolean;
  pkcs11Module?: string;
  pkcs11Token?: string;
  pkcs11KeyLabel?: string;
  pkcs11KeyId?: string;
  pkcs11PinFile?: string;
}

export function register(program: Command): void {
  const ca = program
    .command('ca')
    .description('run the deployment’s own certificate authority (root, issuing CA, OCSP, TSA)');

  withDir(
    ca
      .command('init')
      .description('create the root and issuing CAs, OCSP responders and the TSA')
      .requiredOption(
        '--base-url <url>',
        'public base URL baked into certificates, e.g. https://vanthu.example.vn',
      )
      .option('--org <name>', 'organisation named in the CA certificates', 'vanthu')
      .option('--key-type <type>', 'CA key type: rsa-3072 (default) or ec-p256', 'rsa-3072'),
  ).action(
    action(async (options: InitOptions) => {
      const store = new FileCaStore(caDirectory(options));
      const keyType = parseKeyType(options.keyType);
      const authority = await CertificateAuthority.init(store, {
        passphrase: await caPassphrase(options),
        baseUrl: options.baseUrl,
        organization: options.org ?? 'vanthu',
        keyType,
      });
      try {
        const root = summariseCertificate(parseCertificate(authority.certificate(authority.rootName)));
        say(`Created root CA "${authority.rootName}": ${root.subject} (serial ${root.serial}).`);
        say(`Created issuing CA "${authority.issuingName}", OCSP responders and the TSA.`);
        say(
          'The root is not trusted by anyone yet; to trust it here run: vanthu ca export-root --out root.pem && vanthu trust import root.pem',
        );
      } finally {
        await authority.close();
      }
    }),
  );

  withDir(
    ca
      .command('issue')
      .description('issue a certificate: person (signer), seal (organisation), ocsp or tsa')
      .requiredOption('--type <type>', 'person | seal | ocsp | tsa')
      .requiredOption('--cn <name>', 'common name (person’s full name, or the organisation for a seal)')
      .requiredOption(
        '--out <prefix>',
        'output prefix: writes <prefix>.crt.pem, and <prefix>.key.pem + <prefix>.p12 for a generated key',
      )
      .option('--org <name>', 'organisation (O)')
      .option('--ou <name>', 'organisational unit (OU)')
      .option('--country <code>', 'country (C)', 'VN')
      .option('--email <address>', 'e-mail address')
      .option('--uid <id>', 'personal identifier, e.g. CCCD:001234567890')
      .option('--title <title>', 'title, e.g. Bí thư')
      .option('--public-key <file>', 'certify this public key (PEM/DER SPKI) instead of generating one')
      .option('--key-type <type>', 'generated key: rsa-2048 | rsa-3072 | ec-p256 | ec-p384')
      .option(
        '--key-passphrase-file <file>',
        'passphrase for the generated key (default: $VANTHU_KEY_PASSPHRASE or a prompt)',
      )
      .option('--days <n>', 'validity in days')
      .option('--issuer <ca>', 'issuing CA name (the root only issues its own OCSP responder)')
      .option('--install', 'ocsp/tsa: install the new key as the service credential')
      .option('--pkcs11-module <path>', 'certify a key in a PKCS#11 token: module path')
      .option('--pkcs11-token <label>', 'token label')
      .option('--pkcs11-key-label <label>', 'key label in the token')
      .option('--pkcs11-key-id <hex>', 'key id in the token')
      .option('--pkcs11-pin-file <file>', 'file holding the token PIN'),
  ).action(
    action(async (options: IssueOptions) => {
      const profile = options.type;
      if (profile !== 'person' && profile !== 'seal' && profile !== 'ocsp' && profile !== 'tsa') {
        throw new PkiError(
          'invalid_input',
          `Unknown certificate type "${profile}"; use person, seal, ocsp or tsa.`,
        );
      }
      const days = options.days === undefined ? undefined : Number(options.days);
      if (days !== undefined && !Number.isInteger(days))
        throw new PkiError('invalid_input', '--days must be a whole number.');
      let publicKey: ReturnType<typeof parsePublicKey> | undefined;
      if (options.publicKey) {
        publicKey = parsePublicKey(
          await fs.readFile(options.publicKey).catch(() => {
            throw new PkiError('invalid_input', `The public key file ${options.publicKey} cannot be read.`);
          }),
        );
      } else if (options.pkcs11Module) {
        publicKey = await readPkcs11PublicKey({
          module: options.pkcs11Module,
          ...(options.pkcs11Token ? { tokenLabel: options.pkcs11Token } : {}),
          pin: options.pkcs11PinFile ? readSecretFile(options.pkcs11PinFile) : '',
          ...(options.pkcs11KeyLabel ? { keyLabel: options.pkcs11KeyLabel } : {}),
          ...(options.pkcs11KeyId ? { keyId: options.pkcs11KeyId } : {}),
        });
      }
      const keyType: KeyType | undefined = options.keyType ? parseKeyType(options.keyType) : undefined;
      const passphrase = await caPassphrase(options);
      const keyPassphrase =
        publicKey || options.install
          ? undefined
          : await secret(options.keyPassphraseFile, 'VANTHU_KEY_PASSPHRASE', 'Passphrase for the new key');
      const authority = await CertificateAuthority.open(new FileCaStore(caDirectory(options)), passphrase);
      try {
        const issued = await authority.issue({
          profile,
          subject: {
            commonName: options.cn,
            ...(options.org ? { organization: options.org } : {}),
            ...(options.ou ? { organizationalUnit: options.ou } : {}),
            ...(options.country ? { country: options.country } : {}),
            ...(options.email ? { email: options.email } : {}),
            ...(options.uid ? { uid: options.uid } : {}),
            ...(options.title ? { title: options.title } : {}),
          },
          ...(publicKey ? { publicKey } : {}),
          ...(keyType ? { keyType } : {}),
          ...(keyPassphrase ? { keyPassphrase } : {}),
          ...(days !== undefined ? { validityDays: days } : {}),
          ...(options.issuer ? { issuer: options.issuer } : {}),
          ...(options.install ? { install: true } : {}),
        });
        const chainPem = [issued.certificatePem, ...issued.chain.map((c) => derToPem(c, 'CERTIFICATE'))].join(
          '',
        );
        await writeNewFile(`${options.out}.crt.pem`, chainPem, 0o644);
        say(`Issued ${profile} certificate ${issued.serial} by ${issued.caName}: ${options.out}.crt.pem`);
        if (issued.encryptedKeyPem && issued.pkcs12) {
          await writeNewFile(`${options.out}.key.pem`, issued.encryptedKeyPem);
          await writeNewFile(`${options.out}.p12`, issued.pkcs12);
          say(`Encrypted key: ${options.out}.key.pem and ${options.out}.p12 (with the chain).`);
        }
      } finally {
        await authority.close();
      }
    }),
  );

  withDir(
    ca
      .command('revoke <serial>')
      .description('revoke a certificate; the next CRL and OCSP show it at once')
      .option('--reason <reason>', `one of ${Object.keys(REVOCATION_REASONS).join(', ')}`, 'unspecified')
      .option('--ca <name>', 'issuing CA (looked up when omitted)'),
  ).action(
    action(async (serial: string, options: DirOptions & { reason: string; ca?: string }) => {
      if (!(options.reason in REVOCATION_REASONS)) {
        throw new PkiError(
          'invalid_input',
          `Unknown reason "${options.reason}"; use one of ${Object.keys(REVOCATION_REASONS).join(', ')}.`,
        );
      }
      const authority = await CertificateAuthority.open(
        new FileCaStore(caDirectory(options)),
        await caPassphrase(options),
      );
      try {
        const record = await authority.revoke(serial, {
          reason: options.reason as RevocationReason,
          ...(options.ca ? { caName: options.ca } : {}),
        });
        say(
          `Revoked ${record.serial} (${record.subject}) on ${record.revocation?.time}, reason ${record.revocation?.reason}.`,
        );
      } finally {
        await authority.close();
      }
    }),
  );

  ca.command('list')
    .description('list issued certificates')
    .option('--dir <dir>', 'PKI directory (default: $VANTHU_PKI_DIR)')
    .option('--json', 'print JSON')
    .action(
      action(async (options: DirOptions & { json?: boolean }) => {
        const store = new FileCaStore(caDirectory(options));
        await readCaCertificates(store);
        const records = await store.listIssued();
        if (options.json) {
          say(
            JSON.stringify(
              records.map(({ certificate: _c, ...rest }) => rest),
              null,
              2,
            ),
          );
          return;
        }
        for (const r of records) {
          const state = r.revocation ? `revoked ${r.revocation.time} (${r.revocation.reason})` : 'valid';
          say(`${r.serial}\t${r.caName}\t${r.profile}\t${r.notAfter.slice(0, 10)}\t${state}\t${r.subject}`);
        }
      }),
    );

  withDir(
    ca
      .command('crl')
      .description('issue a fresh CRL now and write it')
      .option('--ca <name>', 'CA name (default: the issuing CA)')
      .option('--out <file>', 'output file (default: stdout as PEM)')
      .option('--pem', 'write PEM instead of DER to --out'),
  ).action(
    action(async (options: DirOptions & { ca?: string; out?: string; pem?: boolean }) => {
      const authority = await CertificateAuthority.open(
        new FileCaStore(caDirectory(options)),
        await caPassphrase(options),
      );
      try {
        const record = await authority.issueCrl(options.ca ?? authority.issuingName);
        if (!options.out) {
          process.stdout.write(crlToPem(record.der));
          return;
        }
        const temp = `${options.out}.${process.pid}.tmp`;
        await fs.writeFile(temp, options.pem ? crlToPem(record.der) : record.der);
        await fs.rename(temp, options.out);
        say(
          `CRL number ${record.number} of ${record.caName}, next update ${record.nextUpdate}: ${options.out}`,
        );
      } finally {
        await authority.close();
      }
    }),
  );

  ca.command('export-root')
    .description('write the root CA certificate (no passphrase needed)')
    .option('--dir <dir>', 'PKI directory (default: $VANTHU_PKI_DIR)')
    .option('--out <file>', 'output file (default: stdout)')
    .option('--der', 'DER instead of PEM')
    .action(
      action(async (options: DirOptions & { out?: string; der?: boolean }) => {
        const { root } = await readCaCertificates(new FileCaStore(caDirectory(options)));
        const data = options.der ? root : derToPem(root, 'CERTIFICATE');
        if (!options.out) {
          process.stdout.write(data);
          return;
        }
        const temp = `${options.out}.${process.pid}.tmp`;
        await fs.writeFile(temp, data, { mode: 0o644 });
        await fs.rename(temp, options.out);
      }),
    );

  const trust = program.command('trust').description('manage the trust anchors used to verify signatures');
  trust
    .command('import <file>')
    .description('trust the CA certificates of a PEM, DER or PKCS#12 file (nothing is trusted by default)')
    .option('--dir <dir>', 'PKI directory (default: $VANTHU_PKI_DIR); anchors live in <dir>/trust')
    .option('--intermediate', 'import as intermediates (help build chains, not trusted by themselves)')
    .option(
      '--p12-passphrase-file <file>',
      'passphrase of a PKCS#12 file (default: $VANTHU_P12_PASSPHRASE or a prompt)',
    )
    .action(
      action(
        async (
          file: string,
          options: DirOptions & { intermediate?: boolean; p12PassphraseFile?: string },
        ) => {
          const bytes = await fs.readFile(file).catch(() => {
            throw new PkiError('invalid_input', `The file ${file} cannot be read.`);
          });
          const data = new Uint8Array(bytes);
          const looksLikeCertificate = data.includes(0x2d) || data[0] === 0x30;
          let passphrase: string | undefined;
          if (options.p12PassphraseFile || process.env.VANTHU_P12_PASSPHRASE) {
            passphrase = await secret(
              options.p12PassphraseFile,
              'VANTHU_P12_PASSPHRASE',
              'PKCS#12 passphrase',
            );
          }
          const importOnce = (p?: string) =>
            importTrustFile(path.join(pkiDirectory(options), 'trust'), data, {
              kind: options.intermediate ? 'intermediate' : 'anchor',
              ...(p === undefined ? {} : { passphrase: p }),
            });
          let outcome: Awaited<ReturnType<typeof importTrustFile>>;
          try {
            outcome = await importOnce(passphrase);
          } catch (error) {
            // A PKCS#12 file without a passphrase given: ask for one on the terminal.
            if (
              passphrase !== undefined ||
              !looksLikeCertificate ||
              !isPkiError(error) ||
              !/PKCS#12/.test(error.message)
            )
              throw error;
            outcome = await importOnce(await promptHidden('PKCS#12 passphrase'));
          }
          const kind = options.intermediate ? 'intermediate' : 'trust anchor';
          for (const name of outcome.added) say(`Added ${kind}: ${name}`);
          for (const name of outcome.alreadyPresent) say(`Already present: ${name}`);
          for (const name of outcome.skipped) say(`Skipped: ${name}`);
        },
      ),
    );
}
