/**
 * `vanthu sign` through the real command line: PKCS#12, PKCS#8 with a visible signature,
 * a SoftHSM2 token, and the failures that must leave no output file (wrong passphrase,
 * TSA down, not a PDF) with their exit codes (1 failed, 2 usage / unreadable input).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { makeDocumentPdf, makeSignaturePng } from '../fixtures/pdf/make';
import { getPkiFixture, type PkiFixture } from '../support/pki-fixture';
import { command, pdfsig } from './pades-judges';

const ROOT = path.resolve(__dirname, '../..');
const execFileAsync = promisify(execFile);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in a child process (async: the fixture's TSA/OCSP server lives in this one). */
async function vanthu(args: string[], env: Record<string, string> = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', 'cli/main.ts', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        timeout: 60_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('vanthu sign (command line)', function () {
  this.timeout(120_000);
  let pki: PkiFixture;
  let nss: string;
  let dir: string;
  let input: string;
  let passFile: string;

  before(async () => {
    pki = await getPkiFixture();
    nss = await pki.nssDb();
    dir = mkdtempSync(path.join(tmpdir(), 'vanthu-sign-cli-'));
    input = path.join(dir, 'in.pdf');
    writeFileSync(input, await makeDocumentPdf());
    passFile = path.join(dir, 'pass.txt');
    writeFileSync(passFile, `${pki.signers.rsa.passphrase}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const leftovers = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

  it('signs with a PKCS#12 key at B-T using the TSA URL', async () => {
    const out = path.join(dir, 'p12-bt.pdf');
    const r = await vanthu([
      'sign',
      input,
      '-o',
      out,
      '--key',
      pki.signers.rsa.p12Path,
      '--passphrase-file',
      passFile,
      '--level',
      'B-T',
      '--tsa',
      pki.tsaUrl,
      '--reason',
      'Phê duyệt',
    ]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('PAdES B-T');
    const [sig] = await pdfsig(out, nss);
    expect(sig?.signatureValid && sig.certificateTrusted, sig?.text).to.equal(true);
  });

  it('signs with an encrypted PKCS#8 key, certificate and chain files, visibly, at B-LT', async () => {
    const out = path.join(dir, 'p8-blt.pdf');
    const image = path.join(dir, 'signature.png');
    writeFileSync(image, makeSignaturePng());
    const ec = pki.signers.ecdsa;
    const r = await vanthu(
      [
        'sign',
        input,
        '-o',
        out,
        '--key',
        ec.keyPath,
        '--cert',
        ec.certPath,
        '--chain',
        pki.issuing.pemPath,
        '--level',
        'B-LT',
        '--tsa',
        pki.tsaUrl,
        '--image',
        image,
        '--rect',
        '340,120,200,110',
        '--page',
        '1',
      ],
      { VANTHU_KEY_PASSPHRASE: ec.passphrase },
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('PAdES B-LT');
    const [sig] = await pdfsig(out, nss);
    expect(sig?.signatureValid && sig.certificateTrusted, sig?.text).to.equal(true);
    const text = await command('pdftotext', [out, '-']);
    expect(text.stdout).to.contain('Ký bởi: Lê Văn Ký (ECDSA)');
  });

  it('signs with a key in a SoftHSM2 token', async () => {
    const tokenDir = mkdtempSync(path.join(dir, 'softhsm-'));
    const conf = path.join(tokenDir, 'softhsm2.conf');
    writeFileSync(
      conf,
      `directories.tokendir = ${tokenDir}\nobjects.store.backend = file\nlog.level = ERROR\n`,
    );
    const env = { SOFTHSM2_CONF: conf };
    const init = await command('env', [
      `SOFTHSM2_CONF=${conf}`,
      'softhsm2-util',
      '--init-token',
      '--free',
      '--label',
      'vanthu-cli',
      '--pin',
      '123456',
      '--so-pin',
      '12345678',
    ]);
    expect(init.code, init.stderr).to.equal(0);
    const plainKey = path.join(tokenDir, 'key.pem');
    const rsa = pki.signers.rsa;
    const decrypt = await command('openssl', [
      'pkey',
      '-in',
      rsa.keyPath,
      '-passin',
      `pass:${rsa.passphrase}`,
      '-out',
      plainKey,
    ]);
    expect(decrypt.code, decrypt.stderr).to.equal(0);
    const imported = await command('env', [
      `SOFTHSM2_CONF=${conf}`,
      'softhsm2-util',
      '--import',
      plainKey,
      '--token',
      'vanthu-cli',
      '--label',
      'signer',
      '--id',
      'a1',
      '--pin',
      '123456',
    ]);
    rmSync(plainKey);
    expect(imported.code, imported.stderr).to.equal(0);
    const pin = path.join(tokenDir, 'pin.txt');
    writeFileSync(pin, '123456');
    const out = path.join(dir, 'token.pdf');
    const r = await vanthu(
      [
        'sign',
        input,
        '-o',
        out,
        '--pkcs11-module',
        '/usr/lib/softhsm/libsofthsm2.so',
        '--token-label',
        'vanthu-cli',
        '--key-label',
        'signer',
        '--cert',
        rsa.certPath,
        '--chain',
        pki.issuing.pemPath,
        '--passphrase-file',
        pin,
      ],
      env,
    );
    expect(r.code, r.stderr).to.equal(0);
    const [sig] = await pdfsig(out, nss);
    expect(sig?.signatureValid && sig.certificateTrusted, sig?.text).to.equal(true);
  });

  it('fails cleanly, writing nothing: wrong passphrase, TSA down, not a PDF, usage errors', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const wrongPass = path.join(dir, 'wrong.txt');
    writeFileSync(wrongPass, 'not the passphrase');
    const notPdf = path.join(dir, 'notes.txt');
    writeFileSync(notPdf, 'plain text, not a PDF');
    const key = ['--key', pki.signers.rsa.p12Path];
    const cases: Array<[string, string[], number, RegExp]> = [
      ['wrong passphrase', [input, ...key, '--passphrase-file', wrongPass], 1, /passphrase/i],
      [
        'TSA down',
        [
          input,
          ...key,
          '--passphrase-file',
          passFile,
          '--level',
          'B-T',
          '--tsa',
          `http://127.0.0.1:${closedPort}/tsa`,
        ],
        1,
        /time-?stamp/i,
      ],
      ['not a PDF', [notPdf, ...key, '--passphrase-file', passFile], 1, /not a PDF/],
      [
        'missing input',
        [path.join(dir, 'nope.pdf'), ...key, '--passphrase-file', passFile],
        2,
        /does not exist/,
      ],
      ['B-T without TSA', [input, ...key, '--passphrase-file', passFile, '--level', 'B-T'], 2, /--tsa/],
      ['bad level', [input, ...key, '--passphrase-file', passFile, '--level', 'B-X'], 2, /--level/],
      ['no key', [input, '--passphrase-file', passFile], 2, /--key/],
    ];
    // Independent runs, started together: each CLI start-up costs seconds.
    const runs = await Promise.all(
      cases.map(async ([label, args]) => {
        const out = path.join(dir, `fail-${label.replace(/\W+/g, '-')}.pdf`);
        return { out, r: await vanthu(['sign', ...args, '-o', out]) };
      }),
    );
    for (const [i, [label, , code, message]] of cases.entries()) {
      const { out, r } = runs[i]!;
      expect(r.code, `${label}: ${r.stderr}`).to.equal(code);
      expect(r.stderr, label).to.match(message);
      expect(r.stderr.trim().split('\n'), `${label}: one line`).to.have.length(1);
      expect(existsSync(out), `${label}: no output`).to.equal(false);
    }
    expect(leftovers()).to.deep.equal([]);
  });
});
