import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { CertificateAuthority } from '../../pki/ca/authority';
import { FileCaStore } from '../../pki/ca/file-store';
import { parseCertificate, serialHexOf } from '../../pki/crypto/certificate';
import { derToPem } from '../../pki/crypto/encoding';
import { readPkcs12 } from '../../pki/keys/pkcs12';
import { expectPkiError, openssl, tempDir } from './openssl-judge';

const PASSPHRASE = 'ca test passphrase';
const ORG = 'Thành ủy Hà Nội';

describe('pki/ca certificate authority (default RSA-3072 CAs)', () => {
  const tmp = tempDir('ca');
  let ca: CertificateAuthority;
  let store: FileCaStore;
  const pem: Record<string, string> = {};

  before(async () => {
    store = new FileCaStore(path.join(tmp.dir, 'store'));
    ca = await CertificateAuthority.init(store, {
      passphrase: PASSPHRASE,
      baseUrl: 'http://localhost:3000/',
      organization: ORG,
      kdfIterations: 2_000,
    });
    pem.root = tmp.file('root.pem', derToPem(ca.certificate(ca.rootName), 'CERTIFICATE'));
    pem.issuing = tmp.file('issuing.pem', derToPem(ca.certificate(ca.issuingName), 'CERTIFICATE'));
  });

  after(async () => {
    await ca.close();
    tmp.cleanup();
  });

  it('creates an RSA-3072 root and issuing CA that OpenSSL accepts, with the CA extensions', async () => {
    const verdict = await openssl(['verify', '-CAfile', pem.root!, pem.issuing!]);
    expect(verdict.stdout).to.contain(': OK');
    const root = await openssl(['x509', '-in', pem.root!, '-noout', '-text']);
    expect(root.stdout).to.contain('Public-Key: (3072 bit)').and.contain('sha256WithRSAEncryption');
    expect(root.stdout).to.match(/Basic Constraints: critical\s+CA:TRUE/);
    expect(root.stdout).to.match(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    const issuing = await openssl(['x509', '-in', pem.issuing!, '-noout', '-text']);
    expect(issuing.stdout).to.match(/CA:TRUE, pathlen:0/);
    expect(issuing.stdout).to.contain('URI:http://localhost:3000/pki/crl/root-ca.crl');
    expect(issuing.stdout).to.contain('CA Issuers - URI:http://localhost:3000/pki/certs/root-ca.crt');
  });

  it('issues person, seal, OCSP and TSA certificates that chain in OpenSSL and carry the claimed extensions', async () => {
    const person = await ca.issue({
      profile: 'person',
      subject: {
        commonName: 'Nguyễn Thị Bích Ngọc',
        organization: ORG,
        organizationalUnit: 'Văn phòng Thành ủy',
        email: 'ngoc@example.vn',
        uid: 'CCCD:001234567890',
      },
      keyType: 'rsa-2048',
      keyPassphrase: 'person passphrase',
    });
    const seal = await ca.issue({
      profile: 'seal',
      subject: { commonName: ORG, organization: ORG },
      keyType: 'ec-p256',
      keyPassphrase: 'seal passphrase',
    });
    const ocsp = await ca.issue({
      profile: 'ocsp',
      subject: { commonName: 'OCSP', organization: ORG },
      keyPassphrase: 'ocsp passphrase',
    });
    const tsa = await ca.issue({
      profile: 'tsa',
      subject: { commonName: 'TSA', organization: ORG },
      keyType: 'rsa-3072',
      keyPassphrase: 'tsa passphrase',
    });

    for (const issued of [person, seal, ocsp, tsa]) {
      const file = tmp.file(`${issued.profile}.pem`, issued.certificatePem);
      const verdict = await openssl(['verify', '-CAfile', pem.root!, '-untrusted', pem.issuing!, file]);
      expect(verdict.stdout, verdict.stderr).to.contain(': OK');
      const text = (
        await openssl(['x509', '-in', file, '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus'])
      ).stdout;
      expect(text).to.contain('URI:http://localhost:3000/pki/crl/issuing-ca.crl');
      expect(text).to.contain('OCSP - URI:http://localhost:3000/pki/ocsp');
      expect(text).to.contain('CA Issuers - URI:http://localhost:3000/pki/certs/issuing-ca.crt');
      expect(text).to.contain('X509v3 Subject Key Identifier').and.contain('X509v3 Authority Key Identifier');
      expect(text).to.match(/Basic Constraints: critical\s+CA:FALSE/);
      // ≥ 64 random bits: we use 128 (16 bytes).
      expect(serialHexOf(parseCertificate(issued.certificate)).length).to.be.at.least(31);
      if (issued.profile === 'person' || issued.profile === 'seal') {
        expect(text).to.match(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
        expect(text).to.not.contain('Extended Key Usage');
      }
      if (issued.profile === 'person') {
        expect(text).to.contain(
          'Subject: C=VN,O=Thành ủy Hà Nội,OU=Văn phòng Thành ủy,CN=Nguyễn Thị Bích Ngọc,UID=CCCD:001234567890,emailAddress=ngoc@example.vn',
        );
        expect(text).to.contain('email:ngoc@example.vn');
        expect(text).to.contain('Public-Key: (2048 bit)');
      }
      if (issued.profile === 'ocsp') {
        expect(text).to.match(/Extended Key Usage:\s+OCSP Signing/);
        expect(text).to.contain('OCSP No Check');
        const purpose = await openssl([
          'verify',
          '-CAfile',
          pem.root!,
          '-untrusted',
          pem.issuing!,
          '-purpose',
          'ocsphelper',
          file,
        ]);
        expect(purpose.stdout).to.contain(': OK');
      }
      if (issued.profile === 'tsa') {
        expect(text).to.match(/Extended Key Usage: critical\s+Time Stamping\n/);
        const purpose = await openssl([
          'verify',
          '-CAfile',
          pem.root!,
          '-untrusted',
          pem.issuing!,
          '-purpose',
          'timestampsign',
          file,
        ]);
        expect(purpose.stdout).to.contain(': OK');
      }
    }
  });

  it('returns a generated key only encrypted: PKCS#8 and a PKCS#12 that OpenSSL opens with the passphrase only', async () => {
    const issued = await ca.issue({
      profile: 'person',
      subject: { commonName: 'Lê Văn Khóa', organization: ORG, organizationalUnit: 'Ban Tuyên giáo' },
      keyType: 'ec-p256',
      keyPassphrase: 'p12 passphrase',
    });
    expect(issued.encryptedKeyPem).to.contain('BEGIN ENCRYPTED PRIVATE KEY');
    const p12 = tmp.file('person.p12', issued.pkcs12!);
    const info = await openssl(['pkcs12', '-in', p12, '-info', '-noout', '-passin', 'pass:p12 passphrase']);
    expect(info.code, info.stderr).to.equal(0);
    expect(info.stderr).to.contain('Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC');
    expect(info.stderr).to.contain('MAC: sha256');
    const certs = await openssl(['pkcs12', '-in', p12, '-nokeys', '-passin', 'pass:p12 passphrase']);
    expect(certs.stdout.match(/BEGIN CERTIFICATE/g)).to.have.length(3);
    const wrong = await openssl(['pkcs12', '-in', p12, '-info', '-noout', '-passin', 'pass:wrong']);
    expect(wrong.code).to.not.equal(0);
    expect(wrong.stderr).to.match(/mac verify (error|failure)/i);
    const read = readPkcs12(issued.pkcs12!, 'p12 passphrase');
    expect(read.chain).to.have.length(2);
    await expectPkiError(() => readPkcs12(issued.pkcs12!, 'wrong'), 'wrong_passphrase');
  });

  it('stores CA and service keys encrypted only, and refuses a wrong passphrase on open', async () => {
    const keyFiles = [
      ...readdirSync(path.join(store.directory, 'authorities')).map((f) =>
        path.join(store.directory, 'authorities', f),
      ),
      ...readdirSync(path.join(store.directory, 'credentials')).map((f) =>
        path.join(store.directory, 'credentials', f),
      ),
    ].filter((f) => f.endsWith('.key.pem'));
    expect(keyFiles).to.have.length(5); // root, issuing, 2 OCSP responders, TSA
    for (const file of keyFiles) {
      const text = readFileSync(file, 'utf8');
      expect(text).to.contain('BEGIN ENCRYPTED PRIVATE KEY');
      expect(text).to.not.match(/BEGIN (RSA |EC )?PRIVATE KEY/);
    }
    await expectPkiError(CertificateAuthority.open(store, 'not the passphrase'), 'wrong_passphrase');
  });

  it('never overwrites an existing CA', async () => {
    await expectPkiError(
      CertificateAuthority.init(store, { passphrase: PASSPHRASE, baseUrl: 'http://x.example' }),
      'conflict',
    );
  });

  it('refuses bad requests with clear invalid_input errors', async () => {
    const fresh = new FileCaStore(path.join(tmp.dir, 'other'));
    await expectPkiError(
      CertificateAuthority.init(fresh, { passphrase: 'short', baseUrl: 'http://x.example' }),
      'invalid_input',
    );
    await expectPkiError(
      CertificateAuthority.init(fresh, { passphrase: PASSPHRASE, baseUrl: 'ftp://x.example' }),
      'invalid_input',
    );
    await expectPkiError(
      CertificateAuthority.init(fresh, {
        passphrase: PASSPHRASE,
        baseUrl: 'http://x.example',
        rootName: 'Bad Name',
      }),
      'invalid_input',
    );
    const person = { commonName: 'Ai Đó', organization: ORG, organizationalUnit: 'VP' };
    expect(
      await expectPkiError(
        ca.issue({
          profile: 'person',
          subject: { commonName: 'Ai Đó', organization: ORG },
          keyPassphrase: 'long enough',
        }),
        'invalid_input',
      ),
    ).to.contain('organisational unit');
    expect(
      await expectPkiError(ca.issue({ profile: 'person', subject: person }), 'invalid_input'),
    ).to.contain('passphrase');
    await expectPkiError(
      ca.issue({
        profile: 'person',
        subject: { ...person, country: 'Vietnam' },
        keyPassphrase: 'long enough',
      }),
      'invalid_input',
    );
    await expectPkiError(
      ca.issue({
        profile: 'person',
        subject: { ...person, email: 'không hợp lệ' },
        keyPassphrase: 'long enough',
      }),
      'invalid_input',
    );
    await expectPkiError(
      ca.issue({ profile: 'person', subject: person, keyPassphrase: 'long enough', issuer: ca.rootName }),
      'invalid_input',
    );
    await expectPkiError(
      ca.issue({ profile: 'person', subject: person, publicKey: 'not a key' }),
      'invalid_input',
    );
    // A weak public key is refused before anything is signed.
    const weak = await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']);
    const weakPublic = await openssl(['pkey', '-pubout'], weak.stdout);
    await expectPkiError(
      ca.issue({ profile: 'person', subject: person, publicKey: weakPublic.stdout }),
      'weak_algorithm',
    );
    await expectPkiError(ca.revoke('zz-not-hex'), 'invalid_input');
    await expectPkiError(ca.revoke('abcdef'), 'not_found');
  });

  it('certifies a public key it did not generate, and never outlives the issuing CA', async () => {
    const key = await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    const pub = await openssl(['pkey', '-pubout'], key.stdout);
    const issued = await ca.issue({
      profile: 'seal',
      subject: { commonName: ORG, organization: ORG },
      publicKey: pub.stdout,
      validityDays: 3650,
    });
    expect(issued.encryptedKeyPem).to.equal(undefined);
    const cert = parseCertificate(issued.certificate);
    const issuer = parseCertificate(ca.certificate(ca.issuingName));
    expect(cert.notAfter.value.getTime()).to.be.at.most(issuer.notAfter.value.getTime());
  });
});
