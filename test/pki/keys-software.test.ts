import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { derToPem } from '../../pki/crypto/encoding';
import { openSoftwareSigner, withSoftwareSigner } from '../../pki/keys/software';
import type { Signer } from '../../pki/signer';
import { getPkiFixture, type PkiFixture } from '../support/pki-fixture';
import { expectPkiError, openssl, tempDir } from './openssl-judge';

describe('pki/keys software signer (encrypted PKCS#8 and PKCS#12)', () => {
  const tmp = tempDir('software');
  let pki: PkiFixture;
  const data = new TextEncoder().encode('Chỉ thị số 12-CT/TU về công tác văn thư');
  const dataFile = tmp.file('data.txt', data);

  before(async () => {
    pki = await getPkiFixture();
  });
  after(() => tmp.cleanup());

  async function opensslVerifies(
    signer: Signer,
    signature: Uint8Array,
    extra: string[] = [],
  ): Promise<string> {
    const pub = tmp.file(`pub-${Math.random()}.pem`);
    const certFile = tmp.file(`cert-${Math.random()}.pem`, derToPem(signer.certificate, 'CERTIFICATE'));
    await openssl(['x509', '-in', certFile, '-pubkey', '-noout', '-out', pub]);
    const sig = tmp.file(`sig-${Math.random()}.bin`, signature);
    return (await openssl(['dgst', '-sha256', ...extra, '-verify', pub, '-signature', sig, dataFile])).stdout;
  }

  it('signs with an encrypted PKCS#8 key (RSA PKCS#1 v1.5 and PSS, ECDSA); OpenSSL verifies each', async () => {
    const rsa = pki.signers.rsa;
    await withSoftwareSigner(
      {
        key: readFileSync(rsa.keyPath, 'utf8'),
        certificate: readFileSync(rsa.chainPath, 'utf8'),
        passphrase: rsa.passphrase,
      },
      async (signer) => {
        expect(signer.keyAlgorithm).to.equal('RSA');
        expect(signer.chain).to.have.length(1);
        expect(await opensslVerifies(signer, await signer.sign(data))).to.contain('Verified OK');
      },
    );
    await withSoftwareSigner(
      {
        key: readFileSync(rsa.keyPath),
        certificate: readFileSync(rsa.certPath),
        passphrase: rsa.passphrase,
        rsaPadding: 'pss',
      },
      async (signer) => {
        expect(signer.keyAlgorithm).to.equal('RSA-PSS');
        const verdict = await opensslVerifies(signer, await signer.sign(data), [
          '-sigopt',
          'rsa_padding_mode:pss',
          '-sigopt',
          'rsa_pss_saltlen:32',
        ]);
        expect(verdict).to.contain('Verified OK');
      },
    );
    const ec = pki.signers.ecdsa;
    await withSoftwareSigner(
      { key: readFileSync(ec.keyPath), certificate: readFileSync(ec.certPath), passphrase: ec.passphrase },
      async (signer) => {
        expect(signer.keyAlgorithm).to.equal('ECDSA');
        expect(await opensslVerifies(signer, await signer.sign(data))).to.contain('Verified OK');
      },
    );
  });

  it('signs with a PKCS#12 file of ours and with one made by OpenSSL (AES default and legacy 3DES)', async () => {
    const seal = pki.signers.seal;
    await withSoftwareSigner(
      { key: readFileSync(seal.p12Path), passphrase: seal.passphrase },
      async (signer) => {
        expect(signer.chain).to.have.length(1); // the issuing CA; the root is dropped
        expect(await opensslVerifies(signer, await signer.sign(data))).to.contain('Verified OK');
      },
    );
    const ec = pki.signers.ecdsa;
    const clearKey = tmp.file('clear.pem');
    await openssl(['pkey', '-in', ec.keyPath, '-passin', `pass:${ec.passphrase}`, '-out', clearKey]);
    for (const legacy of [[], ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']]) {
      const p12 = tmp.file(`openssl-${legacy.length}.p12`);
      const made = await openssl([
        'pkcs12',
        '-export',
        '-inkey',
        clearKey,
        '-in',
        ec.certPath,
        '-certfile',
        pki.issuing.pemPath,
        '-passout',
        'pass:openssl pass',
        '-out',
        p12,
        ...legacy,
      ]);
      expect(made.code, made.stderr).to.equal(0);
      await withSoftwareSigner({ key: readFileSync(p12), passphrase: 'openssl pass' }, async (signer) => {
        expect(signer.chain).to.have.length(1);
        expect(await opensslVerifies(signer, await signer.sign(data))).to.contain('Verified OK');
      });
      await expectPkiError(
        openSoftwareSigner({ key: readFileSync(p12), passphrase: 'wrong' }),
        'wrong_passphrase',
      );
    }
  });

  it('locks the key again after the use (and after a failing use)', async () => {
    const rsa = pki.signers.rsa;
    let kept: Signer | null = null;
    await withSoftwareSigner(
      { key: readFileSync(rsa.p12Path), passphrase: rsa.passphrase },
      async (signer) => {
        kept = signer;
      },
    );
    await expectPkiError(kept!.sign(data), 'key_unavailable');
    let failing: Signer | null = null;
    try {
      await withSoftwareSigner(
        { key: readFileSync(rsa.p12Path), passphrase: rsa.passphrase },
        async (signer) => {
          failing = signer;
          throw new Error('the caller failed');
        },
      );
    } catch (error) {
      expect((error as Error).message).to.equal('the caller failed');
    }
    await expectPkiError(failing!.sign(data), 'key_unavailable');
  });

  it('refuses a wrong or missing passphrase with wrong_passphrase', async () => {
    const rsa = pki.signers.rsa;
    await expectPkiError(
      openSoftwareSigner({
        key: readFileSync(rsa.keyPath),
        certificate: readFileSync(rsa.certPath),
        passphrase: 'wrong',
      }),
      'wrong_passphrase',
    );
    await expectPkiError(
      openSoftwareSigner({ key: readFileSync(rsa.p12Path), passphrase: '' }),
      'wrong_passphrase',
    );
  });

  it('checks the certificate at load: expired, not yet valid, wrong usage, weak, of another key', async () => {
    const day = 86_400_000;
    const expired = await pki.issueSigner({
      notBefore: new Date(Date.now() - 400 * day),
      notAfter: new Date(Date.now() - 30 * day),
      at: new Date(Date.now() - 100 * day),
    });
    expect(
      await expectPkiError(
        openSoftwareSigner({ key: readFileSync(expired.p12Path), passphrase: expired.passphrase }),
        'certificate_expired',
      ),
    ).to.contain('expired on');
    const future = await pki.issueSigner({
      notBefore: new Date(Date.now() + 30 * day),
      validityDays: 60,
      at: new Date(Date.now() + 40 * day),
    });
    await expectPkiError(
      openSoftwareSigner({ key: readFileSync(future.p12Path), passphrase: future.passphrase }),
      'certificate_not_yet_valid',
    );

    const tsa = await pki.ca.issue({
      profile: 'tsa',
      subject: { commonName: 'Another TSA', organization: 'Org' },
      keyPassphrase: 'tsa passphrase',
    });
    expect(
      await expectPkiError(
        openSoftwareSigner({ key: tsa.pkcs12!, passphrase: 'tsa passphrase' }),
        'certificate_wrong_usage',
      ),
    ).to.contain('extended key usage');
    const asTsa = await openSoftwareSigner({
      key: tsa.pkcs12!,
      passphrase: 'tsa passphrase',
      purpose: 'timestamp',
    });
    await asTsa.close();

    const weakKey = tmp.file('weak.key');
    await openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:1024',
      '-passout',
      'pass:weak passphrase',
      '-keyout',
      weakKey,
      '-subj',
      '/CN=weak/O=x',
      '-days',
      '2',
      '-out',
      tmp.file('weak.pem'),
      '-addext',
      'keyUsage=critical,digitalSignature',
    ]);
    await expectPkiError(
      openSoftwareSigner({
        key: readFileSync(weakKey),
        certificate: readFileSync(tmp.file('weak.pem')),
        passphrase: 'weak passphrase',
      }),
      'weak_algorithm',
    );

    const rsa = pki.signers.rsa;
    expect(
      await expectPkiError(
        openSoftwareSigner({
          key: readFileSync(rsa.keyPath),
          certificate: readFileSync(pki.signers.ecdsa.certPath),
          passphrase: rsa.passphrase,
        }),
        'invalid_input',
      ),
    ).to.contain('does not belong');
  });

  it('refuses damaged input with invalid_input', async () => {
    await expectPkiError(
      openSoftwareSigner({ key: 'garbage', certificate: pki.signers.rsa.certificatePem, passphrase: 'x' }),
      'invalid_input',
    );
    await expectPkiError(
      openSoftwareSigner({ key: readFileSync(pki.signers.rsa.keyPath) } as never),
      'wrong_passphrase',
    );
    const p12 = readFileSync(pki.signers.rsa.p12Path);
    await expectPkiError(
      openSoftwareSigner({
        key: new Uint8Array(p12.subarray(0, p12.length - 40)),
        passphrase: pki.signers.rsa.passphrase,
      }),
      'invalid_input',
    );
    await expectPkiError(
      openSoftwareSigner({
        key: readFileSync(pki.signers.rsa.keyPath),
        passphrase: pki.signers.rsa.passphrase,
      }),
      'invalid_input',
    );
  });
});
