/**
 * CMS SignedData for PAdES, judged by OpenSSL (cms -verify, ts -verify, cmsout -print) and
 * pkijs: every accepted key/hash combination, the exact signed attributes, DER ordering,
 * the signature timestamp attribute, and refusal of malformed inputs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as asn1js from 'asn1js';
import { expect } from 'chai';
import * as pkijs from 'pkijs';
import { CMS_OID } from '../../pki/cms/algorithms';
import { messageDigestOf, readSignedData } from '../../pki/cms/reader';
import { assembleSignedData, createCmsSignature, hash, signedAttributes } from '../../pki/cms/signed-data';
import { readTimestampToken, requestTimestamp } from '../../pki/cms/timestamp';
import { isPkiError } from '../../pki/errors';
import type { ClosableSigner } from '../../pki/keys/key-object-signer';
import { openSoftwareSigner } from '../../pki/keys/software';
import type { HashAlgorithm } from '../../pki/signer';
import { getPkiFixture, type PkiFixture } from '../support/pki-fixture';
import { command, opensslTsa, opensslTsVerify } from './pades-judges';

describe('pki/cms SignedData', function () {
  this.timeout(60_000);
  let pki: PkiFixture;
  let dir: string;
  const opened: ClosableSigner[] = [];

  before(async () => {
    pki = await getPkiFixture();
    dir = mkdtempSync(path.join(tmpdir(), 'vanthu-cms-'));
  });
  after(async () => {
    for (const s of opened) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function rsaSigner(
    hashAlgorithm: HashAlgorithm,
    rsaPadding: 'pkcs1' | 'pss',
  ): Promise<ClosableSigner> {
    const s = await openSoftwareSigner({
      key: readFileSync(pki.signers.rsa.p12Path),
      passphrase: pki.signers.rsa.passphrase,
      hashAlgorithm,
      rsaPadding,
    });
    opened.push(s);
    return s;
  }

  async function opensslVerify(cms: Uint8Array, content: Uint8Array): Promise<{ code: number; out: string }> {
    const cmsFile = path.join(dir, 'sig.p7s');
    const contentFile = path.join(dir, 'content.bin');
    writeFileSync(cmsFile, cms);
    writeFileSync(contentFile, content);
    const r = await command('openssl', [
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      cmsFile,
      '-content',
      contentFile,
      '-CAfile',
      pki.root.pemPath,
      '-purpose',
      'any',
      '-out',
      path.join(dir, 'out.bin'),
    ]);
    return { code: r.code, out: r.stdout + r.stderr };
  }

  it('verifies in OpenSSL and pkijs for RSA PKCS#1 v1.5, RSA-PSS and ECDSA with SHA-256/384/512', async () => {
    const cases: Array<[string, () => Promise<ClosableSigner>]> = [];
    for (const h of ['SHA-256', 'SHA-384', 'SHA-512'] as const) {
      cases.push([`RSA ${h}`, () => rsaSigner(h, 'pkcs1')], [`RSA-PSS ${h}`, () => rsaSigner(h, 'pss')]);
    }
    cases.push(['ECDSA SHA-256', async () => pki.signers.ecdsa.signer]);
    for (const [label, make] of cases) {
      const signer = await make();
      const content = randomBytes(5000);
      const cms = await createCmsSignature({ signer, messageDigest: hash(signer.hashAlgorithm, content) });
      const openssl = await opensslVerify(cms, content);
      expect(openssl.code, `${label}: ${openssl.out}`).to.equal(0);
      expect(openssl.out).to.contain('Verification successful');
      // A changed byte of content must fail: OpenSSL really checks the digest.
      content[0] = content[0]! ^ 1;
      expect((await opensslVerify(cms, content)).code, label).to.not.equal(0);
      content[0] = content[0]! ^ 1;

      const signedData = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(cms).content });
      const ok = await signedData.verify({
        signer: 0,
        data: new Uint8Array(content).buffer,
        checkChain: false,
      });
      expect(ok, label).to.equal(true);
    }
  });

  it('carries exactly contentType, messageDigest and signing-certificate-v2, DER-sorted, and no signing-time', async () => {
    const signer = pki.signers.ecdsa.signer;
    const digest = hash('SHA-256', Buffer.from('content'));
    const attrs = signedAttributes({
      messageDigest: digest,
      hashAlgorithm: 'SHA-256',
      certificate: signer.certificate,
    });
    const set = asn1js.fromBER(attrs);
    expect(set.offset).to.equal(attrs.length);
    const elements = (set.result as asn1js.Set).valueBlock.value.map((v) => Buffer.from(v.toBER(false)));
    const sorted = [...elements].sort(Buffer.compare);
    expect(elements.map((e) => e.toString('hex'))).to.deep.equal(sorted.map((e) => e.toString('hex')));
    const types = elements.map((e) => new pkijs.Attribute({ schema: asn1js.fromBER(e).result }).type);
    expect(types).to.have.members([CMS_OID.contentType, CMS_OID.messageDigest, CMS_OID.signingCertificateV2]);
    expect(types).to.not.include(CMS_OID.signingTime);

    // ESSCertIDv2: SHA-256 of the certificate (default algorithm, so absent) and issuerSerial.
    const ess = elements
      .map((e) => new pkijs.Attribute({ schema: asn1js.fromBER(e).result }))
      .find((a) => a.type === CMS_OID.signingCertificateV2)!;
    const certs = (ess.values[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence;
    const essCertId = certs.valueBlock.value[0] as asn1js.Sequence;
    const [certHash, issuerSerial] = essCertId.valueBlock.value;
    expect(certHash).to.be.instanceOf(asn1js.OctetString);
    expect(Buffer.from((certHash as asn1js.OctetString).valueBlock.valueHexView).toString('hex')).to.equal(
      createHash('sha256').update(signer.certificate).digest('hex'),
    );
    const cert = pkijs.Certificate.fromBER(signer.certificate);
    const serial = (issuerSerial as asn1js.Sequence).valueBlock.value[1] as asn1js.Integer;
    expect(
      Buffer.from(serial.valueBlock.valueHexView).equals(
        Buffer.from(cert.serialNumber.valueBlock.valueHexView),
      ),
    ).to.equal(true);

    const printed = await command('openssl', [
      'cms',
      '-cmsout',
      '-print',
      '-inform',
      'DER',
      '-in',
      await (async () => {
        const file = path.join(dir, 'print.p7s');
        writeFileSync(file, await createCmsSignature({ signer, messageDigest: digest }));
        return file;
      })(),
    ]);
    expect(printed.stdout).to.contain('id-smime-aa-signingCertificateV2');
    expect(printed.stdout).to.not.contain('signingTime');
  });

  it('puts the TSA token over the signature value in the unsigned attributes (OpenSSL ts -verify)', async () => {
    const signer = pki.signers.rsa.signer;
    const content = randomBytes(1000);
    let stamped: Uint8Array | undefined;
    const cms = await createCmsSignature({
      signer,
      messageDigest: hash('SHA-256', content),
      timestamp: async (value) => {
        stamped = value;
        return (await requestTimestamp(pki.tsa.local, hash('SHA-256', value), 'SHA-256')).token;
      },
    });
    expect((await opensslVerify(cms, content)).code).to.equal(0);
    const signerInfo = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(cms).content })
      .signerInfos[0]!;
    expect(Buffer.from(signerInfo.signature.valueBlock.valueHexView).equals(Buffer.from(stamped!))).to.equal(
      true,
    );
    const attr = signerInfo.unsignedAttrs!.attributes.find(
      (a) => a.type === CMS_OID.signatureTimeStampToken,
    )!;
    const token = new Uint8Array(attr.values[0]!.toBER(false));
    const info = readTimestampToken(token);
    expect(Buffer.from(info.imprint).toString('hex')).to.equal(
      createHash('sha256').update(stamped!).digest('hex'),
    );
    const ok = await opensslTsVerify(dir, token, { data: stamped! }, pki.root.pemPath, pki.caBundlePath);
    expect(ok.stdout + ok.stderr, ok.stdout + ok.stderr).to.contain('Verification: OK');
  });

  it('reads CMS made by OpenSSL and tokens from both TSAs (constructed eContent included)', async () => {
    const content = randomBytes(300);
    const contentFile = path.join(dir, 'openssl-content.bin');
    const cmsFile = path.join(dir, 'openssl.p7s');
    writeFileSync(contentFile, content);
    const rsa = pki.signers.rsa;
    const made = await command('openssl', [
      'cms',
      '-sign',
      '-binary',
      '-in',
      contentFile,
      '-signer',
      rsa.certPath,
      '-inkey',
      rsa.keyPath,
      '-passin',
      `pass:${rsa.passphrase}`,
      '-certfile',
      pki.issuing.pemPath,
      '-outform',
      'DER',
      '-out',
      cmsFile,
    ]);
    expect(made.code, made.stderr).to.equal(0);
    const parsed = readSignedData(readFileSync(cmsFile));
    expect(parsed.certificates.map((c) => Buffer.from(c).toString('hex'))).to.include(
      Buffer.from(rsa.certificate).toString('hex'),
    );
    const signer = parsed.signerInfos[0]!;
    expect(
      Buffer.from(messageDigestOf(signer)!).equals(createHash('sha256').update(content).digest()),
    ).to.equal(true);
    expect(signer.signedAttributes?.[0]).to.equal(0x31);
    for (const tsa of [pki.tsa.local, await opensslTsa(pki)]) {
      const digest = createHash('sha256').update(content).digest();
      const token = await tsa.timestamp(digest, 'SHA-256');
      const info = readTimestampToken(token);
      expect(Buffer.from(info.imprint).equals(digest)).to.equal(true);
      expect(info.certificates.length).to.be.greaterThan(0);
      expect(Number.isNaN(info.genTime.getTime())).to.equal(false);
    }
  });

  it('refuses malformed certificates, attributes and tokens with PkiErrors', () => {
    const signer = pki.signers.ecdsa.signer;
    const expectCode = (fn: () => unknown, code: string): void => {
      try {
        fn();
      } catch (error) {
        expect(isPkiError(error), String(error)).to.equal(true);
        expect((error as { code: string }).code).to.equal(code);
        return;
      }
      expect.fail(`expected ${code}`);
    };
    const digest = hash('SHA-256', Buffer.from('x'));
    expectCode(
      () =>
        signedAttributes({
          messageDigest: digest,
          hashAlgorithm: 'SHA-256',
          certificate: Buffer.from('nope'),
        }),
      'invalid_input',
    );
    const input = {
      signedAttributes: signedAttributes({
        messageDigest: digest,
        hashAlgorithm: 'SHA-256',
        certificate: signer.certificate,
      }),
      signature: new Uint8Array(64),
      keyAlgorithm: 'ECDSA' as const,
      hashAlgorithm: 'SHA-256' as const,
      certificate: signer.certificate,
      chain: signer.chain,
    };
    expectCode(
      () => assembleSignedData({ ...input, signedAttributes: Buffer.from([0x30, 0]) }),
      'invalid_input',
    );
    expectCode(
      () => assembleSignedData({ ...input, timestampToken: Buffer.from([0x30, 0x10, 1]) }),
      'tsa_unavailable',
    );
    expectCode(
      () => assembleSignedData({ ...input, chain: [Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])] }),
      'invalid_input',
    );
    expectCode(() => readTimestampToken(Buffer.from('garbage')), 'tsa_unavailable');
  });
});
