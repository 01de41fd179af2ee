/**
 * `vanthu verify` through the real command line (npx tsx cli/main.ts): exit code 0 when
 * every signature is valid, 1 when not, 2 for unreadable input and usage errors.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { VerificationReport } from '../../pki/verify';
import { pyhanko } from '../fixtures/verify/judges';
import { makePdf } from '../fixtures/verify/make-pdf';
import { createOpensslCa, type OpensslCa } from '../fixtures/verify/openssl-ca';

const execFileAsync = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function vanthu(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execFileAsync('npx', ['tsx', 'cli/main.ts', ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** stderr without npm's own configuration warnings. */
const ownErrors = (r: CliResult) =>
  r.stderr
    .split('\n')
    .filter((l) => l.startsWith('vanthu:'))
    .join('\n');

describe('vanthu verify (command line)', function () {
  this.timeout(120_000);
  let ca: OpensslCa;
  const file = (name: string) => path.join(ca.dir, name);

  before(async () => {
    ca = createOpensslCa();
    writeFileSync(file('in.pdf'), await makePdf());
    await pyhanko([
      [
        'sign',
        {
          key: ca.signerEc.key,
          cert: ca.signerEc.cert,
          chain: [ca.intermediate.cert],
          in: file('in.pdf'),
          out: file('signed.pdf'),
        },
      ],
    ]);
    const tampered = readFileSync(file('signed.pdf'));
    tampered[tampered.indexOf('/MediaBox') + 12]! ^= 0x01;
    writeFileSync(file('tampered.pdf'), tampered);
    writeFileSync(file('notes.txt'), 'không phải PDF\n');
  });

  after(() => ca?.close());

  it('exits 0 and prints the summary when every signature is valid', async () => {
    const r = await vanthu('verify', file('signed.pdf'), '--trust', ca.root.cert, '--no-fetch');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('Chữ ký (signature) 1/1: HỢP LỆ (valid)');
    expect(r.stdout).to.contain('Kết luận (document): HỢP LỆ (valid)');
  });

  it('prints the JSON report with --json', async () => {
    const r = await vanthu('verify', file('signed.pdf'), '--trust', ca.root.cert, '--no-fetch', '--json');
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as VerificationReport;
    expect(report.verdict).to.equal('valid');
    expect(report.signatures[0]!.signer?.commonName).to.equal('Nguyễn Văn Ánh');
  });

  it('exits 1 for a modified document and for an untrusted chain or an unsigned file', async () => {
    const [tampered, untrusted, unsigned] = await Promise.all([
      vanthu('verify', file('tampered.pdf'), '--trust', ca.root.cert, '--no-fetch'),
      vanthu('verify', file('signed.pdf'), '--trust', ca.otherRoot.cert, '--no-fetch'),
      vanthu('verify', file('in.pdf'), '--trust', ca.root.cert, '--no-fetch'),
    ]);
    expect(tampered.code).to.equal(1);
    expect(tampered.stdout).to.contain('KHÔNG HỢP LỆ (invalid)');
    expect(untrusted.code).to.equal(1);
    expect(untrusted.stdout).to.contain('CHƯA XÁC ĐỊNH (indeterminate)');
    expect(unsigned.code).to.equal(1);
    expect(unsigned.stdout).to.contain('KHÔNG CÓ CHỮ KÝ (no signatures)');
  });

  it('exits 2 with one clear line for unreadable input and usage errors', async () => {
    // Each CLI start costs seconds on a loaded machine: three representative cases.
    const [notPdf, noTrust, badOption] = await Promise.all([
      vanthu('verify', file('notes.txt'), '--trust', ca.root.cert),
      vanthu('verify', file('signed.pdf')),
      vanthu('verify', file('signed.pdf'), '--trust', ca.root.cert, '--frobnicate'),
    ]);
    for (const r of [notPdf, noTrust, badOption]) {
      expect(r.code, r.stderr).to.equal(2);
      expect(ownErrors(r).split('\n')).to.have.length(1);
      expect(r.stderr).not.to.match(/\n\s+at /); // no stack trace
    }
    expect(ownErrors(notPdf)).to.contain('not a PDF');
    expect(ownErrors(noTrust)).to.contain('--trust');
    expect(ownErrors(badOption)).to.contain('--frobnicate');
  });
});
