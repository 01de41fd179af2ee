/**
 * A sample directive and the outside tools that judge rendered PDFs: poppler's pdftotext
 * (plain, layout and word boxes), pdffonts, pdfinfo and pdftoppm (pixels, for the QR code
 * and the seal), and qpdf.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DirectiveInput } from '../../render/input';
import { command } from '../pki/pades-judges';

export const VERIFY_URL = 'https://vanthu.hanoi.dcs.vn/xac-thuc/3f2a9c1e-7b4d-4e8a-9f61-2c5d8e0b7a13';

/** Body paragraphs carrying every kind of Vietnamese tone mark. */
export const SAMPLE_PARAGRAPHS = [
  'Thực hiện Nghị quyết số 57-NQ/TW của Bộ Chính trị về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia, Ban Thường vụ Thành ủy yêu cầu các cấp ủy, tổ chức Đảng quán triệt, thực hiện tốt các nội dung sau.',
  'Ưu tiên bố trí nguồn lực cho chuyển đổi số; văn bản hỏa tốc, Thượng khẩn phải được xử lý ngay trong ngày, không để chậm trễ, ùn tắc.',
  'Người đứng đầu cấp ủy chịu trách nhiệm trực tiếp; định kỳ sáu tháng báo cáo kết quả, những khó khăn, vướng mắc và đề xuất giải pháp tháo gỡ kịp thời (qua Văn phòng Thành ủy).',
];

export function sampleInput(overrides: Partial<DirectiveInput> = {}): DirectiveInput {
  return {
    issuer: { superior: 'Đảng bộ thành phố Hà Nội', name: 'Thành ủy', abbreviation: 'TU' },
    documentType: { name: 'Chỉ thị', abbreviation: 'CT' },
    subject: 'về tăng cường lãnh đạo chuyển đổi số trong các cơ quan đảng',
    body: [
      { kind: 'heading', text: 'I. MỤC TIÊU, YÊU CẦU' },
      SAMPLE_PARAGRAPHS[0]!,
      { kind: 'heading', text: '1. Nhiệm vụ trọng tâm' },
      { kind: 'bullet', text: SAMPLE_PARAGRAPHS[1]! },
      `- ${SAMPLE_PARAGRAPHS[2]}`,
    ],
    urgency: 'thuong_khan',
    signer: { authority: 'T/M Ban Thường vụ', title: 'Bí thư', name: 'Nguyễn Văn Phong' },
    recipients: ['Ban Bí thư Trung ương Đảng (để báo cáo),', 'Các huyện ủy, quận ủy, thị ủy,'],
    place: 'Hà Nội',
    date: '2026-11-22',
    number: 12,
    verificationUrl: VERIFY_URL,
    ...overrides,
  };
}

export function save(dir: string, name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

async function run(tool: string, args: string[]): Promise<string> {
  const result = await command(tool, args);
  if (result.code !== 0)
    throw new Error(`${tool} ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

export const pdftotext = (file: string, ...args: string[]): Promise<string> =>
  run('pdftotext', [...args, file, '-']);

export async function pageCount(file: string): Promise<number> {
  return Number(/^Pages:\s+(\d+)/m.exec(await run('pdfinfo', [file]))?.[1]);
}

export interface FontRow {
  name: string;
  type: string;
  embedded: boolean;
  subset: boolean;
  unicode: boolean;
}

export async function pdffonts(file: string): Promise<FontRow[]> {
  const lines = (await run('pdffonts', [file])).split('\n').slice(2).filter(Boolean);
  return lines.map((line) => {
    const cols = line.trim().split(/\s+/);
    // name, type words…, encoding, emb, sub, uni, object, id
    const [emb, sub, uni] = cols.slice(-5, -2);
    return {
      name: cols[0]!,
      type: cols.slice(1, -6).join(' '),
      embedded: emb === 'yes',
      subset: sub === 'yes',
      unicode: uni === 'yes',
    };
  });
}

export interface Word {
  page: number;
  text: string;
  /** Points from the page's top-left corner, as pdftotext reports them. */
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

/** Every word with its box (`pdftotext -bbox`). */
export async function words(file: string): Promise<Word[]> {
  const html = await pdftotext(file, '-bbox');
  const result: Word[] = [];
  let page = -1;
  const re = /<page\b|<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    if (m[0] === '<page') {
      page++;
      continue;
    }
    result.push({
      page,
      text: decodeEntities(m[5]!),
      xMin: Number(m[1]),
      yMin: Number(m[2]),
      xMax: Number(m[3]),
      yMax: Number(m[4]),
    });
  }
  return result;
}

const decodeEntities = (s: string): string =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

export interface Raster {
  width: number;
  height: number;
  /** Pixels per PDF point. */
  scale: number;
  rgb: Buffer;
}

/** One page rendered by pdftoppm to RGB pixels. */
export async function rasterise(file: string, page: number, dpi: number): Promise<Raster> {
  const out = `${file}-p${page}-${dpi}`;
  await run('pdftoppm', [
    '-r',
    String(dpi),
    '-f',
    String(page + 1),
    '-l',
    String(page + 1),
    '-singlefile',
    file,
    out,
  ]);
  const ppm = readFileSync(`${out}.ppm`);
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 50).toString('latin1'))!;
  return {
    width: Number(header[1]),
    height: Number(header[2]),
    scale: dpi / 72,
    rgb: ppm.subarray(header[0].length),
  };
}

export function rgba(raster: Raster): Uint8ClampedArray {
  const out = new Uint8ClampedArray(raster.width * raster.height * 4);
  for (let i = 0, j = 0; i < raster.rgb.length; i += 3, j += 4) {
    out[j] = raster.rgb[i]!;
    out[j + 1] = raster.rgb[i + 1]!;
    out[j + 2] = raster.rgb[i + 2]!;
    out[j + 3] = 255;
  }
  return out;
}

/** Pixels in a PDF rectangle (origin lower left) that pass a colour test. */
export function countPixels(
  raster: Raster,
  rect: { x: number; y: number; width: number; height: number },
  test: (r: number, g: number, b: number) => boolean,
): number {
  const s = raster.scale;
  let n = 0;
  const top = Math.floor((841.89 - rect.y - rect.height) * s);
  const bottom = Math.ceil((841.89 - rect.y) * s);
  for (let y = Math.max(0, top); y < Math.min(raster.height, bottom); y++) {
    for (
      let x = Math.max(0, Math.floor(rect.x * s));
      x < Math.min(raster.width, (rect.x + rect.width) * s);
      x++
    ) {
      const at = (y * raster.width + x) * 3;
      if (test(raster.rgb[at]!, raster.rgb[at + 1]!, raster.rgb[at + 2]!)) n++;
    }
  }
  return n;
}

/** Text with every run of white space (line breaks, page breaks) as one space. */
export const flat = (text: string): string => text.replace(/\s+/g, ' ').trim();
