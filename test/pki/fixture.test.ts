import { expect } from 'chai';
import { getPkiFixture } from '../support/pki-fixture';
import { run } from './openssl-judge';

describe('test/support/pki-fixture (shared PKI for the test suites)', () => {
  it('is one CA per process, served on 127.0.0.1, with an NSS db that trusts its root for pdfsig', async () => {
    const pki = await getPkiFixture();
    expect(await getPkiFixture()).to.equal(pki);
    expect(pki.baseUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const db = await pki.nssDb();
    expect(await pki.nssDb()).to.equal(db);
    const listed = await run('certutil', ['-L', '-d', `sql:${db}`]);
    expect(listed.code, listed.stderr).to.equal(0);
    expect(listed.stdout).to.match(/vanthu-test-root\s+CT,C,C/);
    const root = await run('certutil', ['-L', '-d', `sql:${db}`, '-n', 'vanthu-test-root', '-a']);
    expect(root.stdout.replace(/\r/g, '')).to.equal(pki.root.pem);
  });
});
