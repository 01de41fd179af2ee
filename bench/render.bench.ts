/**
 * Rendering speed on one core: a one-page directive (printed and pre-signing, which adds
 * the form fields in an incremental update) and a 30-paragraph directive, beside the floor
 * of the library itself measured in the same run — pdfkit writing one page with one
 * justified paragraph in embedded Tinos — since fonts and compression dominate both.
 */
import PDFDocument from 'pdfkit';
import { renderDirective } from '../render/directive';
import { fontPath } from '../render/fonts';
import { SAMPLE_PARAGRAPHS, sampleInput } from '../test/render/tools';
import { type BenchRow, perSecond } from './harness';

function barePdfkitPage(): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', font: fontPath('regular') });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  doc.fontSize(14).text(SAMPLE_PARAGRAPHS.join(' '), { align: 'justify' });
  doc.end();
  return done;
}

export async function run(): Promise<BenchRow[]> {
  const floor = {
    name: 'pdfkit: one page, one paragraph, Tinos',
    value: await perSecond(barePdfkitPage, { warmUp: 5 }),
    unit: 'PDF/s',
  };
  const { number: _n, date: _d, ...unnumbered } = sampleInput();
  const thirty = sampleInput({
    body: Array.from({ length: 30 }, (_, i) => SAMPLE_PARAGRAPHS[i % SAMPLE_PARAGRAPHS.length]!),
  });
  const cases: Array<[string, () => Promise<unknown>]> = [
    ['render 1-page directive (printed)', () => renderDirective(sampleInput())],
    [
      'render 1-page directive (pre-signing, with fields)',
      () => renderDirective(unnumbered, { mode: 'pre_signing' }),
    ],
    ['render 30-paragraph directive (printed)', () => renderDirective(thirty)],
  ];
  const rows: BenchRow[] = [];
  for (const [name, work] of cases) {
    rows.push({
      group: 'render',
      name,
      value: await perSecond(work, { warmUp: 5 }),
      unit: 'PDF/s',
      limit: floor,
      note: 'one core',
    });
  }
  return rows;
}
