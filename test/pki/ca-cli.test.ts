import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { readPkcs12 } from '../../pki/keys/pkcs12';
import { openssl, run, tempDir } from './openssl-judge';

/**
 * Runs the CLI on a temp PKI directory: the `ca`/`trust` groups through a slim entry with
 * cli/main.ts's error handling (ca-cli-entry.ts), and once through cli/main.ts itself.
 */
describe('vanthu ca / trust CLI (through the real command line)', () => {
  const tmp = tempDir('ca-cli');
  const pkiDir = path.join(tmp.dir, 'pki');
  const caPass = tmp.file('ca.pass', 'cli CA passphrase\n');
  const keyPass = tmp.file('key.pass', 'cli key passphrase\n');
  const env = { ...process.env, VANTHU_PKI_DIR: pkiDir, VANTHU_CA_PASSPHRASE: '', VANTHU_KEY_PASSPHRASE: '' };
  const vanthu = (...args: string[]) =>
    run(path.resolve('node_modules/.bin/tsx'), [path.resolve('test/pki/ca-cli-entry.ts'), ...args], { env });

  after(() => tmp.cleanup());

  it('init, issue, revoke, crl, list, export-root and trust import work end to end with clear exit codes', async () => {
    const init = await vanthu(
      'ca',
      'init',
      '--base-url',
      'http://localhost:3000',
      '--org',
      'Thành ủy CLI',
      '--key-type',
      'ec-p256',
      '--passphrase-file',
      caPass,
    );
    expect(init.code, init.stderr).to.equal(0);
    expect(init.stdout).to.contain('The root is not trusted by anyone yet');

    const out = path.join(tmp.dir, 'leader');
    const issue = await vanthu(
      'ca',
      'issue',
      '--type',
      'person',
      '--cn',
      'Nguyễn Văn Lãnh Đạo',
      '--org',
      'Thành ủy CLI',
      '--ou',
      'Thường trực',
      '--email',
      'lanhdao@example.vn',
      '--key-type',
      'ec-p256',
      '--out',
      out,
      '--passphrase-file',
      caPass,
      '--key-passphrase-file',
      keyPass,
    );
    expect(issue.code, issue.stderr).to.equal(0);
    const serial = /certificate ([0-9a-f]+) by/.exec(issue.stdout)?.[1];
    expect(serial).to.match(/^[0-9a-f]{30,}$/);
    expect(readFileSync(`${out}.key.pem`, 'utf8')).to.contain('ENCRYPTED PRIVATE KEY');
    expect(readPkcs12(new Uint8Array(readFileSync(`${out}.p12`)), 'cli key passphrase').chain).to.have.length(
      2,
    );

    const [again, wrong, badType] = await Promise.all([
      vanthu('ca', 'init', '--base-url', 'http://localhost:3000', '--passphrase-file', caPass),
      vanthu('ca', 'revoke', serial!, '--passphrase-file', keyPass),
      vanthu(
        'ca',
        'issue',
        '--type',
        'robot',
        '--cn',
        'x',
        '--out',
        path.join(tmp.dir, 'x'),
        '--passphrase-file',
        caPass,
      ),
    ]);
    expect([again.code, wrong.code, badType.code]).to.deep.equal([5, 3, 2]);
    expect(again.stderr).to.match(/^vanthu: A certificate authority already exists here/);
    expect(wrong.stderr).to.equal('vanthu: The passphrase does not unlock this private key.\n');
    expect(badType.stderr).to.contain('Unknown certificate type "robot"');

    const revoke = await vanthu(
      'ca',
      'revoke',
      serial!,
      '--reason',
      'affiliationChanged',
      '--passphrase-file',
      caPass,
    );
    expect(revoke.code, revoke.stderr).to.equal(0);

    const crlFile = path.join(tmp.dir, 'issuing.crl');
    const rootFile = path.join(tmp.dir, 'root.pem');
    const [crl, list, exported, revokedTwice] = await Promise.all([
      vanthu('ca', 'crl', '--out', crlFile, '--passphrase-file', caPass),
      vanthu('ca', 'list', '--json'),
      vanthu('ca', 'export-root', '--out', rootFile),
      vanthu('ca', 'revoke', serial!, '--passphrase-file', caPass),
    ]);
    expect(crl.code, crl.stderr).to.equal(0);
    const crlText = await openssl(['crl', '-inform', 'DER', '-in', crlFile, '-noout', '-text']);
    expect(crlText.stdout).to.contain(`Serial Number: ${serial!.toUpperCase()}`);
    expect(crlText.stdout).to.contain('Affiliation Changed');
    const records = JSON.parse(list.stdout) as Array<{
      serial: string;
      revocation: { reason: string } | null;
      profile: string;
    }>;
    expect(records.find((r) => r.serial === serial)?.revocation?.reason).to.equal('affiliationChanged');
    expect(records.map((r) => r.profile).sort()).to.deep.equal(['issuing', 'ocsp', 'ocsp', 'person', 'tsa']);
    expect(exported.code).to.equal(0);
    expect(revokedTwice.code).to.equal(5);
    const verified = await openssl([
      'verify',
      '-CAfile',
      rootFile,
      '-untrusted',
      `${out}.crt.pem`,
      `${out}.crt.pem`,
    ]);
    expect(verified.stdout).to.contain(': OK');

    const trust = await vanthu('trust', 'import', rootFile);
    expect(trust.code, trust.stderr).to.equal(0);
    expect(trust.stdout).to.match(/Added trust anchor: C=VN, O=Thành ủy CLI, CN=Thành ủy CLI Root CA/);
    expect(readdirSync(path.join(pkiDir, 'trust', 'anchors'))).to.have.length(1);
  });

  it('through cli/main.ts: one clear line and exit code 2 without a PKI directory', async () => {
    const result = await run(
      path.resolve('node_modules/.bin/tsx'),
      [path.resolve('cli/main.ts'), 'ca', 'list'],
      {
        env: { ...process.env, VANTHU_PKI_DIR: '' },
      },
    );
    expect(result.code).to.equal(2);
    expect(result.stderr).to.equal('vanthu: Give the PKI directory with --dir or VANTHU_PKI_DIR.\n');
  });
});
