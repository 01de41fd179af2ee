/**
 * The low-level PDF reader and incremental writer against real files: classic tables, xref
 * streams with object streams, a hybrid-reference file; qpdf judges every update; bad
 * input is refused with the right PkiError code.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { isPkiError, type PkiErrorCode } from '../../pki/errors';
import { IncrementalWriter } from '../../pki/pdf/incremental';
import { dict, name, PdfDict, PdfStream, PdfString } from '../../pki/pdf/objects';
import { PdfReader } from '../../pki/pdf/reader';
import { makeDocumentPdf, makeHybridPdf } from '../fixtures/pdf/make';

function expectPkiError(fn: () => unknown, code: PkiErrorCode): void {
  try {
    fn();
  } catch (error) {
    expect(isPkiError(error), String(error)).to.equal(true);
    expect((error as { code: string }).code).to.equal(code);
    expect((error as Error).message).to.match(/^[A-Z].*\.$/); // one human sentence
    return;
  }
  expect.fail(`expected PkiError ${code}`);
}

/** qpdf --check: exit 0 (clean) or 3 (warnings only) is a readable file. */
function qpdfCheck(file: string): string {
  try {
    return execFileSync('qpdf', ['--check', file], { encoding: 'utf8' });
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    throw new Error(`qpdf --check failed (${e.status}): ${e.stdout}${e.stderr}`);
  }
}

