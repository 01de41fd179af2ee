/**
 * Visible appearances and form fields, judged by what poppler renders and extracts:
 * every PNG colour type (alpha as soft mask, palette transparency, 16-bit) and a JPEG made
 * by pdftoppm land with the right colours in the right places; text fields fill with
 * Vietnamese (and characters outside the prepared font); misuse is refused clearly.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { isPkiError, type PkiErrorCode } from '../../pki/errors';
import { addFormFields, fillTextFields } from '../../pki/pades/fields';
import { signPdf } from '../../pki/pades/sign';
import { PdfReader } from '../../pki/pdf/reader';
import { encodePng, makeDocumentPdf } from '../fixtures/pdf/make';
import { getPkiFixture, type PkiFixture } from '../support/pki-fixture';
import { command, pyhanko } from './pades-judges';

async function expectPkiError(
  promise: Promise<unknown> | (() => unknown),
  code: PkiErrorCode,
): Promise<void> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(isPkiError(error), String(error)).to.equal(true);
    expect((error as { code: string }).code, (error as Error).message).to.equal(code);
    return;
  }
  expect.fail(`expected PkiError ${code}`);
}

type Rgb = [number, number, number];

/** 40×40 image: `inner` colour in the centre square (10..29), `outer` around it. */
function square(
  colorType: 0 | 2 | 3 | 4 | 6,
  depth: 1 | 2 | 4 | 8 | 16,
  inner: number[],
  outer: number[],
): Buffer {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType];
  const bits: number[] = [];
  for (let y = 0; y < 40; y++) {
    const row: number[] = [];
    for (let x = 0; x < 40; x++) {
      const inside = x >= 10 && x < 30 && y >= 10 && y < 30;
      row.push(...(inside ? inner : outer));
    }
    bits.push(...row.flatMap((v) => Array.from({ length: depth }, (_, i) => (v >> (depth - 1 - i)) & 1)));
    const rowBits = 40 * channels * depth;
    for (let pad = rowBits; pad % 8 !== 0; pad++) bits.push(0);
  }
  const bytes = Buffer.alloc(bits.length / 8);
  bits.forEach((bit, i) => {
    if (bit) bytes[i >> 3]! |= 0x80 >> (i & 7);
  });
  return bytes;
}

