import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { derToPem } from '../../pki/crypto/encoding';
import { importTrustFile, loadTrustStore } from '../../pki/trust/directory';
import { importCertificates, readCertificateFile, TrustStore } from '../../pki/trust/store';
import { createPkiFixture, getPkiFixture, type PkiFixture } from '../support/pki-fixture';
import { expectPkiError, openssl, tempDir } from './openssl-judge';

const DAY = 86_400_000;

describe('pki/trust trust store and chain validation', () => {
  const tmp = tempDir('trust');
  let pki: PkiFixture;

  before(async () => {
    pki = await getPkiFixture();
  });
  after(() => tmp.cleanup());

  it('trusts nothing by default, not even our own demo root', async () => {
    const result = await new TrustStore().validate(pki.signers.rsa.certificate, {
      extraCertificates: [pki.issuing.der],
    });
    expect(result.status).to.equal('invalid');
    expect(result.code).to.equal('untrusted');
  });

  it('validates a signer to the configured root, with the path leaf first and the anchor last', async () => {
    const result = await pki.trust.validate(pki.signers.ecdsa.certificate);
    expect(result.status, result.reason).to.equal('valid');
    expect(result.path.map((e) => e.trustAnchor)).to.deep.equal([false, false, true]);
    expect(result.path[0]!.serial).to.equal(pki.signers.ecdsa.serial);
    expect(result.path[2]!.subject).to.contain('Root CA');
    // With the root only, the chain certificates that travel with a signature complete the path.
    const rootOnly = new TrustStore([pki.root.pem]);
    expect((await rootOnly.validate(pki.signers.ecdsa.certificate)).code).to.equal('untrusted');
    expect(
      (await rootOnly.validate(pki.signers.ecdsa.certificate, { extraCertificates: [pki.issuing.der] }))
        .status,
    ).to.equal('valid');
  });

  it('says untrusted for a chain to another root', async () => {
    const stranger = await createPkiFixture();
    try {
      const result = await pki.trust.validate(stranger.signers.rsa.certificate, {
        extraCertificates: [stranger.issuing.der],
      });
      expect(result.code).to.equal('untrusted');
      expect(result.reason).to.contain('does not chain to a configured trust anchor');
    } finally {
      await stranger.close();
    }
  });

  it('checks validity at the validation time: expired and not-yet-valid', async () => {
    const expired = await pki.trust.validate(pki.signers.rsa.certificate, {
      at: new Date(Date.now() + 5 * 365 * DAY),
    });
    expect(expired.code).to.equal('certificate_expired');
    const early = await pki.trust.validate(pki.signers.rsa.certificate, {
      at: new Date(Date.now() - 2 * DAY),
    });
    expect(early.code).to.equal('certificate_not_yet_valid');
  });

  it('checks the leaf usage for the purpose', async () => {
    const asTimestamp = await pki.trust.validate(pki.signers.rsa.certificate, { purpose: 'timestamp' });
    expect(asTimestamp.code).to.equal('certificate_wrong_usage');
    const tsa = await pki.trust.validate(pki.tsaCertificate.der, { purpose: 'timestamp' });
    expect(tsa.status, tsa.reason).to.equal('valid');
    expect((await pki.trust.validate(pki.tsaCertificate.der)).code).to.equal('certificate_wrong_usage');
  });

  it('checks revocation at the validation time, from a source or given evidence, and keeps the evidence', async () => {
    const signer = await pki.issueSigner();
    const good = await pki.trust.validate(signer.certificate, {
      revocation: { mode: 'require', source: pki.revocation.http },
    });
    expect(good.status, good.reason).to.equal('valid');
    expect(good.path[0]!.revocation).to.include({ status: 'good', source: 'ocsp' });
    expect(good.path[1]!.revocation.status).to.equal('good');
    expect(good.evidence.ocspResponses).to.have.length(2);

    const revokedAt = new Date();
    await pki.revoke(signer.serial, 'keyCompromise');
    const now = await pki.trust.validate(signer.certificate, {
      revocation: { mode: 'require', source: pki.revocation.local },
    });
    expect(now.status).to.equal('invalid');
    expect(now.code).to.equal('certificate_revoked');
    expect(now.reason).to.contain('keyCompromise');

    // Signed before the revocation (e.g. proven by a timestamp): still valid at that time.
    const earlier = await pki.trust.validate(signer.certificate, {
      at: new Date(revokedAt.getTime() - 60_000),
      revocation: { mode: 'require', source: pki.revocation.local },
    });
    expect(earlier.status, earlier.reason).to.equal('valid');
    expect(earlier.path[0]!.revocation.detail).to.contain('after the validation time');

    // The same verdict from CRLs handed in (as a PDF's DSS would carry them).
    const crls = [
      ...(await pki.revocation.http.crls(signer.certificate)),
      ...(await pki.revocation.http.crls(pki.issuing.der)),
    ];
    const fromCrl = await pki.trust.validate(signer.certificate, { revocation: { mode: 'require', crls } });
    expect(fromCrl.code).to.equal('certificate_revoked');
    expect(fromCrl.path[0]!.revocation.source).to.equal('crl');
  });

  it('is indeterminate when revocation is required and no evidence can be had; passes in prefer mode', async () => {
    const required = await pki.trust.validate(pki.signers.rsa.certificate, {
      revocation: { mode: 'require' },
    });
    expect(required.status).to.equal('indeterminate');
    expect(required.code).to.equal('revocation_unavailable');
    const preferred = await pki.trust.validate(pki.signers.rsa.certificate, {
      revocation: { mode: 'prefer' },
    });
    expect(preferred.status).to.equal('valid');
    expect(preferred.path[0]!.revocation.status).to.equal('unknown');
  });

  it('applies the algorithm policy to every certificate of a chain built by OpenSSL', async () => {
    const root = tmp.file('weak-root.pem');
    const rootKey = tmp.file('weak-root.key');
    await openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      rootKey,
      '-subj',
      '/CN=Weak-chain Root',
      '-days',
      '30',
      '-out',
      root,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const leafKey = tmp.file('leaf.key');
    const csr = tmp.file('leaf.csr');
    await openssl([
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      leafKey,
      '-subj',
      '/CN=SHA1 signed leaf',
      '-out',
      csr,
    ]);
    const ext = tmp.file('leaf.ext', 'keyUsage=critical,digitalSignature,nonRepudiation\n');
    const leaf = tmp.file('leaf.pem');
    const signed = await openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      root,
      '-CAkey',
      rootKey,
      '-CAcreateserial',
      '-sha1',
      '-days',
      '10',
      '-extfile',
      ext,
      '-out',
      leaf,
    ]);
    expect(signed.code, signed.stderr).to.equal(0);
    const store = new TrustStore([readFileSync(root)]);
    const result = await store.validate(new Uint8Array(readFileSync(leaf)));
    expect(result.status).to.equal('invalid');
    expect(result.code, result.reason).to.equal('weak_algorithm');
    expect(result.reason).to.contain('SHA-1');
  });

  it('imports anchors and intermediates from PEM, DER and PKCS#12, never non-CA certificates', async () => {
    const store = new TrustStore();
    await expectPkiError(() => store.addAnchor(pki.signers.rsa.certificate), 'invalid_input');
    const p12 = readFileSync(pki.signers.seal.p12Path);
    await expectPkiError(() => readCertificateFile(p12), 'invalid_input');
    await expectPkiError(() => readCertificateFile(p12, 'wrong'), 'wrong_passphrase');
    const fromP12 = importCertificates(
      store,
      readCertificateFile(p12, pki.signers.seal.passphrase),
      'anchor',
    );
    expect(fromP12.added).to.have.length(2);
    expect(fromP12.skipped[0]).to.contain('not a CA certificate');
    expect(
      importCertificates(store, readCertificateFile(pki.root.der), 'anchor').alreadyPresent,
    ).to.have.length(1);
    const intermediates = new TrustStore([pki.root.der]);
    importCertificates(intermediates, readCertificateFile(Buffer.from(pki.issuing.pem)), 'intermediate');
    expect((await intermediates.validate(pki.signers.seal.certificate)).status).to.equal('valid');
    await expectPkiError(
      () =>
        importCertificates(
          new TrustStore(),
          readCertificateFile(Buffer.from(pki.signers.rsa.certificatePem)),
          'anchor',
        ),
      'invalid_input',
    );
  });

  it('keeps a trust directory: empty trusts nothing, imports persist', async () => {
    const dir = path.join(tmp.dir, 'trust-dir');
    expect((await loadTrustStore(dir)).anchors()).to.have.length(0);
    await importTrustFile(dir, new TextEncoder().encode(derToPem(pki.root.der, 'CERTIFICATE')), {
      kind: 'anchor',
    });
    await importTrustFile(dir, pki.issuing.der, { kind: 'intermediate' });
    const loaded = await loadTrustStore(dir);
    expect(loaded.anchors()).to.have.length(1);
    expect(loaded.intermediates()).to.have.length(1);
    expect((await loaded.validate(pki.signers.rsa.certificate)).status).to.equal('valid');
  });
});
