/**
 * Stream decoding for the structures the reader and the verifier must see inside streams:
 * cross-reference streams, object streams and DSS entries. Only FlateDecode (with PNG/TIFF
 * predictors) is needed for those; page content is never decoded. Output size and predictor
 * rows are capped so a compression bomb is refused, not inflated.
 */
import { inflateSync, constants as zlib } from 'node:zlib';
import { PdfDict, PdfName, type PdfStream, type PdfValue } from './objects';
import { damaged } from './parser';

/** Inflated structure streams larger than this are refused (a "zip bomb" guard). */
const MAX_DECODED = 256 * 1024 * 1024;

/**
 * The stream's decoded bytes (a view of the stored data when it has no filter). `resolve`
 * follows indirect /Filter and /DecodeParms entries; without it they must be direct.
 */
export function decodeStream(stream: PdfStream, resolve: (v: PdfValue) => PdfValue = (v) => v): Buffer {
  const filters = asArray(resolve(stream.dict.get('Filter') ?? null));
  const params = asArray(resolve(stream.dict.get('DecodeParms') ?? null));
  let data = stream.data;
  filters.forEach((filter, i) => {
    const f = resolve(filter);
    if (!(f instanceof PdfName)) throw damaged('A stream has a malformed /Filter entry.');
    if (f.value !== 'FlateDecode' && f.value !== 'Fl') {
      throw damaged(`A structure stream uses the unsupported filter /${f.value}.`);
    }
    data = inflate(data);
    const p = resolve(params[i] ?? null);
    if (p instanceof PdfDict) data = unpredict(data, p, resolve);
  });
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function asArray(value: PdfValue): PdfValue[] {
  if (value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Inflates zlib data, refusing output beyond the structure-stream size limit. */
export function inflate(data: Uint8Array): Buffer {
  try {
    // A sync flush also accepts writers that omit the final checksum: what decodes is kept.
    return inflateSync(data, { finishFlush: zlib.Z_SYNC_FLUSH, maxOutputLength: MAX_DECODED });
  } catch (error) {
    throw damaged('A compressed structure stream cannot be decoded.', error);
  }
}

function unpredict(data: Uint8Array, params: PdfDict, resolve: (v: PdfValue) => PdfValue): Uint8Array {
  const num = (key: string, fallback: number): number => {
    const v = resolve(params.get(key) ?? null);
    return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
  };
  const predictor = num('Predictor', 1);
  if (predictor === 1) return data;
  const colors = num('Colors', 1);
  const bpc = num('BitsPerComponent', 8);
  const columns = num('Columns', 1);
  const bpp = Math.max(1, Math.ceil((colors * bpc) / 8));
  const rowLength = Math.ceil((colors * bpc * columns) / 8);
  if (!(rowLength > 0 && rowLength <= 1 << 20))
    throw damaged('Stream predictor parameters are out of range.');
  if (predictor === 2) {
    if (bpc !== 8) throw damaged('TIFF predictor with other than 8 bits per component is not supported.');
    const out = Uint8Array.from(data);
    for (let row = 0; row + rowLength <= out.length; row += rowLength) {
      for (let i = bpp; i < rowLength; i++) out[row + i] = (out[row + i]! + out[row + i - bpp]!) & 0xff;
    }
    return out;
  }
  if (predictor < 10) throw damaged(`Unknown predictor ${predictor}.`);
  return unfilterPng(data, bpp, rowLength);
}

/** Reverses PNG row filters (each row starts with a filter-type byte), as in PNG images and xref streams. */
export function unfilterPng(data: Uint8Array, bpp: number, rowLength: number): Uint8Array {
  const rows = Math.floor(data.length / (rowLength + 1));
  const out = new Uint8Array(rows * rowLength);
  let prev = new Uint8Array(rowLength);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (rowLength + 1)]!;
    const src = data.subarray(r * (rowLength + 1) + 1, (r + 1) * (rowLength + 1));
    const cur = out.subarray(r * rowLength, (r + 1) * rowLength);
    for (let i = 0; i < rowLength; i++) {
      const left = i >= bpp ? cur[i - bpp]! : 0;
      const up = prev[i]!;
      const upLeft = i >= bpp ? prev[i - bpp]! : 0;
      let v = src[i]!;
      switch (type) {
        case 0:
          break;
        case 1:
          v += left;
          break;
        case 2:
          v += up;
          break;
        case 3:
          v += (left + up) >> 1;
          break;
        case 4: {
          const p = left + up - upLeft;
          const pa = Math.abs(p - left);
          const pb = Math.abs(p - up);
          const pc = Math.abs(p - upLeft);
          v += pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
          break;
        }
        default:
          throw damaged(`Unknown PNG predictor row type ${type}.`);
      }
      cur[i] = v & 0xff;
    }
    prev = cur;
  }
  return out;
}