describe('pki/pades appearances and form fields, judged by poppler', function () {
  this.timeout(120_000);
  let pki: PkiFixture;
  let dir: string;
  let document: Uint8Array;

  before(async () => {
    pki = await getPkiFixture();
    dir = mkdtempSync(path.join(tmpdir(), 'vanthu-appearance-'));
    document = await makeDocumentPdf();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function pixelAt(file: string, x: number, y: number): Promise<Rgb> {
    const out = `${file}-px`;
    const r = await command('pdftoppm', ['-r', '72', '-f', '1', '-l', '1', '-singlefile', file, out]);
    if (r.code !== 0) throw new Error(r.stderr);
    const ppm = readFileSync(`${out}.ppm`);
    const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 50).toString('latin1'))!;
    const width = Number(header[1]);
    const height = Number(header[2]);
    const at = header[0].length + ((height - Math.round(y)) * width + Math.round(x)) * 3;
    return [ppm[at]!, ppm[at + 1]!, ppm[at + 2]!];
  }

  const near = (actual: Rgb, expected: Rgb, label: string): void => {
    const distance = Math.max(...actual.map((v, i) => Math.abs(v - expected[i]!)));
    expect(
      distance,
      `${label}: rendered ${actual.join(',')} instead of ${expected.join(',')}`,
    ).to.be.lessThan(40);
  };

  it('draws every PNG colour type and a JPEG with the right colours and transparency', async () => {
    // A real JPEG: poppler renders a page covered by a green image to JPEG.
    const green = encodePng({
      width: 40,
      height: 40,
      colorType: 2,
      depth: 8,
      rows: square(2, 8, [20, 160, 40], [20, 160, 40]),
    });
    const greenPage = await signPdf(document, {
      signer: pki.signers.ecdsa.signer,
      appearance: { page: 0, rect: { x: 0, y: 0, width: 595, height: 842 }, image: green, text: false },
    });
    const jpegSource = path.join(dir, 'jpeg-source.pdf');
    writeFileSync(jpegSource, greenPage.pdf);
    await command('pdftoppm', [
      '-r',
      '10',
      '-f',
      '1',
      '-l',
      '1',
      '-singlefile',
      '-jpeg',
      jpegSource,
      path.join(dir, 'page'),
    ]);
    const jpeg = readFileSync(path.join(dir, 'page.jpg'));
    expect([...jpeg.subarray(0, 2)]).to.deep.equal([0xff, 0xd8]);
    const white: Rgb = [255, 255, 255];
    const images: Array<[string, Uint8Array, Rgb, Rgb]> = [
      [
        'RGBA',
        encodePng({
          width: 40,
          height: 40,
          colorType: 6,
          depth: 8,
          rows: square(6, 8, [220, 20, 30, 255], [0, 0, 0, 0]),
        }),
        [220, 20, 30],
        white,
      ],
      [
        'grey+alpha',
        encodePng({ width: 40, height: 40, colorType: 4, depth: 8, rows: square(4, 8, [30, 255], [0, 0]) }),
        [30, 30, 30],
        white,
      ],
      [
        'RGB',
        encodePng({
          width: 40,
          height: 40,
          colorType: 2,
          depth: 8,
          rows: square(2, 8, [20, 160, 40], [20, 160, 40]),
        }),
        [20, 160, 40],
        [20, 160, 40],
      ],
      [
        'RGB 16-bit',
        encodePng({
          width: 40,
          height: 40,
          colorType: 2,
          depth: 16,
          rows: square(2, 16, [0x2020, 0x3030, 0xd0d0], [0xffff, 0xffff, 0]),
        }),
        [32, 48, 208],
        [255, 255, 0],
      ],
      [
        'grey',
        encodePng({ width: 40, height: 40, colorType: 0, depth: 8, rows: square(0, 8, [90], [200]) }),
        [90, 90, 90],
        [200, 200, 200],
      ],
      [
        'palette 4-bit with tRNS',
        encodePng({
          width: 40,
          height: 40,
          colorType: 3,
          depth: 4,
          rows: square(3, 4, [1], [0]),
          palette: Buffer.from([0, 0, 0, 130, 30, 160]),
          transparency: Buffer.from([0]),
        }),
        [130, 30, 160],
        white,
      ],
      [
        'palette 1-bit',
        encodePng({
          width: 40,
          height: 40,
          colorType: 3,
          depth: 1,
          rows: square(3, 1, [1], [0]),
          palette: Buffer.from([250, 200, 0, 0, 90, 200]),
        }),
        [0, 90, 200],
        [250, 200, 0],
      ],
    ];
    let pdf: Uint8Array = document;
    const spots: Array<[string, number, number, Rgb, Rgb]> = [];
    images.forEach(([label], i) => {
      const x = 60 + (i % 4) * 130;
      const y = 300 + Math.floor(i / 4) * 130;
      spots.push([label, x, y, images[i]![2], images[i]![3]]);
    });
    for (const [i, [label, image]] of images.entries()) {
      const [, x, y] = spots[i]!;
      pdf = (
        await signPdf(pdf, {
          signer: pki.signers.ecdsa.signer,
          appearance: { page: 0, rect: { x, y, width: 80, height: 80 }, image, text: false },
        })
      ).pdf;
      expect(label).to.be.a('string');
    }
    pdf = (
      await signPdf(pdf, {
        signer: pki.signers.ecdsa.signer,
        appearance: { page: 0, rect: { x: 450, y: 430, width: 120, height: 80 }, image: jpeg },
      })
    ).pdf;
    const file = path.join(dir, 'images.pdf');
    writeFileSync(file, pdf);
    expect((await command('qpdf', ['--check', file])).code).to.be.oneOf([0, 3]);
    for (const [label, x, y, inner, outer] of spots) {
      near(await pixelAt(file, x + 40, y + 40), inner, `${label} centre`);
      near(await pixelAt(file, x + 6, y + 6), outer, `${label} margin`);
    }
    // The JPEG (green) is drawn in the upper part of its box, above the text lines.
    near(await pixelAt(file, 510, 490), [20, 160, 40], 'JPEG');
    for (const s of await pyhanko(file, pki.root.pemPath))
      expect(s.intact && s.valid, s.field).to.equal(true);
  });

  it('fills text fields on their own, embedding a font when the prepared one lacks a glyph', async () => {
    const withFields = addFormFields(document, {
      text: [
        { name: 'so_ky_hieu', page: 0, rect: { x: 60, y: 760, width: 200, height: 20 } },
        {
          name: 'ghi_chu',
          page: 0,
          rect: { x: 60, y: 500, width: 400, height: 20 },
          fontSize: 11,
          align: 'center',
        },
      ],
    });
    const filled = fillTextFields(withFields, {
      so_ky_hieu: 'Số 07-TB/VPTU',
      ghi_chu: 'Ghi chú: Ω ≈ “đủ” — Ưu tiên',
    });
    const file = path.join(dir, 'filled.pdf');
    writeFileSync(file, filled);
    const text = await command('pdftotext', ['-layout', file, '-']);
    expect(text.stdout).to.contain('Số 07-TB/VPTU');
    expect(text.stdout).to.contain('Ghi chú: Ω ≈ “đủ” — Ưu tiên');
    const fonts = await command('pdffonts', [file]);
    expect(fonts.stdout.match(/Tinos-Regular/g)?.length, fonts.stdout).to.be.greaterThanOrEqual(3);
    // Rendered: dark text where the number field is.
    expect(Math.min(...(await pixelAt(file, 70, 768)))).to.be.lessThan(200);
  });

  it('refuses misuse of fields and appearances clearly', async () => {
    const signer = pki.signers.ecdsa.signer;
    const withFields = addFormFields(document, {
      text: [{ name: 'so_ky_hieu', page: 0, rect: { x: 60, y: 760, width: 200, height: 20 } }],
      signature: [{ name: 'con_dau', page: 0, rect: { x: 300, y: 100, width: 80, height: 80 } }],
    });
    await expectPkiError(() => fillTextFields(withFields, { khong_co: 'x' }), 'not_found');
    await expectPkiError(() => fillTextFields(withFields, { con_dau: 'x' }), 'invalid_input');
    await expectPkiError(
      () =>
        addFormFields(withFields, {
          text: [{ name: 'so_ky_hieu', page: 0, rect: { x: 0, y: 0, width: 10, height: 10 } }],
        }),
      'conflict',
    );
    await expectPkiError(signPdf(withFields, { signer, fieldName: 'so_ky_hieu' }), 'conflict');
    const signed = (await signPdf(withFields, { signer, fieldName: 'con_dau' })).pdf;
    await expectPkiError(signPdf(signed, { signer, fieldName: 'con_dau' }), 'conflict');
    await expectPkiError(
      () =>
        addFormFields(signed, {
          text: [{ name: 'x', page: 0, rect: { x: 0, y: 0, width: 10, height: 10 } }],
        }),
      'conflict',
    );
    await expectPkiError(
      signPdf(document, { signer, appearance: { page: 5, rect: { x: 0, y: 0, width: 10, height: 10 } } }),
      'invalid_input',
    );
    await expectPkiError(
      signPdf(document, { signer, appearance: { rect: { x: 0, y: 0, width: 0, height: 10 } } }),
      'invalid_input',
    );
    await expectPkiError(
      signPdf(document, {
        signer,
        appearance: { rect: { x: 0, y: 0, width: 50, height: 50 }, image: Buffer.from('GIF89a') },
      }),
      'invalid_input',
    );
    const interlaced = Buffer.from(
      encodePng({ width: 2, height: 2, colorType: 6, depth: 8, rows: Buffer.alloc(16) }),
    );
    interlaced[28] = 1; // IHDR interlace byte (the CRC no longer matches, which we do not check)
    await expectPkiError(
      signPdf(document, {
        signer,
        appearance: { rect: { x: 0, y: 0, width: 50, height: 50 }, image: interlaced },
      }),
      'invalid_input',
    );
    await expectPkiError(
      signPdf(document, {
        signer,
        certify: 2,
        appearance: { rect: { x: 0, y: 0, width: 50, height: 50 } },
      }).then((r) => signPdf(r.pdf, { signer, certify: 2 })),
      'conflict',
    );
    // The signed field lands where asked, on the page asked.
    const reader = PdfReader.open(signed);
    expect(reader.pageCount()).to.equal(1);
  });
});
