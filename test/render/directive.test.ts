/**
 * Party documents rendered to PDF, judged by poppler (pdftotext, pdffonts, pdfinfo,
 * pdftoppm), qpdf and an independent QR decoder (jsQR on poppler's pixels).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import jsQR from 'jsqr';
import { type DomainError, isDomainError } from '../../domain/errors';
import { DOCUMENT_NUMBER_FIELD, fillTextFields, ISSUE_DATE_FIELD, SEAL_FIELD } from '../../pki/pades/fields';
import { listFields } from '../../pki/pades/form';
import { TrueTypeFont } from '../../pki/pdf/font';
import { PdfReader } from '../../pki/pdf/reader';
import { MARGIN, MM, PAGE, TEXT } from '../../render/composer';
import { type RenderedDirective, renderDirective } from '../../render/directive';
import { FACES, fontPath, layoutFont } from '../../render/fonts';
import type { DirectiveInput } from '../../render/input';
import { dateWords, issuanceFieldValues } from '../../render/wording';
import { command } from '../pki/pades-judges';
import {
  flat,
  pageCount,
  pdffonts,
  pdftotext,
  rasterise,
  rgba,
  SAMPLE_PARAGRAPHS,
  sampleInput,
  save,
  VERIFY_URL,
  words,
} from './tools';

async function expectDomainError(promise: Promise<unknown>, field: string, pattern?: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(isDomainError(error), String(error)).to.equal(true);
    const e = error as DomainError;
    expect(e.code, e.message).to.equal('validation');
    expect(e.field, e.message).to.equal(field);
    if (pattern) expect(e.message).to.match(pattern);
    return;
  }
  expect.fail(`expected a DomainError for ${field}`);
}

function withoutNumber(input: DirectiveInput): DirectiveInput {
  const { number: _number, date: _date, ...rest } = input;
  return rest;
}

const paragraphs = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `Đoạn ${i + 1}. ${SAMPLE_PARAGRAPHS[i % SAMPLE_PARAGRAPHS.length]}`);

describe('render: Party documents to PDF', function () {
  this.timeout(60_000);
  let dir: string;
  let printed: RenderedDirective;
  let printedFile: string;
  let preSigning: RenderedDirective;
  let preSigningFile: string;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vanthu-render-'));
    printed = await renderDirective(sampleInput());
    printedFile = save(dir, 'printed.pdf', printed.pdf);
    preSigning = await renderDirective(withoutNumber(sampleInput()), { mode: 'pre_signing' });
    preSigningFile = save(dir, 'pre-signing.pdf', preSigning.pdf);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints header, title, body, signer and Nơi nhận with every Vietnamese tone mark', async () => {
    const layout = await pdftotext(printedFile, '-layout');
    const lines = layout.split('\n');
    const lineWith = (text: string) => lines.find((l) => l.includes(text)) ?? '';
    // Header: two columns on one line each.
    expect(lineWith('ĐẢNG BỘ THÀNH PHỐ HÀ NỘI')).to.match(
      /ĐẢNG BỘ THÀNH PHỐ HÀ NỘI\s{3,}ĐẢNG CỘNG SẢN VIỆT NAM/,
    );
    expect(lineWith('THÀNH ỦY').trim()).to.equal('THÀNH ỦY');
    expect(lineWith('Số 12-CT/TU')).to.match(/Số 12-CT\/TU\s{3,}Hà Nội, ngày 22 tháng 11 năm 2026/);
    expect(lineWith('THƯỢNG KHẨN').trim()).to.equal('THƯỢNG KHẨN');
    expect(lineWith('CHỈ THỊ').trim()).to.equal('CHỈ THỊ');
    expect(layout).to.contain('về tăng cường lãnh đạo chuyển đổi số trong các cơ quan đảng');
    expect(layout).to.contain('I. MỤC TIÊU, YÊU CẦU');
    expect(layout).to.contain('1. Nhiệm vụ trọng tâm');
    for (const word of [
      'Nghị quyết',
      'Đảng',
      'Ưu tiên',
      'hỏa tốc',
      'Thượng khẩn',
      'ùn tắc',
      'vướng mắc',
      'đột phá',
    ]) {
      expect(layout).to.contain(word);
    }
    // Signer block beside Nơi nhận.
    expect(lineWith('Nơi nhận:')).to.match(/Nơi nhận:\s{3,}T\/M BAN THƯỜNG VỤ/);
    expect(lines.find((l) => /\bBÍ THƯ\s*$/.test(l))).to.match(/\s{3,}BÍ THƯ\s*$/);
    expect(layout).to.contain('Nguyễn Văn Phong');
    expect(layout).to.contain('- Ban Bí thư Trung ương Đảng (để báo cáo),');
    const recipients = lines.filter((l) => /^\s*- /.test(l)).map((l) => l.trim());
    expect(recipients.at(-1)).to.equal('- Lưu Văn phòng');

    // Every paragraph exactly, whatever the line breaks; bullets get their dash once.
    const text = flat(await pdftotext(printedFile));
    expect(text).to.contain(SAMPLE_PARAGRAPHS[0]);
    expect(text).to.contain(`- ${SAMPLE_PARAGRAPHS[1]}`);
    expect(text).to.contain(`- ${SAMPLE_PARAGRAPHS[2]}`);
    expect(text).not.to.contain('- - ');
  });

  it('prints each urgency mark, and none for "thường"', async () => {
    const marks = { khan: 'KHẨN', thuong_khan: 'THƯỢNG KHẨN', hoa_toc: 'HỎA TỐC' } as const;
    for (const [urgency, mark] of Object.entries(marks)) {
      const r = await renderDirective(
        sampleInput({ urgency: urgency as keyof typeof marks, body: ['Nội dung.'] }),
      );
      const layout = await pdftotext(save(dir, `${urgency}.pdf`, r.pdf), '-layout');
      expect(layout.split('\n').map((l) => l.trim())).to.include(mark);
    }
    const plain = await renderDirective(sampleInput({ urgency: 'thuong', body: ['Nội dung.'] }));
    const layout = await pdftotext(save(dir, 'thuong.pdf', plain.pdf), '-layout');
    expect(layout).not.to.match(/KHẨN|HỎA TỐC/);
  });

  it('ends Nơi nhận with the archive copy, added only when missing; long names wrap in their column', async () => {
    const given = await renderDirective(
      sampleInput({
        recipients: ['Như trên,', 'Lưu VT, VP.'],
        issuer: {
          superior: 'Đảng bộ Khối các cơ quan và doanh nghiệp thành phố Hà Nội',
          name: 'Ban Thường vụ Đảng ủy Khối',
          abbreviation: 'ĐUK',
        },
      }),
    );
    const file = save(dir, 'archive.pdf', given.pdf);
    const layout = await pdftotext(file, '-layout');
    const closing = layout.slice(layout.indexOf('Nơi nhận:'));
    const items = closing
      .split('\n')
      .map((l) => l.trim().split(/\s{3,}/)[0]!)
      .filter((l) => l.startsWith('- '));
    expect(items).to.deep.equal(['- Như trên,', '- Lưu VT, VP.']);
    expect(layout).to.match(/Số 12-CT\/ĐUK\s{3,}Hà Nội, ngày 22 tháng 11 năm 2026/);
    const all = await words(file);
    for (const w of all.filter((x) => x.page === 0 && x.yMin < 150 && x.xMin < TEXT.left + 78 * MM)) {
      expect(w.xMax, `${w.text} stays in the left header column`).to.be.at.most(TEXT.left + 78 * MM + 0.5);
    }
  });

  it('embeds Tinos subsets with Unicode maps and no other font', async () => {
    for (const file of [printedFile, preSigningFile]) {
      const fonts = await pdffonts(file);
      const names = fonts.map((f) => f.name.replace(/^[A-Z]{6}\+/, ''));
      expect(names).to.include.members(['Tinos-Regular', 'Tinos-Bold', 'Tinos-Italic']);
      for (const font of fonts) {
        expect(font.name).to.match(/^[A-Z]{6}\+Tinos-/);
        expect(font, font.name).to.include({ embedded: true, subset: true, unicode: true });
      }
    }
  });

  it('maps every Vietnamese letter back to itself in every face, however a render first reached its glyph', async () => {
    // The subsetter reaches glyphs by id alone, as composite accented letters reach their base
    // letter; each must still carry its own code point, or ToUnicode would lose the letter.
    const letters = 'aăâbcdđeêghiklmnoôơpqrstuưvxy';
    for (const face of FACES) {
      const cmap = new TrueTypeFont(readFileSync(fontPath(face)));
      for (const ch of [...letters, ...letters.toUpperCase(), ...'ạấẹếọớụứỹ']) {
        const glyph = layoutFont(face).getGlyph(cmap.glyphId(ch.codePointAt(0)!));
        expect(String.fromCodePoint(...glyph.codePoints), `${face} ${ch}`).to.equal(ch);
      }
    }
    const subject = 'Kế hoạch kiểm tra sổ văn bản (web routes test)';
    const file = save(dir, 'letters.pdf', (await renderDirective(sampleInput({ subject }))).pdf);
    expect(flat(await pdftotext(file))).to.include(subject);
  });

  it('passes qpdf --check in both modes', async () => {
    for (const file of [printedFile, preSigningFile]) {
      const result = await command('qpdf', ['--check', file]);
      expect(result.code, result.stdout + result.stderr).to.equal(0);
      expect(result.stdout).to.contain('No syntax or stream encoding errors found');
    }
  });

  it('gives the same bytes for the same input, with no clock or producer stamp in them', async () => {
    // Other documents in between (the parsed fonts are shared) and a fresh process agree.
    await renderDirective(sampleInput({ body: paragraphs(12), urgency: 'hoa_toc', subject: 'Ỹ ỵ Ữ ự ở ờ' }));
    const again = await renderDirective(sampleInput());
    expect(Buffer.from(again.pdf).equals(Buffer.from(printed.pdf))).to.equal(true);
    const script = `require(${JSON.stringify(path.resolve(__dirname, '../../render/directive'))})
      .renderDirective(require(${JSON.stringify(path.resolve(__dirname, 'tools'))}).sampleInput())
      .then((r) => process.stdout.write(require('node:crypto').createHash('sha256').update(r.pdf).digest('hex')))`;
    const child = await command(process.execPath, ['--require', 'tsx/cjs', '-e', script]);
    expect(child.stderr).to.equal('');
    expect(child.stdout).to.equal(createHash('sha256').update(printed.pdf).digest('hex'));
    const preAgain = await renderDirective(withoutNumber(sampleInput()), { mode: 'pre_signing' });
    expect(Buffer.from(preAgain.pdf).equals(Buffer.from(preSigning.pdf))).to.equal(true);
    expect(preAgain.fields).to.deep.equal(preSigning.fields);

    const info = (await command('pdfinfo', [printedFile])).stdout;
    expect(info).to.match(/^Producer:\s+vanthu$/m);
    expect(info).to.match(/^CreationDate:.*2026/m); // the issue date, from the input
    const preInfo = (await command('pdfinfo', [preSigningFile])).stdout;
    expect(preInfo).not.to.match(/^(CreationDate|ModDate):/m);
    expect(Buffer.from(preSigning.pdf).toString('latin1')).not.to.contain('PDFKit');
  });

  it('keeps text inside the guidance margins and the header in its two columns', async () => {
    const all = await words(printedFile);
    const caption = new Set(['Quét', 'để', 'xác', 'thực']);
    const pageNumber = (w: (typeof all)[number]) =>
      w.page > 0 && /^\d+$/.test(w.text) && w.yMin > TEXT.bottom;
    for (const w of all) {
      if (pageNumber(w)) continue;
      if (w.xMax < MARGIN.left && caption.has(w.text)) continue; // the QR caption, in the margin
      expect(w.xMin, w.text).to.be.at.least(TEXT.left - 0.5);
      expect(w.xMax, w.text).to.be.at.most(TEXT.right + 0.5);
      expect(w.yMin, w.text).to.be.at.least(TEXT.top - 0.5);
      expect(w.yMax, w.text).to.be.at.most(TEXT.bottom + 0.5);
    }
    const first = (text: string) => all.find((w) => w.text === text)!;
    expect(first('CỘNG').xMin, 'Party heading on the right').to.be.greaterThan(TEXT.left + 75 * MM);
    expect(first('BỘ').xMax, 'superior body on the left').to.be.lessThan(TEXT.left + 80 * MM);
    // Body justified: the first full line of a paragraph ends at the right margin.
    const nghi = all.find((w) => w.text === 'Nghị')!;
    const lineEnd = Math.max(...all.filter((w) => Math.abs(w.yMin - nghi.yMin) < 1).map((w) => w.xMax));
    expect(lineEnd).to.be.closeTo(TEXT.right, 1);
    // Signer's name under the signature box, centred on it.
    const sig = printed.signature.rect;
    const phong = all.find((w) => w.text === 'Phong')!;
    const name = all.filter((w) => w.page === phong.page && Math.abs(w.yMin - phong.yMin) < 1);
    expect(name.map((w) => w.text)).to.deep.equal(['Nguyễn', 'Văn', 'Phong']);
    expect(phong.page).to.equal(printed.signature.page);
    const nameTop = Math.min(...name.map((w) => w.yMin));
    expect(nameTop).to.be.greaterThan(PAGE.height - sig.y);
    const nameCentre = (Math.min(...name.map((w) => w.xMin)) + Math.max(...name.map((w) => w.xMax))) / 2;
    expect(nameCentre).to.be.closeTo(sig.x + sig.width / 2, 2);
  });

  it('spans a 30-paragraph body over several pages, numbered from page 2 at the bottom right', async () => {
    const r = await renderDirective(sampleInput({ body: paragraphs(30) }));
    const file = save(dir, 'thirty.pdf', r.pdf);
    const pages = await pageCount(file);
    expect(pages).to.be.at.least(3);
    expect(r.pageCount).to.equal(pages);
    expect(r.signature.page).to.equal(pages - 1);
    const all = await words(file);
    for (let page = 0; page < pages; page++) {
      const footer = all.filter((w) => w.page === page && w.yMin > TEXT.bottom);
      if (page === 0) {
        expect(footer, 'no number on page 1').to.deep.equal([]);
        continue;
      }
      expect(footer.map((w) => w.text)).to.deep.equal([String(page + 1)]);
      expect(footer[0]!.xMax).to.be.closeTo(TEXT.right, 1);
    }
    const text = flat((await pdftotext(file)).replace(/^\d+$/gm, ''));
    for (const p of paragraphs(30)) expect(text).to.contain(p);
  });

  it('keeps a heading with the lines after it at a page break', async () => {
    let movedToNextPage = 0;
    // One-line paragraphs move the heading down a line at a time across the page end.
    for (let k = 14; k <= 24; k++) {
      const body = [
        ...Array.from({ length: k }, (_, i) => `Dòng ${i + 1}.`),
        { kind: 'heading' as const, text: 'II. TỔ CHỨC THỰC HIỆN' },
        'Sau đề mục.',
      ];
      const r = await renderDirective(sampleInput({ body }));
      const all = await words(save(dir, `keep-${k}.pdf`, r.pdf));
      const heading = all.find((w) => w.text === 'TỔ')!;
      const next = all.find((w) => w.text === 'Sau')!;
      expect(next.page, `k=${k}`).to.equal(heading.page);
      const firstOnPage = all.filter((w) => w.page === heading.page).sort((a, b) => a.yMin - b.yMin)[0]!;
      if (heading.page > 0 && Math.abs(firstOnPage.yMin - heading.yMin) < 1) movedToNextPage++;
    }
    expect(movedToNextPage, 'some heading started a page').to.be.greaterThan(0);
  });

  it('renders an absurdly long paragraph across many pages', async () => {
    const long = `${'Các cấp ủy, tổ chức đảng thực hiện nghiêm túc Nghị quyết, ưu tiên nguồn lực. '.repeat(700)}Hết.`;
    const r = await renderDirective(sampleInput({ body: [long] }));
    const file = save(dir, 'long.pdf', r.pdf);
    expect(await pageCount(file)).to.be.at.least(10);
    expect((await command('qpdf', ['--check', file])).code).to.equal(0);
    const text = flat((await pdftotext(file)).replace(/^\d+$/gm, ''));
    expect(text).to.contain(long);
  });

  it('carries a QR code in the left margin of the last page that decodes to the verification URL', async () => {
    const raster = await rasterise(printedFile, printed.signature.page, 200);
    const found = jsQR(rgba(raster), raster.width, raster.height);
    expect(found, 'a QR code on the last page').to.not.equal(null);
    expect(found!.data).to.equal(VERIFY_URL);
    const corners = [found!.location.topLeftCorner, found!.location.bottomRightCorner];
    for (const corner of corners) expect(corner.x / raster.scale).to.be.lessThan(MARGIN.left);
    // None on the first page of a multi-page document.
    const r = await renderDirective(sampleInput({ body: paragraphs(30) }));
    const first = await rasterise(save(dir, 'qr-first.pdf', r.pdf), 0, 100);
    expect(jsQR(rgba(first), first.width, first.height)).to.equal(null);
  });

  it('refuses bad input with a DomainError naming the field', async () => {
    const bad = (overrides: Record<string, unknown>) => ({ ...sampleInput(), ...overrides });
    await expectDomainError(renderDirective(bad({ subject: '   ' })), 'subject', /must not be empty/);
    await expectDomainError(renderDirective(bad({ body: [] })), 'body', /at least one paragraph/);
    await expectDomainError(renderDirective(bad({ body: ['Mở đầu.', ' \n '] })), 'body.1', /empty/);
    await expectDomainError(
      renderDirective(bad({ body: ['Chào 👍 các đồng chí'] })),
      'body.0',
      /"👍" \(U\+1F44D\)/,
    );
    await expectDomainError(
      renderDirective(bad({ signer: { title: 'Bí thư', name: '阮文峰' } })),
      'signer.name',
      /cannot be printed/,
    );
    await expectDomainError(renderDirective(bad({ subject: 'về việc\u0007 khác' })), 'subject', /U\+0007/);
    await expectDomainError(renderDirective(bad({ date: '2026-02-30' })), 'date', /calendar date/);
    await expectDomainError(renderDirective(bad({ number: 0 })), 'number');
    await expectDomainError(
      renderDirective(bad({ verificationUrl: 'javascript:alert(1)' })),
      'verificationUrl',
    );
    await expectDomainError(renderDirective(bad({ urgency: 'mat' })), 'urgency');
    await expectDomainError(renderDirective(bad({ colour: 'red' })), 'colour', /unknown field/);
    await expectDomainError(renderDirective(bad({ body: [{ kind: 'table', text: 'x' }] })), 'body.0');
    await expectDomainError(renderDirective(bad({ body: ['x'.repeat(200_001)] })), 'body.0', /at most/);
    await expectDomainError(
      renderDirective(bad({ body: ['Mở đầu.', `Xem https://example.vn/${'a'.repeat(400)} nhé.`] })),
      'body.1',
      /word of 419 characters/,
    );
    await expectDomainError(
      renderDirective(bad({ body: Array(3).fill('Nghị quyết. '.repeat(12_500)) })),
      'body',
    );
    await expectDomainError(renderDirective(sampleInput(), { mode: 'pre_signing' }), 'number', /clerk/);
    // Not an object at all: no field to name, still a validation error that says so.
    const notObject = await renderDirective(null).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isDomainError(notObject) && notObject.code).to.equal('validation');
    expect((notObject as Error).message).to.match(/^input: /);
  });

  it('leaves number and date as form fields before signing, exactly where the printed ones go', async () => {
    const reader = PdfReader.open(preSigning.pdf);
    const fields = listFields(reader);
    expect(fields.map((f) => `${f.name}:${f.type}`)).to.have.members([
      `${DOCUMENT_NUMBER_FIELD}:Tx`,
      `${ISSUE_DATE_FIELD}:Tx`,
      `${SEAL_FIELD}:Sig`,
    ]);
    const layout = await pdftotext(preSigningFile, '-layout');
    expect(layout).to.match(/Số\s+-CT\/TU\s{3,}Hà Nội,\s*\n/);
    expect(layout).not.to.match(/ngày \d/);

    // Filled the way the clerk will, the line reads like the printed one, on the same baseline.
    const filled = fillTextFields(preSigning.pdf, issuanceFieldValues(12, '2026-11-22'));
    const file = save(dir, 'filled.pdf', filled);
    const filledLayout = await pdftotext(file, '-layout');
    expect(filledLayout).to.match(/Số\s+12-CT\/TU\s{3,}Hà Nội, ngày 22 tháng 11 năm 2026/);
    const all = await words(file);
    const at = (text: string) => all.find((w) => w.page === 0 && w.text === text)!;
    expect(at('12').yMax).to.be.closeTo(at('Số').yMax, 0.5);
    expect(at('-CT/TU').xMin - at('12').xMax, 'the sequence abuts "-CT/TU"').to.be.within(-0.5, 0.5);
    expect(at('ngày').yMax).to.be.closeTo(at('Hà').yMax, 0.5);
    expect(at('ngày').xMin - at('Nội,').xMax).to.be.within(1, 6); // one space
    expect(dateWords('2026-02-05')).to.equal('ngày 05 tháng 02 năm 2026');
  });
});
