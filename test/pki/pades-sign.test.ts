/**
 * PAdES signing judged from outside: pdfsig (NSS db trusting the test root), OpenSSL
 * (cms -verify, ts -verify) and pyHanko (status, difference analysis, LTV from the DSS).
 * Covers B-B with every key kind, the three cross-reference styles, the issuing flow
 * (leader's certification → number/date fill-in with the seal → archive timestamp),
 * B-LT/B-LTA, fail-closed providers, bad input and determinism.
 */

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import * as pkijs from 'pkijs';
import { CMS_OID } from '../../pki/cms/algorithms';
import { isPkiError, type PkiErrorCode } from '../../pki/errors';
import { openSoftwareSigner } from '../../pki/keys/software';
import { type SignatureAppearance, sealFieldRect } from '../../pki/pades/appearance';
import { addDocumentTimestamp } from '../../pki/pades/document-timestamp';
import { addIssuanceFields, SEAL_FIELD } from '../../pki/pades/fields';
import { signPdf } from '../../pki/pades/sign';
import { PdfDict, PdfString } from '../../pki/pdf/objects';
import { PdfReader } from '../../pki/pdf/reader';
import type { RevocationSource, TimestampAuthority } from '../../pki/providers';
import { HttpTimestampAuthority } from '../../pki/tsa/client';
import {
  makeDocumentPdf,
  makeHybridPdf,
  makeIndirectFormPdf,
  makeSealPng,
  makeSignaturePng,
} from '../fixtures/pdf/make';
import { getPkiFixture, type PkiFixture } from '../support/pki-fixture';
import {
  command,
  extractSignatures,
  opensslCmsVerify,
  opensslTsa,
  opensslTsVerify,
  pdfsig,
  pyhanko,
} from './pades-judges';

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

/** Unsigned attributes' timestamp token of a CMS signature, and the signature value it covers. */
function signatureTimestamp(cms: Uint8Array): { token: Uint8Array; signatureValue: Uint8Array } | undefined {
  const signedData = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(cms).content });
  const signer = signedData.signerInfos[0]!;
  const attr = signer.unsignedAttrs?.attributes.find((a) => a.type === CMS_OID.signatureTimeStampToken);
  if (!attr) return undefined;
  return {
    token: new Uint8Array(attr.values[0]!.toBER(false)),
    signatureValue: new Uint8Array(signer.signature.getValue()),
  };
}

/** Width, height and RGB bytes of page 1 rendered by pdftoppm at 72 dpi (1 px = 1 pt). */
async function renderPage(file: string): Promise<{ width: number; height: number; rgb: Buffer }> {
  const out = `${file}-render`;
  const r = await command('pdftoppm', ['-r', '72', '-f', '1', '-l', '1', '-singlefile', file, out]);
  if (r.code !== 0) throw new Error(`pdftoppm failed: ${r.stderr}`);
  const ppm = readFileSync(`${out}.ppm`);
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 50).toString('latin1'))!;
  return { width: Number(header[1]), height: Number(header[2]), rgb: ppm.subarray(header[0].length) };
}

/** Counts pixels in a PDF-space rectangle matching a colour test. */
function countPixels(
  page: { width: number; height: number; rgb: Buffer },
  rect: { x: number; y: number; width: number; height: number },
  test: (r: number, g: number, b: number) => boolean,
): number {
  let n = 0;
  for (let y = Math.floor(page.height - rect.y - rect.height); y < page.height - rect.y; y++) {
    for (let x = Math.floor(rect.x); x < rect.x + rect.width; x++) {
      const at = (y * page.width + x) * 3;
      if (test(page.rgb[at]!, page.rgb[at + 1]!, page.rgb[at + 2]!)) n++;
    }
  }
  return n;
}