describe('pki/pdf reader and incremental writer', () => {
  let dir: string;
  let classic: Uint8Array;
  let objectStreams: Uint8Array;
  const hybrid = makeHybridPdf();

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vanthu-pdf-'));
    classic = await makeDocumentPdf({ pages: 3 });
    objectStreams = await makeDocumentPdf({ pages: 3, objectStreams: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const variants = (): Array<[string, Uint8Array, boolean]> => [
    ['classic xref table', classic, false],
    ['xref stream with object streams', objectStreams, true],
    ['hybrid-reference file', hybrid, false],
  ];

  it('reads the catalog, the page tree and objects in every cross-reference style', () => {
    for (const [label, bytes, usesStream] of variants()) {
      const reader = PdfReader.open(bytes);
      expect(reader.usesXrefStream, label).to.equal(usesStream);
      expect(reader.catalog().name('Type'), label).to.equal('Catalog');
      const pages = reader.pageCount();
      expect(pages, label).to.equal(label.startsWith('hybrid') ? 1 : 3);
      for (let i = 0; i < pages; i++) {
        const page = reader.dict(reader.pageRef(i));
        expect(page?.name('Type'), `${label} page ${i + 1}`).to.equal('Page');
        // Resources are in an object stream in the hybrid and object-stream files.
        const resources = reader.dict(page?.get('Resources'));
        expect(reader.dict(resources?.get('Font')), label).to.be.instanceOf(PdfDict);
      }
    }
  });

  it('finds objects in an object stream through a hybrid file’s /XRefStm', () => {
    const reader = PdfReader.open(hybrid);
    expect(reader.entry(6)).to.deep.equal({ kind: 'compressed', stream: 7, index: 1 });
    expect(reader.dict(reader.get(6))?.name('BaseFont')).to.equal('Helvetica');
  });

  it('appends an update that leaves the original bytes untouched, in the file’s own xref style', () => {
    for (const [label, bytes, usesStream] of variants()) {
      const reader = PdfReader.open(bytes);
      const writer = new IncrementalWriter(reader);
      const info = writer.add(
        dict({ Title: PdfString.fromText('Chỉ thị số 12-CT/TU'), Producer: PdfString.fromText('vanthu') }),
      );
      const note = writer.add(new PdfStream(dict({}), Buffer.from('binary \x00\xff data', 'latin1')));
      writer.set(
        reader.catalogRef,
        reader.catalog().clone().set('Lang', PdfString.fromText('vi')).set('Note', note),
      );
      const { bytes: updated } = writer.write();

      expect(Buffer.from(updated.subarray(0, bytes.length)).equals(Buffer.from(bytes)), label).to.equal(true);
      const file = path.join(dir, `${label.replace(/\W+/g, '-')}.pdf`);
      writeFileSync(file, updated);
      qpdfCheck(file);

      const again = PdfReader.open(updated);
      expect(again.sections.length, label).to.equal(reader.sections.length + 1);
      expect(again.usesXrefStream, label).to.equal(usesStream);
      expect((again.catalog().get('Lang') as PdfString).toText(), label).to.equal('vi');
      expect((again.dict(info)!.get('Title') as PdfString).toText(), label).to.equal('Chỉ thị số 12-CT/TU');
      const stream = again.resolve(note) as PdfStream;
      expect(Buffer.from(stream.data).toString('latin1'), label).to.equal('binary \x00\xff data');
      // qpdf reads the same value through our xref section.
      const shown = execFileSync('qpdf', [`--show-object=${info.num}`, file], { encoding: 'utf8' });
      expect(shown, label).to.contain('/Producer (vanthu)');
    }
  });

  it('refuses what is not a PDF', () => {
    expectPkiError(() => PdfReader.open(new Uint8Array(0)), 'not_a_pdf');
    expectPkiError(() => PdfReader.open(Buffer.from('Hello, this is a text file.\n')), 'not_a_pdf');
    expectPkiError(() => PdfReader.open(Buffer.from('\x89PNG\r\n\x1a\n....')), 'not_a_pdf');
  });

  it('refuses a truncated PDF', () => {
    for (const cut of [classic.length - 3, Math.floor(classic.length / 2), 200]) {
      expectPkiError(() => PdfReader.open(classic.subarray(0, cut)), 'pdf_damaged');
    }
  });

  it('refuses a PDF encrypted with qpdf', () => {
    const plain = path.join(dir, 'plain.pdf');
    const encrypted = path.join(dir, 'encrypted.pdf');
    writeFileSync(plain, classic);
    execFileSync('qpdf', ['--encrypt', 'user', 'owner', '256', '--', plain, encrypted]);
    expectPkiError(() => PdfReader.open(readFileSync(encrypted)), 'pdf_encrypted');
    // An owner-password-only file (opens without a password) is still encrypted.
    execFileSync('qpdf', ['--encrypt', '', 'owner', '256', '--', plain, encrypted]);
    expectPkiError(() => PdfReader.open(readFileSync(encrypted)), 'pdf_encrypted');
  });

  it('refuses a broken cross-reference table', () => {
    const text = Buffer.from(classic).toString('latin1');
    // Shift every in-use offset: each entry now points at the wrong bytes.
    const shifted = text.replace(
      /(\d{10}) 00000 n/g,
      (_, o: string) => `${String(Number(o) + 7).padStart(10, '0')} 00000 n`,
    );
    expectPkiError(() => PdfReader.open(Buffer.from(shifted, 'latin1')), 'pdf_damaged');
    // startxref pointing into the middle of an object.
    const wrongStart = text.replace(/startxref\n(\d+)/, 'startxref\n100');
    expectPkiError(() => PdfReader.open(Buffer.from(wrongStart, 'latin1')), 'pdf_damaged');
    // Garbage where the table should be.
    const xrefAt = text.lastIndexOf('xref\n0 ');
    const garbage = `${text.slice(0, xrefAt)}xref\n0 x\nnonsense${text.slice(xrefAt + 16)}`;
    expectPkiError(() => PdfReader.open(Buffer.from(garbage, 'latin1')), 'pdf_damaged');
    // /Prev loop.
    const loop = text.replace('trailer\n<< ', `trailer\n<< /Prev ${xrefAt} `);
    expectPkiError(() => PdfReader.open(Buffer.from(loop, 'latin1')), 'pdf_damaged');
  });

  it('refuses input over the size limit before reading it', () => {
    expectPkiError(() => PdfReader.open(classic, { maxBytes: 1000 }), 'pdf_too_large');
    expect(() => PdfReader.open(classic, { maxBytes: classic.length })).not.to.throw();
  });

  it('reads names, strings and numbers the way the spec writes them', () => {
    const reader = PdfReader.open(objectStreams);
    const writer = new IncrementalWriter(reader);
    const value = dict({
      'A B#/(x)': name('Name With Spaces#1'),
      Lit: new PdfString(Buffer.from('(a)\\b\n\x01é', 'latin1')),
      Hex: new PdfString(Buffer.from([0, 1, 254, 255]), true),
      Numbers: [0, -1, 3.25, 0.0000001, 1e21, 595.28],
      Nested: [dict({ T: true, F: false, N: null })],
    });
    const ref = writer.add(value);
    const again = PdfReader.open(writer.write().bytes);
    const read = again.dict(ref)!;
    expect(read.name('A B#/(x)')).to.equal('Name With Spaces#1');
    expect(Buffer.from((read.get('Lit') as PdfString).bytes).toString('latin1')).to.equal('(a)\\b\n\x01é');
    expect([...(read.get('Hex') as PdfString).bytes]).to.deep.equal([0, 1, 254, 255]);
    expect(read.get('Numbers')).to.deep.equal([0, -1, 3.25, 0.0000001, 1e21, 595.28]);
    expect(((read.get('Nested') as PdfDict[])[0] as PdfDict).get('N')).to.equal(null);
  });
});
