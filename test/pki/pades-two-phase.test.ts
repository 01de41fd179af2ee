/**
 * External two-phase signing: prepare hands out what to sign, an outside signer (OpenSSL
 * pkeyutl standing in for a USB token or a remote service) signs it, complete embeds it.
 * The results are judged by pdfsig, OpenSSL and pyHanko; wrong values are refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ecdsaDerToRaw } from '../../pki/crypto/signing';
import { isPkiError, type PkiErrorCode } from '../../pki/errors';
import {
  completePdfSignature,
  type PreparedPdfSignature,
  preparePdfSignature,
} from '../../pki/pades/two-phase';
import { makeDocumentPdf } from '../fixtures/pdf/make';
import { getPkiFixture, type PkiFixture } from '../support/pki-fixture';
import { command, extractSignatures, opensslCmsVerify, opensslTsa, pdfsig, pyhanko } from './pades-judges';

async function expectPkiError(promise: Promise<unknown>, code: PkiErrorCode): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(isPkiError(error), String(error)).to.equal(true);
    expect((error as { code: string }).code, (error as Error).message).to.equal(code);
    return;
  }
  expect.fail(`expected PkiError ${code}`);
}

describe('pki/pades two-phase (external) signing', function () {
  this.timeout(120_000);
  let pki: PkiFixture;
  let dir: string;
  let nss: string;
  let document: Uint8Array;

  before(async () => {
    pki = await getPkiFixture();
    nss = await pki.nssDb();
    dir = mkdtempSync(path.join(tmpdir(), 'vanthu-two-phase-'));
    document = await makeDocumentPdf();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Signs bytes as a token would: `openssl pkeyutl -sign` over a digest or DigestInfo, no hashing. */
  async function tokenSign(keyPath: string, passphrase: string, input: Uint8Array): Promise<Uint8Array> {
    const inFile = path.join(dir, `in-${Math.random().toString(36).slice(2)}`);
    const outFile = `${inFile}.sig`;
    writeFileSync(inFile, input);
    const r = await command('openssl', [
      'pkeyutl',
      '-sign',
      '-inkey',
      keyPath,
      '-passin',
      `pass:${passphrase}`,
      '-in',
      inFile,
      '-out',
      outFile,
    ]);
    if (r.code !== 0) throw new Error(`openssl pkeyutl failed: ${r.stderr}`);
    return new Uint8Array(readFileSync(outFile));
  }

  async function judge(name: string, pdf: Uint8Array): Promise<void> {
    const file = path.join(dir, name);
    writeFileSync(file, pdf);
    for (const s of await pdfsig(file, nss)) {
      expect(s.signatureValid && s.certificateTrusted, `${name}: ${s.text}`).to.equal(true);
    }
    for (const sig of extractSignatures(pdf).filter((s) => s.type === 'Sig')) {
      const r = await opensslCmsVerify(dir, sig, pki.root.pemPath);
      expect(r.code, `${name}: ${r.stderr}`).to.equal(0);
    }
    for (const s of await pyhanko(file, pki.root.pemPath))
      expect(s.bottom_line, `${name} ${s.field}`).to.equal(true);
  }

  it('RSA token signing a DigestInfo (raw RSA), the prepared state surviving a JSON round trip', async () => {
    const rsa = pki.signers.rsa;
    const { prepared, digestInfo, keyAlgorithm, hashAlgorithm } = preparePdfSignature(document, {
      certificate: rsa.certificate,
      chain: rsa.signer.chain,
      reason: 'Ký bằng USB token',
    });
    expect(keyAlgorithm).to.equal('RSA');
    expect(hashAlgorithm).to.equal('SHA-256');
    const stored = JSON.parse(JSON.stringify(prepared)) as PreparedPdfSignature;
    const value = await tokenSign(rsa.keyPath, rsa.passphrase, digestInfo!);
    const { pdf, level } = await completePdfSignature(stored, value, rsa.certificate);
    expect(level).to.equal('B-B');
    await judge('two-phase-rsa.pdf', pdf);
  });

  it('ECDSA remote service signing the digest, returning raw r‖s as WebCrypto does, completed at B-T', async () => {
    const ec = pki.signers.ecdsa;
    const tsa = await opensslTsa(pki);
    const { prepared, digest, toBeSigned } = preparePdfSignature(document, {
      certificate: ec.certificate,
      chain: ec.signer.chain,
      level: 'B-T',
    });
    // A service that hashes itself would sign toBeSigned; this one signs the digest.
    expect(toBeSigned[0]).to.equal(0x31);
    const der = await tokenSign(ec.keyPath, ec.passphrase, digest);
    const raw = ecdsaDerToRaw(der, 32)!;
    const { pdf, level } = await completePdfSignature(prepared, raw, undefined, undefined, {
      timestampAuthority: tsa,
    });
    expect(level).to.equal('B-T');
    await judge('two-phase-ecdsa-bt.pdf', pdf);
    const [judged] = await pyhanko(path.join(dir, 'two-phase-ecdsa-bt.pdf'), pki.root.pemPath);
    expect(judged?.timestamp_ok).to.equal(true);
  });

  it('completes to B-LTA with the in-process Signer as the "device"', async () => {
    const seal = pki.signers.seal;
    const tsa = await opensslTsa(pki);
    const { prepared, toBeSigned } = preparePdfSignature(document, {
      certificate: seal.certificate,
      chain: seal.signer.chain,
      level: 'B-LTA',
    });
    const value = await seal.signer.sign(toBeSigned);
    const { pdf } = await completePdfSignature(prepared, value, seal.certificate, seal.signer.chain, {
      timestampAuthority: tsa,
      revocationSource: pki.revocation.http,
    });
    const file = path.join(dir, 'two-phase-lta.pdf');
    writeFileSync(file, pdf);
    const judged = await pyhanko(file, pki.root.pemPath, 'ltv');
    expect(judged[0]).to.include({
      bottom_line: true,
      ltv_trusted: true,
      ades_lta_bottom_line: true,
      archive_timestamp: true,
    });
  });

  it('refuses a wrong value, another certificate or an altered prepared state, and produces nothing', async () => {
    const rsa = pki.signers.rsa;
    const { prepared, toBeSigned } = preparePdfSignature(document, {
      certificate: rsa.certificate,
      chain: rsa.signer.chain,
    });
    const good = await rsa.signer.sign(toBeSigned);
    const flipped = Uint8Array.from(good);
    flipped[10] = flipped[10]! ^ 1;
    await expectPkiError(completePdfSignature(prepared, flipped), 'invalid_input');
    const otherData = await rsa.signer.sign(Buffer.from('something else'));
    await expectPkiError(completePdfSignature(prepared, otherData), 'invalid_input');
    await expectPkiError(
      completePdfSignature(prepared, good, pki.signers.ecdsa.certificate),
      'invalid_input',
    );
    const pdf = Buffer.from(prepared.pdf, 'base64');
    pdf[100] = pdf[100]! ^ 1;
    await expectPkiError(
      completePdfSignature({ ...prepared, pdf: pdf.toString('base64') }, good),
      'invalid_input',
    );
    await expectPkiError(
      completePdfSignature({ ...prepared, byteRange: [0, 1, 2, 3] }, good),
      'invalid_input',
    );
    // B-T asked at prepare time needs a TSA at completion: a usage error, not a silent B-B.
    const bt = preparePdfSignature(document, { certificate: rsa.certificate, level: 'B-T' });
    await expectPkiError(
      completePdfSignature(bt.prepared, await rsa.signer.sign(bt.toBeSigned)),
      'invalid_input',
    );
    // The untouched state still completes.
    const { pdf: signed } = await completePdfSignature(prepared, good);
    await judge('two-phase-after-refusals.pdf', signed);
  });

  it('refuses an expired certificate at prepare time', async () => {
    const expired = await pki.issueSigner({
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
      at: new Date(Date.now() - 5 * 86_400_000),
    });
    expect(() => preparePdfSignature(document, { certificate: expired.certificate }))
      .to.throw()
      .with.property('code', 'certificate_expired');
  });
});
