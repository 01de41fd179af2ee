import { createPrivateKey, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import {
  acceptExternalSignature,
  createExternalSignatureRequest,
  ExternalSigner,
  externalSignatureRequestFromJSON,
  externalSignatureRequestToJSON,
} from '../../pki/keys/external';
import { type FixtureSigner, getPkiFixture, type PkiFixture } from '../support/pki-fixture';
import { expectPkiError, openssl, tempDir } from './openssl-judge';

describe('pki/keys external two-phase signing', () => {
  const tmp = tempDir('external');
  let pki: PkiFixture;
  const data = new TextEncoder().encode('DER of the signed attributes, as far as this test cares');

  before(async () => {
    pki = await getPkiFixture();
  });
  after(() => tmp.cleanup());

  /** The "remote service": OpenSSL signs the handed-out digest with the key file. */
  async function remoteSign(signer: FixtureSigner, digest: Uint8Array, pss = false): Promise<Uint8Array> {
    const clear = tmp.file(`clear-${Math.random()}.pem`);
    await openssl(['pkey', '-in', signer.keyPath, '-passin', `pass:${signer.passphrase}`, '-out', clear]);
    const digestFile = tmp.file(`digest-${Math.random()}.bin`, digest);
    const out = tmp.file(`sig-${Math.random()}.bin`);
    const options = [
      '-pkeyopt',
      'digest:sha256',
      ...(pss ? ['-pkeyopt', 'rsa_padding_mode:pss', '-pkeyopt', 'rsa_pss_saltlen:32'] : []),
    ];
    const signed = await openssl([
      'pkeyutl',
      '-sign',
      '-inkey',
      clear,
      '-in',
      digestFile,
      '-out',
      out,
      ...options,
    ]);
    expect(signed.code, signed.stderr).to.equal(0);
    return new Uint8Array(readFileSync(out));
  }

  it('hands out the digest, and accepts an RSA (PKCS#1 and PSS) or ECDSA value made elsewhere after checking it', async () => {
    for (const [fixture, pss] of [
      [pki.signers.rsa, false],
      [pki.signers.rsa, true],
      [pki.signers.ecdsa, false],
    ] as const) {
      const request = createExternalSignatureRequest({
        certificate: fixture.certificatePem,
        chain: [pki.issuing.der],
        data,
        ...(pss ? { rsaPadding: 'pss' as const } : {}),
      });
      expect(request.digest).to.have.length(32);
      expect(request.digestInfo === null).to.equal(fixture !== pki.signers.rsa || pss);
      const value = await remoteSign(fixture, request.digest, pss);
      const accepted = acceptExternalSignature(request, value, fixture.certificate);
      expect(Buffer.from(accepted).equals(Buffer.from(value))).to.equal(true);
    }
  });

  it('accepts a raw r‖s ECDSA value (WebCrypto, tokens) and returns it DER-encoded', async () => {
    const fixture = pki.signers.ecdsa;
    const request = createExternalSignatureRequest({ certificate: fixture.certificate, data });
    const keyObject = createPrivateKey({
      key: readFileSync(fixture.keyPath, 'utf8'),
      passphrase: fixture.passphrase,
    });
    const key = await webcrypto.subtle.importKey(
      'pkcs8',
      keyObject.export({ type: 'pkcs8', format: 'der' }),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    );
    const raw = new Uint8Array(
      await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, request.data),
    );
    expect(raw).to.have.length(64);
    const der = acceptExternalSignature(request, raw);
    expect(der[0]).to.equal(0x30);
    // OpenSSL agrees the converted value is a valid signature over the data.
    const pub = tmp.file('ec-pub.pem');
    await openssl(['x509', '-in', fixture.certPath, '-pubkey', '-noout', '-out', pub]);
    const verdict = await openssl([
      'dgst',
      '-sha256',
      '-verify',
      pub,
      '-signature',
      tmp.file('ec.sig', der),
      tmp.file('ec.data', data),
    ]);
    expect(verdict.stdout).to.contain('Verified OK');
  });

  it('refuses a wrong value, a value for other data, or another certificate, accepting nothing', async () => {
    const fixture = pki.signers.rsa;
    const request = createExternalSignatureRequest({ certificate: fixture.certificate, data });
    const good = await remoteSign(fixture, request.digest);
    const flipped = good.slice();
    flipped[10] = (flipped[10] ?? 0) ^ 0x01;
    expect(await expectPkiError(() => acceptExternalSignature(request, flipped), 'invalid_input')).to.contain(
      'does not verify',
    );
    const other = createExternalSignatureRequest({
      certificate: fixture.certificate,
      data: new Uint8Array([1, 2, 3]),
    });
    await expectPkiError(() => acceptExternalSignature(other, good), 'invalid_input');
    expect(
      await expectPkiError(
        () => acceptExternalSignature(request, good, pki.signers.seal.certificate),
        'invalid_input',
      ),
    ).to.contain('another certificate');
    await expectPkiError(() => acceptExternalSignature(request, new Uint8Array(0)), 'invalid_input');
  });

  it('checks the certificate when preparing: expired or CA certificates are refused', async () => {
    await expectPkiError(
      () =>
        createExternalSignatureRequest({
          certificate: pki.signers.rsa.certificate,
          data,
          at: new Date(Date.now() + 30 * 365 * 86_400_000),
        }),
      'certificate_expired',
    );
    await expectPkiError(
      () => createExternalSignatureRequest({ certificate: pki.issuing.der, data }),
      'certificate_wrong_usage',
    );
  });

  it('survives a JSON round trip between two requests, and refuses a tampered one', async () => {
    const fixture = pki.signers.ecdsa;
    const request = createExternalSignatureRequest({ certificate: fixture.certificate, data });
    const stored = JSON.parse(JSON.stringify(externalSignatureRequestToJSON(request)));
    const restored = externalSignatureRequestFromJSON(stored);
    expect(Buffer.from(restored.digest).equals(Buffer.from(request.digest))).to.equal(true);
    const value = await remoteSign(fixture, restored.digest);
    expect(acceptExternalSignature(restored, value)).to.have.length(value.length);
    await expectPkiError(
      () => externalSignatureRequestFromJSON({ ...stored, digest: Buffer.alloc(32).toString('base64') }),
      'invalid_input',
    );
    await expectPkiError(
      () => externalSignatureRequestFromJSON({ ...stored, hashAlgorithm: 'SHA-1' }),
      'invalid_input',
    );
    await expectPkiError(() => externalSignatureRequestFromJSON('nonsense'), 'invalid_input');
  });

  it('ExternalSigner: sign() waits for complete(), a wrong value keeps it waiting, cancel and timeout reject', async () => {
    const fixture = pki.signers.rsa;
    const signer = new ExternalSigner({ certificate: fixture.certificate, chain: [pki.issuing.der] });
    expect(signer.keyAlgorithm).to.equal('RSA');
    const signing = signer.sign(data);
    const request = await signer.requested;
    expect(signer.pending()).to.equal(request);
    await expectPkiError(() => signer.complete(new Uint8Array(256)), 'invalid_input');
    expect(signer.pending()).to.equal(request);
    signer.complete(await remoteSign(fixture, request.digest));
    expect(await signing).to.have.length(256);
    expect(signer.pending()).to.equal(null);

    const cancelled = signer.sign(data);
    signer.cancel('The user closed the token dialog.');
    expect(await expectPkiError(cancelled, 'key_unavailable')).to.contain('closed the token dialog');

    const impatient = new ExternalSigner({ certificate: fixture.certificate, timeoutMs: 50 });
    await expectPkiError(impatient.sign(data), 'key_unavailable');
  });
});
