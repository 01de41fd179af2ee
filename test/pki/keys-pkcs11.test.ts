import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import * as pkcs11js from 'pkcs11js';
import { parseCertificate } from '../../pki/crypto/certificate';
import { derToPem } from '../../pki/crypto/encoding';
import { openPkcs11Signer, readPkcs11PublicKey, withPkcs11Signer } from '../../pki/keys/pkcs11';
import { getPkiFixture, type PkiFixture } from '../support/pki-fixture';
import { expectPkiError, openssl, run, tempDir } from './openssl-judge';

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const TOKEN = 'vanthu-test-token';
const PIN = '123456';

/** Generates an EC P-256 key pair inside the token (the key never exists outside it). */
function generateTokenEcKey(label: string, id: Buffer): void {
  const library = new pkcs11js.PKCS11();
  library.load(MODULE);
  library.C_Initialize();
  try {
    const slot = library.C_GetSlotList(true).find((s) => library.C_GetTokenInfo(s).label.trim() === TOKEN)!;
    const session = library.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    library.C_Login(session, pkcs11js.CKU_USER, PIN);
    const p256 = Buffer.from('06082a8648ce3d030107', 'hex');
    library.C_GenerateKeyPair(
      session,
      { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
      [
        { type: pkcs11js.CKA_EC_PARAMS, value: p256 },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_VERIFY, value: true },
        { type: pkcs11js.CKA_LABEL, value: label },
        { type: pkcs11js.CKA_ID, value: id },
      ],
      [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_LABEL, value: label },
        { type: pkcs11js.CKA_ID, value: id },
      ],
    );
    library.C_Logout(session);
    library.C_CloseSession(session);
  } finally {
    library.C_Finalize();
    library.close();
  }
}

/** Stores a certificate object next to a key (same CKA_ID). */
function storeTokenCertificate(label: string, id: Buffer, der: Uint8Array): void {
  const library = new pkcs11js.PKCS11();
  library.load(MODULE);
  library.C_Initialize();
  try {
    const slot = library.C_GetSlotList(true).find((s) => library.C_GetTokenInfo(s).label.trim() === TOKEN)!;
    const session = library.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    library.C_Login(session, pkcs11js.CKU_USER, PIN);
    library.C_CreateObject(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
      { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_ID, value: id },
      {
        type: pkcs11js.CKA_SUBJECT,
        value: Buffer.from(parseCertificate(der).subject.toSchema().toBER(false)),
      },
      { type: pkcs11js.CKA_VALUE, value: Buffer.from(der) },
    ]);
    library.C_Logout(session);
    library.C_CloseSession(session);
  } finally {
    library.C_Finalize();
    library.close();
  }
}

