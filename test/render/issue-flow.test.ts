/**
 * The real issuing path the lifecycle uses, end to end: the pre-signing render, the
 * leader's certification signature (DocMDP P=2) in the box the renderer planned, then the
 * clerk's update that fills the number and date and applies the organisation's seal in
 * the `con_dau` field. Judged by pdfsig (NSS db trusting the test root), pyHanko's
 * difference analysis, qpdf, pdftotext and the pixels poppler draws.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SEAL_FIELD } from '../../pki/pades/fields';
import { signPdf } from '../../pki/pades/sign';
import { renderDirective } from '../../render/directive';
import { issuanceFieldValues } from '../../render/wording';
import { makeSealPng, makeSignaturePng } from '../fixtures/pdf/make';
import { command, extractSignatures, pdfsig, pyhanko } from '../pki/pades-judges';
import { getPkiFixture, type PkiFixture } from '../support/pki-fixture';
import { countPixels, flat, pdftotext, rasterise, sampleInput, save } from './tools';

const red = (r: number, g: number, b: number) => r > 160 && g < 90 && b < 90;
const blue = (r: number, g: number, b: number) => b > 100 && r < 90 && g < 110;

describe('render → leader certifies → clerk fills number and date and seals', function () {
  this.timeout(120_000);
  let pki: PkiFixture;
  let nss: string;
  let dir: string;
  const signatureImage = makeSignaturePng();
  const sealImage = makeSealPng();

  before(async () => {
    pki = await getPkiFixture();
    nss = await pki.nssDb();
    dir = mkdtempSync(path.join(tmpdir(), 'vanthu-render-issue-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('issues a pre-signing render: pdfsig and pyHanko judge both signatures valid, the page reads right', async () => {
    const { number: _n, date: _d, ...unnumbered } = sampleInput();
    const leaderLook = { image: signatureImage, text: false as const };
    const rendered = await renderDirective(unnumbered, { mode: 'pre_signing', leaderAppearance: leaderLook });

    // B-B: pyHanko cannot parse our TSA's tokens yet (their TSTInfo is wrapped in a
    // constructed OCTET STRING, BER not DER); the second test covers B-T with pdfsig.
    const leader = await signPdf(rendered.pdf, {
      signer: pki.signers.rsa.signer,
      certify: 2,
      reason: 'Ký ban hành',
      appearance: { ...leaderLook, page: rendered.signature.page, rect: rendered.signature.rect },
    });
    const sealed = await signPdf(leader.pdf, {
      signer: pki.signers.seal.signer,
      fieldName: SEAL_FIELD,
      reason: 'Đóng dấu, phát hành',
      fill: issuanceFieldValues(12, '2026-11-22'),
      appearance: { image: sealImage, text: false },
    });
    const file = save(dir, 'issued.pdf', sealed.pdf);

    const sigs = await pdfsig(file, nss);
    expect(sigs.map((s) => s.field)).to.have.members([leader.fieldName, SEAL_FIELD]);
    for (const s of sigs) {
      expect(s.signatureValid, s.text).to.equal(true);
      expect(s.certificateTrusted, s.text).to.equal(true);
    }
    const judged = await pyhanko(file, pki.root.pemPath);
    const byField = (name: string) => judged.find((j) => j.field === name);
    expect(byField(leader.fieldName), JSON.stringify(judged)).to.include({
      bottom_line: true,
      docmdp_ok: true,
    });
    expect(byField(leader.fieldName)?.modification_level).to.equal('FORM_FILLING');
    expect(byField(SEAL_FIELD)).to.include({ bottom_line: true });
    expect((await command('qpdf', ['--check', file])).code).to.equal(0);

    // The filled number and date read as one line with the printed parts around them.
    const layout = await pdftotext(file, '-layout');
    expect(layout).to.match(/Số\s+12-CT\/TU\s{3,}Hà Nội, ngày 22 tháng 11 năm 2026/);
    expect(flat(layout)).to.contain('Nguyễn Văn Phong');

    // The leader's blue signature sits in the planned box, between title and name; the red
    // seal overlaps the left third of it and nothing else on the page is red but the
    // urgency mark in the header.
    const page = await rasterise(file, rendered.signature.page, 72);
    const image = leader.appearance!.imageRect!;
    expect(countPixels(page, rendered.signature.rect, blue)).to.be.greaterThan(100);
    expect(countPixels(page, rendered.seal.rect, red)).to.be.greaterThan(300);
    const leftThird = { ...image, width: image.width / 3 };
    const rightHalf = { ...image, x: image.x + image.width / 2, width: image.width / 2 };
    expect(countPixels(page, leftThird, red)).to.be.greaterThan(50);
    expect(countPixels(page, rightHalf, red)).to.equal(0);
    expect(countPixels(page, { x: 0, y: 0, width: 595, height: rendered.seal.rect.y - 2 }, red)).to.equal(0);
  });

  it('issues a document numbered before signing (printed render with the seal field), B-T with our TSA', async () => {
    const rendered = await renderDirective(sampleInput({ urgency: 'thuong' }), { sealField: true });
    const leader = await signPdf(rendered.pdf, {
      signer: pki.signers.ecdsa.signer,
      level: 'B-T',
      timestampAuthority: pki.tsa.local,
      certify: 2,
      appearance: {
        page: rendered.signature.page,
        rect: rendered.signature.rect,
        text: false,
        image: signatureImage,
      },
    });
    const sealed = await signPdf(leader.pdf, {
      signer: pki.signers.seal.signer,
      level: 'B-T',
      timestampAuthority: pki.tsa.local,
      fieldName: SEAL_FIELD,
      appearance: { image: sealImage, text: false },
    });
    const file = save(dir, 'numbered.pdf', sealed.pdf);
    const sigs = await pdfsig(file, nss);
    expect(sigs.map((s) => s.field)).to.have.members([leader.fieldName, SEAL_FIELD]);
    for (const s of sigs) {
      expect(s.signatureValid, s.text).to.equal(true);
      expect(s.certificateTrusted, s.text).to.equal(true);
    }
    // Both carry a signature timestamp token (TSTInfo content type inside the CMS).
    const tstInfo = Buffer.from('060b2a864886f70d0109100104', 'hex');
    for (const sig of extractSignatures(sealed.pdf))
      expect(Buffer.from(sig.cms).includes(tstInfo)).to.equal(true);
    expect(await pdftotext(file, '-layout')).to.match(/Số 12-CT\/TU\s{3,}Hà Nội, ngày 22 tháng 11 năm 2026/);
  });
});
