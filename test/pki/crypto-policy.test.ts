import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as asn1js from 'asn1js';
import { expect } from 'chai';
import * as pkijs from 'pkijs';
import { parseCertificate } from '../../pki/crypto/certificate';
import { decryptPrivateKey, encryptPrivateKey, generateKeyPair, spkiOf } from '../../pki/crypto/keys';
import { OID } from '../../pki/crypto/oids';
import {
  checkCertificateAlgorithms,
  checkHashAlgorithm,
  checkKey,
  checkSignatureAlgorithm,
} from '../../pki/crypto/policy';
import {
  ecdsaDerToRaw,
  ecdsaRawToDer,
  signatureAlgorithmIdentifier,
  signWithKey,
  verifyWithKey,
} from '../../pki/crypto/signing';
import { expectPkiError, openssl, tempDir } from './openssl-judge';

describe('pki/crypto algorithm policy (Thông tư 15/2025/TT-BKHCN)', () => {
  const tmp = tempDir('policy');
  after(() => tmp.cleanup());

  it('accepts RSA ≥ 2048 and ECDSA P-256/P-384, refuses RSA 1024, secp256k1 and Ed25519', async () => {
    expect(checkKey((await generateKeyPair('rsa-2048')).publicKey)).to.deep.equal({
      family: 'RSA',
      bits: 2048,
      curve: null,
    });
    expect(checkKey((await generateKeyPair('ec-p384')).privateKey).curve).to.equal('P-384');
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(await expectPkiError(() => checkKey(small.publicKey), 'weak_algorithm')).to.contain('1024');
    await expectPkiError(
      () => checkKey(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey),
      'weak_algorithm',
    );
    await expectPkiError(() => checkKey(generateKeyPairSync('ed25519').publicKey), 'weak_algorithm');
  });

  it('accepts SHA-256/384/512 by name or OID and refuses SHA-1, MD5 and SHA-224', async () => {
    expect(checkHashAlgorithm('sha384')).to.equal('SHA-384');
    expect(checkHashAlgorithm(OID.sha512)).to.equal('SHA-512');
    for (const weak of ['SHA-1', OID.sha1, 'MD5', 'SHA-224'])
      await expectPkiError(() => checkHashAlgorithm(weak), 'weak_algorithm');
  });

  it('reads PKCS#1 v1.5, PSS and ECDSA signature algorithms and refuses SHA-1 ones and PSS defaults', async () => {
    expect(checkSignatureAlgorithm(signatureAlgorithmIdentifier('RSA-PSS', 'SHA-384'))).to.deep.equal({
      keyAlgorithm: 'RSA-PSS',
      hashAlgorithm: 'SHA-384',
      saltLength: 48,
    });
    expect(checkSignatureAlgorithm(signatureAlgorithmIdentifier('ECDSA', 'SHA-256')).keyAlgorithm).to.equal(
      'ECDSA',
    );
    await expectPkiError(
      () =>
        checkSignatureAlgorithm(new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha1WithRSAEncryption })),
      'weak_algorithm',
    );
    // RSASSA-PSS with absent parameters means SHA-1 + MGF1-SHA-1.
    const pssDefaults = new pkijs.AlgorithmIdentifier({
      algorithmId: OID.rsassaPss,
      algorithmParams: new asn1js.Sequence(),
    });
    await expectPkiError(() => checkSignatureAlgorithm(pssDefaults), 'weak_algorithm');
  });

  it('refuses certificates made by OpenSSL with an RSA-1024 key or a SHA-1 signature', async () => {
    const weakKey = await openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:1024',
      '-nodes',
      '-keyout',
      tmp.file('k1.pem'),
      '-subj',
      '/CN=weak key',
      '-days',
      '2',
      '-out',
      tmp.file('c1.pem'),
    ]);
    expect(weakKey.code, weakKey.stderr).to.equal(0);
    await expectPkiError(
      () => checkCertificateAlgorithms(parseCertificate(readFileSync(tmp.file('c1.pem')))),
      'weak_algorithm',
    );
    const sha1 = await openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-sha1',
      '-keyout',
      tmp.file('k2.pem'),
      '-subj',
      '/CN=sha1',
      '-days',
      '2',
      '-out',
      tmp.file('c2.pem'),
    ]);
    expect(sha1.code, sha1.stderr).to.equal(0);
    const cert = parseCertificate(readFileSync(tmp.file('c2.pem')));
    expect(await expectPkiError(() => checkCertificateAlgorithms(cert), 'weak_algorithm')).to.contain(
      'SHA-1',
    );
    // A self-signed anchor's own signature proves nothing, so it alone is not held against it.
    expect(checkCertificateAlgorithms(cert, 'anchor', { ignoreOwnSignature: true }).curve).to.equal('P-256');
  });

  it('writes encrypted PKCS#8 that OpenSSL opens with the passphrase (PBES2, AES-256, PBKDF2-SHA256) and only with it', async () => {
    const { privateKey } = await generateKeyPair('ec-p256');
    const pem = await encryptPrivateKey(privateKey, 'mật khẩu đúng', { iterations: 50_000 });
    expect(pem).to.contain('BEGIN ENCRYPTED PRIVATE KEY');
    const file = tmp.file('enc.pem', pem);
    const parsed = await openssl(['asn1parse', '-in', file]);
    expect(parsed.stdout).to.contain('PBES2').and.contain('hmacWithSHA256').and.contain('aes-256-cbc');
    const good = await openssl(['pkey', '-in', file, '-passin', 'pass:mật khẩu đúng', '-pubout']);
    expect(good.code, good.stderr).to.equal(0);
    expect((await openssl(['pkey', '-in', file, '-passin', 'pass:sai', '-pubout'])).code).to.not.equal(0);
    const back = decryptPrivateKey(pem, 'mật khẩu đúng');
    expect(Buffer.from(spkiOf(back)).equals(Buffer.from(spkiOf(privateKey)))).to.equal(true);
    await expectPkiError(() => decryptPrivateKey(pem, 'sai'), 'wrong_passphrase');
  });

  it('calls every wrong passphrase wrong, even one that decrypts to bytes with valid padding', async () => {
    const { privateKey } = await generateKeyPair('ec-p256');
    const pem = await encryptPrivateKey(privateKey, 'mật khẩu đúng', { iterations: 1_000 });
    // Find the wrong passphrases whose decryption OpenSSL does not itself call a bad decrypt
    // (about 1 in 256): those once surfaced as an unreadable key file, a server error.
    const lucky: string[] = [];
    for (let i = 0; i < 3_000; i++) {
      try {
        createPrivateKey({ key: pem, format: 'pem', passphrase: `sai-${i}` });
      } catch (error) {
        if (!/bad decrypt/i.test(String(error))) lucky.push(`sai-${i}`);
      }
    }
    expect(lucky.length).to.be.greaterThan(0);
    for (const passphrase of lucky)
      await expectPkiError(() => decryptPrivateKey(pem, passphrase), 'wrong_passphrase');
  });

  it('refuses a private key stored in clear', async () => {
    const { privateKey } = await generateKeyPair('ec-p256');
    const clear = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(await expectPkiError(() => decryptPrivateKey(clear, 'whatever'), 'invalid_input')).to.contain(
      'unencrypted',
    );
  });

  it('converts ECDSA values between DER and r‖s without changing their meaning', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ec-p256');
    const data = new TextEncoder().encode('văn bản');
    for (let i = 0; i < 20; i++) {
      const der = signWithKey(privateKey, 'ECDSA', 'SHA-256', data);
      const raw = ecdsaDerToRaw(der, 32)!;
      expect(raw).to.have.length(64);
      const again = ecdsaRawToDer(raw);
      expect(Buffer.from(again).equals(Buffer.from(der))).to.equal(true);
      expect(verifyWithKey(publicKey, 'ECDSA', 'SHA-256', data, again)).to.equal(true);
    }
  });
});