describe('pki/pades signing, judged by pdfsig, OpenSSL and pyHanko', function () {
  this.timeout(180_000);
  let pki: PkiFixture;
  let nss: string;
  let dir: string;
  let tsa: TimestampAuthority & { certPath: string };
  let document: Uint8Array;
  const clock = () => new Date();

  const save = (name: string, bytes: Uint8Array): string => {
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    return file;
  };

  before(async () => {
    pki = await getPkiFixture();
    nss = await pki.nssDb();
    dir = mkdtempSync(path.join(tmpdir(), 'vanthu-pades-'));
    tsa = await opensslTsa(pki);
    document = await makeDocumentPdf({ pages: 2 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('signs at B-B with RSA PKCS#1 v1.5, RSA-PSS and ECDSA, each valid for all three judges', async () => {
    const pss = await openSoftwareSigner({
      key: readFileSync(pki.signers.rsa.p12Path),
      passphrase: pki.signers.rsa.passphrase,
      rsaPadding: 'pss',
      hashAlgorithm: 'SHA-384',
    });
    try {
      const cases = [
        ['rsa', pki.signers.rsa.signer],
        ['rsa-pss-sha384', pss],
        ['ecdsa', pki.signers.ecdsa.signer],
      ] as const;
      for (const [label, signer] of cases) {
        const { pdf, level, fieldName } = await signPdf(document, {
          signer,
          reason: 'Phê duyệt nội dung',
          location: 'Hà Nội',
          contactInfo: 'vanthu@example.vn',
          signerName: 'Trần Thị Ký',
        });
        expect(level).to.equal('B-B');
        expect(Buffer.from(pdf.subarray(0, document.length)).equals(Buffer.from(document)), label).to.equal(
          true,
        );
        const file = save(`bb-${label}.pdf`, pdf);

        const [sig] = await pdfsig(file, nss);
        expect(sig?.field, label).to.equal(fieldName);
        expect(sig?.signatureValid, `${label}: ${sig?.text}`).to.equal(true);
        expect(sig?.certificateTrusted, `${label}: ${sig?.text}`).to.equal(true);
        expect(sig?.subFilter, label).to.equal('ETSI.CAdES.detached');

        const [extracted] = extractSignatures(pdf);
        const verified = await opensslCmsVerify(dir, extracted!, pki.root.pemPath);
        expect(verified.code, `${label}: ${verified.stderr}`).to.equal(0);
        expect(verified.stderr).to.contain('Verification successful');

        const [judged] = await pyhanko(file, pki.root.pemPath);
        expect(judged, label).to.include({ intact: true, valid: true, trusted: true, bottom_line: true });
        expect(judged?.coverage, label).to.equal('ENTIRE_FILE');

        // PAdES baseline: /M in the dictionary, no signing-time attribute, ESS v2 present.
        const v = PdfReader.open(pdf);
        const sigDict = v.dict(
          v.dict(v.array(v.dict(v.catalog().get('AcroForm'))!.get('Fields'))![0])!.get('V'),
        )!;
        expect((sigDict.get('M') as PdfString).toText()).to.match(/^D:\d{14}\+07'00'$/);
        const attrs = new pkijs.SignedData({
          schema: pkijs.ContentInfo.fromBER(extracted!.cms).content,
        }).signerInfos[0]!.signedAttrs!.attributes.map((a) => a.type);
        expect(attrs).to.have.members([
          CMS_OID.contentType,
          CMS_OID.messageDigest,
          CMS_OID.signingCertificateV2,
        ]);
      }
    } finally {
      await pss.close();
    }
  });

  it('signs files with a classic table, an xref stream with object streams, and a hybrid reference, three times each', async () => {
    const inputs: Array<[string, Uint8Array]> = [
      ['classic', document],
      ['object-streams', await makeDocumentPdf({ objectStreams: true })],
      ['hybrid', makeHybridPdf()],
      ['indirect /Annots and /Fields, direct /AcroForm', makeIndirectFormPdf()],
    ];
    for (const [label, input] of inputs) {
      const first = await signPdf(input, { signer: pki.signers.ecdsa.signer });
      const second = await signPdf(first.pdf, { signer: pki.signers.seal.signer });
      // Three different certificates: pdfsig (NSS) misreports a certificate seen twice in one file.
      const third = await signPdf(second.pdf, { signer: pki.signers.rsa.signer });
      const file = save(`xref-${label.replace(/\W+/g, '-')}.pdf`, third.pdf);
      const sigs = await pdfsig(file, nss);
      expect(
        sigs.map((s) => [s.signatureValid, s.certificateTrusted]),
        label,
      ).to.deep.equal([
        [true, true],
        [true, true],
        [true, true],
      ]);
      for (const sig of extractSignatures(third.pdf)) {
        const verified = await opensslCmsVerify(dir, sig, pki.root.pemPath);
        expect(verified.code, `${label} ${sig.fieldName}: ${verified.stderr}`).to.equal(0);
      }
      // pyHanko refuses hybrid files unless told otherwise (a policy, not a defect of the file).
      const judged = await pyhanko(file, pki.root.pemPath, label === 'hybrid' ? 'lenient' : 'strict');
      expect(
        judged.map((s) => s.bottom_line),
        label,
      ).to.deep.equal([true, true, true]);
      expect(judged[0]?.modification_level, label).to.equal('FORM_FILLING');
      // Existing annotations stay; each signature adds its widget.
      const reader = PdfReader.open(third.pdf);
      const annots = reader.array(reader.dict(reader.pageRef(0))!.get('Annots')) ?? [];
      const subtypes = annots.map((a) => reader.dict(a)!.name('Subtype'));
      expect(subtypes.filter((t) => t === 'Widget').length, label).to.equal(3);
      if (label.startsWith('indirect')) expect(subtypes, label).to.include('Link');
    }
  });

  it('issues a directive: leader certifies (P=2), clerk fills number and date with the seal, then an archive timestamp', async () => {
    const leaderLook: SignatureAppearance & {
      rect: { x: number; y: number; width: number; height: number };
    } = {
      page: 0,
      rect: { x: 340, y: 120, width: 200, height: 120 },
      image: makeSignaturePng(),
    };
    const sealRect = sealFieldRect(leaderLook);
    const prepared = addIssuanceFields(document, {
      number: { page: 0, rect: { x: 60, y: 760, width: 170, height: 20 } },
      date: { page: 0, rect: { x: 320, y: 760, width: 240, height: 20 }, align: 'right' },
      seal: { page: 0, rect: sealRect },
    });
    const leader = await signPdf(prepared, {
      signer: pki.signers.rsa.signer,
      level: 'B-T',
      timestampAuthority: tsa,
      certify: 2,
      reason: 'Ký ban hành',
      appearance: leaderLook,
      clock,
    });
    expect(leader.level).to.equal('B-T');
    const sealed = await signPdf(leader.pdf, {
      signer: pki.signers.seal.signer,
      level: 'B-T',
      timestampAuthority: tsa,
      fieldName: SEAL_FIELD,
      reason: 'Đóng dấu, phát hành',
      fill: { so_ky_hieu: 'Số 12-CT/TU', ngay_ban_hanh: 'Hà Nội, ngày 05 tháng 3 năm 2026' },
      appearance: { image: makeSealPng(), text: false },
    });
    const archived = await addDocumentTimestamp(sealed.pdf, { timestampAuthority: tsa });
    const file = save('issued.pdf', archived);

    // pdfsig: both signatures valid and trusted; poppler 22 lists the document timestamp
    // but cannot verify ETSI.RFC3161 (it reports its type as unknown).
    // (Listed in /Fields order: the seal's field was created before the leader signed.)
    const sigs = await pdfsig(file, nss);
    expect(sigs.map((s) => s.field)).to.have.members(['Signature', SEAL_FIELD, 'DocumentTimestamp']);
    for (const s of sigs.filter((x) => x.field !== 'DocumentTimestamp')) {
      expect(s.signatureValid, s.text).to.equal(true);
      expect(s.certificateTrusted, s.text).to.equal(true);
    }

    // OpenSSL: each CMS verifies over its byte range; each signature timestamp covers the
    // signature value; the document timestamp covers its byte range.
    const extracted = extractSignatures(archived);
    expect(extracted.map((s) => s.type)).to.have.members(['Sig', 'Sig', 'DocTimeStamp']);
    for (const sig of extracted.filter((s) => s.type === 'Sig')) {
      const verified = await opensslCmsVerify(dir, sig, pki.root.pemPath);
      expect(verified.code, `${sig.fieldName}: ${verified.stderr}`).to.equal(0);
      const ts = signatureTimestamp(sig.cms)!;
      const digestHex = createHash('sha256').update(ts.signatureValue).digest('hex');
      const tsOk = await opensslTsVerify(dir, ts.token, { digestHex }, pki.root.pemPath, pki.caBundlePath);
      expect(tsOk.stdout + tsOk.stderr, sig.fieldName).to.contain('Verification: OK');
    }
    const docTs = extracted.find((s) => s.type === 'DocTimeStamp')!;
    const docOk = await opensslTsVerify(
      dir,
      docTs.cms,
      { data: docTs.signedBytes },
      pki.root.pemPath,
      pki.caBundlePath,
    );
    expect(docOk.stdout + docOk.stderr).to.contain('Verification: OK');

    // pyHanko: the fill-in and the seal are permitted changes under the leader's DocMDP P=2.
    const judged = await pyhanko(file, pki.root.pemPath);
    const byField = (name: string) => judged.find((j) => j.field === name);
    expect(byField('Signature')).to.include({ bottom_line: true, docmdp_ok: true, timestamp_ok: true });
    expect(byField('Signature')?.modification_level).to.equal('FORM_FILLING');
    expect(byField(SEAL_FIELD)).to.include({ bottom_line: true, timestamp_ok: true });
    expect(byField('DocumentTimestamp')).to.include({ type: '/DocTimeStamp', bottom_line: true });
    expect(byField('DocumentTimestamp')?.coverage).to.equal('ENTIRE_FILE');

    // The page shows the number and date, the signer's name in Vietnamese, the blue signature
    // and the red seal over the left third of it.
    const text = await command('pdftotext', ['-layout', file, '-']);
    expect(text.stdout).to.contain('Số 12-CT/TU');
    expect(text.stdout).to.contain('Hà Nội, ngày 05 tháng 3 năm 2026');
    const page = await renderPage(file);
    const red = (r: number, g: number, b: number) => r > 160 && g < 90 && b < 90;
    const blue = (r: number, g: number, b: number) => b > 100 && r < 90 && g < 110;
    expect(countPixels(page, sealRect, red)).to.be.greaterThan(300);
    expect(countPixels(page, leaderLook.rect, blue)).to.be.greaterThan(100);
    expect(countPixels(page, { x: 60, y: 400, width: 400, height: 200 }, red)).to.equal(0);
  });

  it('reaches B-LT and B-LTA: the DSS alone validates signer and TSA with revocation checking mandatory', async () => {
    for (const level of ['B-LT', 'B-LTA'] as const) {
      const first = await signPdf(document, {
        signer: pki.signers.rsa.signer,
        level,
        timestampAuthority: tsa,
        revocationSource: pki.revocation.http,
        certify: 2,
      });
      const second = await signPdf(first.pdf, {
        signer: pki.signers.ecdsa.signer,
        level,
        timestampAuthority: tsa,
        revocationSource: pki.revocation.local,
      });
      expect(second.level).to.equal(level);
      const file = save(`${level}.pdf`, second.pdf);
      const sigs = (await pdfsig(file, nss)).filter((s) => !s.field.startsWith('DocumentTimestamp'));
      expect(
        sigs.map((s) => [s.signatureValid, s.certificateTrusted]),
        level,
      ).to.deep.equal([
        [true, true],
        [true, true],
      ]);
      const judged = await pyhanko(file, pki.root.pemPath, 'ltv');
      for (const s of judged.filter((j) => j.type === '/Sig')) {
        expect(s, `${level} ${s.field}`).to.include({
          bottom_line: true,
          ltv_trusted: true,
          ltv_timestamp_ok: true,
        });
        if (level === 'B-LTA')
          expect(s, s.field).to.include({ ades_lta_bottom_line: true, archive_timestamp: true });
      }
      expect(judged.filter((j) => j.type === '/DocTimeStamp').length, level).to.equal(
        level === 'B-LTA' ? 2 : 0,
      );

      // The VRI is keyed by the SHA-1 of each signature's /Contents.
      const reader = PdfReader.open(second.pdf);
      const vri = reader.dict(reader.dict(reader.catalog().get('DSS'))!.get('VRI'))!;
      for (const sig of extractSignatures(second.pdf).filter((s) => s.type === 'Sig')) {
        const field = reader
          .array(reader.dict(reader.catalog().get('AcroForm'))!.get('Fields'))!
          .map((f) => reader.dict(f)!)
          .find((f) => (f.get('T') as PdfString).toText() === sig.fieldName)!;
        const contents = (reader.dict(field.get('V'))!.get('Contents') as PdfString).bytes;
        const key = createHash('sha1').update(contents).digest('hex').toUpperCase();
        expect(vri.get(key), `${level} ${sig.fieldName}`).to.be.instanceOf(PdfDict);
      }
    }
  });

  it('works with the deployment’s own TSA over HTTP (pdfsig and OpenSSL as judges)', async () => {
    const { pdf } = await signPdf(document, {
      signer: pki.signers.ecdsa.signer,
      level: 'B-T',
      timestampAuthority: pki.tsa.http,
    });
    const file = save('own-tsa.pdf', pdf);
    const [sig] = await pdfsig(file, nss);
    expect(sig?.signatureValid && sig.certificateTrusted, sig?.text).to.equal(true);
    const [extracted] = extractSignatures(pdf);
    const ts = signatureTimestamp(extracted!.cms)!;
    const digestHex = createHash('sha256').update(ts.signatureValue).digest('hex');
    const ok = await opensslTsVerify(dir, ts.token, { digestHex }, pki.root.pemPath, pki.caBundlePath);
    expect(ok.stdout + ok.stderr).to.contain('Verification: OK');
  });

  it('fails closed when the TSA or the revocation sources cannot answer, returning nothing', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const signer = pki.signers.ecdsa.signer;
    const deadTsa = new HttpTimestampAuthority(`http://127.0.0.1:${closedPort}/pki/tsa`);
    await expectPkiError(
      signPdf(document, { signer, level: 'B-T', timestampAuthority: deadTsa }),
      'tsa_unavailable',
    );
    const lyingTsa: TimestampAuthority = {
      timestamp: (digest, hash) => tsa.timestamp(Buffer.alloc(digest.length, 7), hash),
    };
    await expectPkiError(
      signPdf(document, { signer, level: 'B-T', timestampAuthority: lyingTsa }),
      'tsa_unavailable',
    );
    const garbageTsa: TimestampAuthority = { timestamp: async () => Buffer.from('not a token') };
    await expectPkiError(
      signPdf(document, { signer, level: 'B-T', timestampAuthority: garbageTsa }),
      'tsa_unavailable',
    );

    const silent: RevocationSource = { ocsp: async () => null, crls: async () => [] };
    const unreachable: RevocationSource = {
      ocsp: async () => {
        await fetch(`http://127.0.0.1:${closedPort}/pki/ocsp`);
        return null;
      },
      crls: async () => [],
    };
    for (const revocationSource of [silent, unreachable]) {
      await expectPkiError(
        signPdf(document, { signer, level: 'B-LT', timestampAuthority: tsa, revocationSource }),
        'revocation_unavailable',
      );
    }
    await expectPkiError(
      signPdf(document, { signer, level: 'B-LTA', timestampAuthority: deadTsa, revocationSource: silent }),
      'tsa_unavailable',
    );
    // Asking for B-T without a TSA is a usage error, not a silent B-B.
    await expectPkiError(signPdf(document, { signer, level: 'B-T' }), 'invalid_input');
  });

  it('refuses bad input with a clear PkiError', async () => {
    const signer = pki.signers.ecdsa.signer;
    await expectPkiError(signPdf(Buffer.from('just text'), { signer }), 'not_a_pdf');
    await expectPkiError(signPdf(document.subarray(0, document.length - 100), { signer }), 'pdf_damaged');
    await expectPkiError(signPdf(document, { signer, maxBytes: 4096 }), 'pdf_too_large');
    const plain = save('plain.pdf', document);
    const encrypted = path.join(dir, 'encrypted.pdf');
    await command('qpdf', ['--encrypt', 'u', 'o', '256', '--', plain, encrypted]);
    await expectPkiError(signPdf(readFileSync(encrypted), { signer }), 'pdf_encrypted');
    const broken = Buffer.from(
      Buffer.from(document)
        .toString('latin1')
        .replace(/(\d{10}) 00000 n/g, '0000000009 00000 n'),
      'latin1',
    );
    await expectPkiError(signPdf(broken, { signer }), 'pdf_damaged');

    // Damaged existing signatures: bytes changed inside its range, garbage /Contents, a lying /ByteRange.
    const signed = Buffer.from((await signPdf(document, { signer })).pdf);
    const text = signed.toString('latin1');
    const tampered = Buffer.from(signed);
    const streamAt = text.indexOf('stream\n', text.indexOf('/FlateDecode')) + 20;
    tampered[streamAt] = tampered[streamAt]! ^ 0xff;
    await expectPkiError(signPdf(tampered, { signer }), 'signature_damaged');
    const garbage = Buffer.from(signed);
    const contentsAt = text.indexOf('/Contents <') + 11;
    garbage.write('ffff', contentsAt, 'latin1');
    await expectPkiError(signPdf(garbage, { signer }), 'signature_damaged');
    const lying = Buffer.from(
      text.replace(/\/ByteRange \[0 (\d+)/, (_, n: string) => `/ByteRange [0 ${'9'.repeat(n.length)}`),
      'latin1',
    );
    await expectPkiError(signPdf(lying, { signer }), 'signature_damaged');
  });

  it('never crashes on damaged input: seeded single-byte flips and truncations give a signature or a PkiError', async () => {
    const signer = pki.signers.ecdsa.signer;
    const inputs = [document, await makeDocumentPdf({ objectStreams: true }), makeHybridPdf()];
    let seed = 20260305;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let signed = 0;
    let refused = 0;
    for (const input of inputs) {
      for (let i = 0; i < 150; i++) {
        const bytes = Buffer.from(input);
        const at = random(bytes.length);
        bytes[at] = bytes[at]! ^ (1 + random(255));
        const cut = i % 10 === 0 ? bytes.subarray(0, random(bytes.length)) : bytes;
        try {
          await signPdf(cut, { signer });
          signed++;
        } catch (error) {
          expect(isPkiError(error), `flip at ${at}: ${String(error)}`).to.equal(true);
          refused++;
        }
      }
    }
    // Most flips land in compressed data the signer never reads; some break structure.
    expect(signed).to.be.greaterThan(0);
    expect(refused).to.be.greaterThan(0);
  });

  it('produces the same bytes for the same input and clock with a deterministic key (RSA PKCS#1 v1.5)', async () => {
    const at = new Date('2026-03-05T07:30:00Z');
    const options = { signer: pki.signers.rsa.signer, clock: () => at, reason: 'Ký' };
    const a = await signPdf(document, options);
    const b = await signPdf(document, options);
    expect(Buffer.from(a.pdf).equals(Buffer.from(b.pdf))).to.equal(true);
    const c = await signPdf(document, { ...options, clock: () => new Date(at.getTime() + 1000) });
    expect(Buffer.from(a.pdf).equals(Buffer.from(c.pdf))).to.equal(false);
  });
});