describe('pki/keys PKCS#11 signer (SoftHSM2)', () => {
  const tmp = tempDir('softhsm');
  const previousConf = process.env.SOFTHSM2_CONF;
  let pki: PkiFixture;
  let ecCertificate: Uint8Array;
  let rsaCertificate: Uint8Array;
  const ecId = Buffer.from('01', 'hex');
  const rsaId = Buffer.from('02', 'hex');

  before(async () => {
    const conf = tmp.file(
      'softhsm2.conf',
      `directories.tokendir = ${tmp.file('tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
    );
    await run('mkdir', ['-p', tmp.file('tokens')]);
    process.env.SOFTHSM2_CONF = conf;
    const init = await run('softhsm2-util', [
      '--init-token',
      '--free',
      '--label',
      TOKEN,
      '--pin',
      PIN,
      '--so-pin',
      '12345678',
    ]);
    expect(init.code, init.stderr).to.equal(0);

    generateTokenEcKey('ec-key', ecId);
    // The RSA key is imported (as a key from an older token would be); the clear copy lives
    // only in the temp dir for the import and is deleted right after.
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const clear = tmp.file(
      'rsa-import.pem',
      rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    );
    const imported = await run('softhsm2-util', [
      '--import',
      clear,
      '--token',
      TOKEN,
      '--label',
      'rsa-key',
      '--id',
      '02',
      '--pin',
      PIN,
    ]);
    await run('rm', ['-f', clear]);
    expect(imported.code, imported.stderr).to.equal(0);

    pki = await getPkiFixture();
    const ecPublic = await readPkcs11PublicKey({
      module: MODULE,
      tokenLabel: TOKEN,
      pin: PIN,
      keyLabel: 'ec-key',
    });
    const subject = {
      commonName: 'Phạm Token Ký',
      organization: 'Thành ủy Thử nghiệm',
      organizationalUnit: 'Văn phòng',
    };
    ecCertificate = (await pki.ca.issue({ profile: 'person', subject, publicKey: ecPublic })).certificate;
    storeTokenCertificate('ec-key', ecId, ecCertificate);
    const rsaPublic = await readPkcs11PublicKey({ module: MODULE, tokenLabel: TOKEN, pin: PIN, keyId: '02' });
    rsaCertificate = (await pki.ca.issue({ profile: 'person', subject, publicKey: rsaPublic })).certificate;
  });

  after(() => {
    if (previousConf === undefined) delete process.env.SOFTHSM2_CONF;
    else process.env.SOFTHSM2_CONF = previousConf;
    tmp.cleanup();
  });

  async function opensslVerify(
    certificate: Uint8Array,
    data: Uint8Array,
    signature: Uint8Array,
    pss = false,
  ) {
    const cert = tmp.file(`cert-${Math.random()}.pem`, derToPem(certificate, 'CERTIFICATE'));
    const pub = tmp.file(`pub-${Math.random()}.pem`);
    const extracted = await openssl(['x509', '-in', cert, '-pubkey', '-noout', '-out', pub]);
    expect(extracted.code).to.equal(0);
    const sig = tmp.file(`sig-${Math.random()}.bin`, signature);
    const dataFile = tmp.file(`data-${Math.random()}.bin`, data);
    const extra = pss ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'] : [];
    return openssl(['dgst', '-sha256', ...extra, '-verify', pub, '-signature', sig, dataFile]);
  }

  it('signs with an ECDSA key generated in the token; the certificate is read from the token; OpenSSL verifies', async () => {
    const data = new TextEncoder().encode('chỉ thị số 12-CT/TU');
    await withPkcs11Signer(
      { module: MODULE, tokenLabel: TOKEN, pin: PIN, keyLabel: 'ec-key' },
      async (signer) => {
        expect(signer.keyAlgorithm).to.equal('ECDSA');
        expect(Buffer.from(signer.certificate).equals(Buffer.from(ecCertificate))).to.equal(true);
        const verdict = await opensslVerify(signer.certificate, data, await signer.sign(data));
        expect(verdict.stdout).to.contain('Verified OK');
      },
    );
  });

  it('signs with an imported RSA key, PKCS#1 v1.5 and PSS; OpenSSL verifies both', async () => {
    const data = new TextEncoder().encode('báo cáo tháng');
    for (const rsaPadding of ['pkcs1', 'pss'] as const) {
      const signer = await openPkcs11Signer({
        module: MODULE,
        slot: 0,
        pin: PIN,
        keyId: rsaId,
        certificate: rsaCertificate,
        rsaPadding,
      });
      try {
        expect(signer.keyAlgorithm).to.equal(rsaPadding === 'pss' ? 'RSA-PSS' : 'RSA');
        const verdict = await opensslVerify(
          rsaCertificate,
          data,
          await signer.sign(data),
          rsaPadding === 'pss',
        );
        expect(verdict.stdout).to.contain('Verified OK');
      } finally {
        await signer.close();
      }
    }
  });

  it('refuses a wrong PIN with wrong_passphrase', async () => {
    await expectPkiError(
      openPkcs11Signer({ module: MODULE, tokenLabel: TOKEN, pin: '000000', keyLabel: 'ec-key' }),
      'wrong_passphrase',
    );
  });

  it('reports a missing module, token or key as key_unavailable with a clear message', async () => {
    const noModule = await expectPkiError(
      openPkcs11Signer({ module: tmp.file('nope.so'), tokenLabel: TOKEN, pin: PIN, keyLabel: 'ec-key' }),
      'key_unavailable',
    );
    expect(noModule).to.match(/module .*nope\.so cannot be loaded/);
    const noToken = await expectPkiError(
      openPkcs11Signer({ module: MODULE, tokenLabel: 'absent-token', pin: PIN, keyLabel: 'ec-key' }),
      'key_unavailable',
    );
    expect(noToken).to.contain('absent-token');
    const noKey = await expectPkiError(
      openPkcs11Signer({ module: MODULE, tokenLabel: TOKEN, pin: PIN, keyLabel: 'missing-key' }),
      'key_unavailable',
    );
    expect(noKey).to.contain('missing-key');
  });

  it('refuses a certificate that belongs to another key', async () => {
    await expectPkiError(
      openPkcs11Signer({
        module: MODULE,
        tokenLabel: TOKEN,
        pin: PIN,
        keyLabel: 'ec-key',
        certificate: pki.signers.ecdsa.certificate,
      }),
      'invalid_input',
    );
  });

  it('refuses an expired certificate and locks the key after close()', async () => {
    const signer = await openPkcs11Signer({
      module: MODULE,
      tokenLabel: TOKEN,
      pin: PIN,
      keyLabel: 'ec-key',
    });
    await signer.close();
    await expectPkiError(signer.sign(new Uint8Array([1])), 'key_unavailable');
    await expectPkiError(
      openPkcs11Signer({
        module: MODULE,
        tokenLabel: TOKEN,
        pin: PIN,
        keyLabel: 'ec-key',
        at: new Date(Date.now() + 20 * 365 * 86_400_000),
      }),
      'certificate_expired',
    );
  });
});
