/**
 * Stream decoding for the structures a verifier must read: cross-reference streams and
 * object streams. Only FlateDecode (with PNG/TIFF predictors) is needed for those; the
 * output size is capped so a compression bomb is refused, not inflated.
 */
import { constants, inflateSync } from 'node:zlib';
import { PdfDict, PdfName, type PdfStream, type PdfValue } from './objects';
import { damaged } from './parser';

const MAX_DECODED = 256 * 1024 * 1024;

export function decodeStream(stream: PdfStream): Buffer {
  const filters = asList(stream.dict.get('Filter'));
  const params = asList(stream.dict.get('DecodeParms'));
  let data = stream.raw;
  filters.forEach((filter, i) => {
    if (!(filter instanceof PdfName)) throw damaged('A stream names a filter that is not a name.');
    const p = params[i];
    if (filter.value === 'FlateDecode' || filter.value === 'Fl') {
      data = inflate(data);
      if (p instanceof PdfDict) data = unpredict(data, p);
    } else {
      throw damaged(`Stream filter ${filter.value} is not supported for document structure.`);
    }
  });
  return data;
}

function asList(value: PdfValue | undefined): PdfValue[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function inflate(data: Buffer): Buffer {
  try {
    return inflateSync(data, { maxOutputLength: MAX_DECODED, finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    throw damaged('A compressed stream cannot be decompressed.');
  }
}

function unpredict(data: Buffer, params: PdfDict): Buffer {
  const predictor = numberOr(params.get('Predictor'), 1);
  if (predictor === 1) return data;
  const colors = numberOr(params.get('Colors'), 1);
  const bpc = numberOr(params.get('BitsPerComponent'), 8);
  const columns = numberOr(params.get('Columns'), 1);
  const bpp = Math.max(1, Math.ceil((colors * bpc) / 8));
  const rowLength = Math.ceil((colors * bpc * columns) / 8);
  if (rowLength <= 0 || rowLength > 1 << 20) throw damaged('Stream predictor parameters are out of range.');
  if (predictor === 2) {
    if (bpc !== 8) throw damaged('TIFF predictor with other than 8 bits per component is not supported.');
    const out = Buffer.from(data);
    for (let row = 0; row + rowLength <= out.length; row += rowLength) {
      for (let i = bpp; i < rowLength; i++) out[row + i] = (out[row + i]! + out[row + i - bpp]!) & 0xff;
    }
    return out;
  }
  if (predictor < 10) throw damaged(`Stream predictor ${predictor} is not supported.`);
  // PNG predictors: each row starts with a filter-type byte.
  const rows = Math.floor(data.length / (rowLength + 1));
  const out = Buffer.alloc(rows * rowLength);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (rowLength + 1)]!;
    const src = r * (rowLength + 1) + 1;
    const dst = r * rowLength;
    for (let i = 0; i < rowLength; i++) {
      const raw = data[src + i]!;
      const left = i >= bpp ? out[dst + i - bpp]! : 0;
      const up = r > 0 ? out[dst - rowLength + i]! : 0;
      const upLeft = r > 0 && i >= bpp ? out[dst - rowLength + i - bpp]! : 0;
      let v: number;
      switch (type) {
        case 0:
          v = raw;
          break;
        case 1:
          v = raw + left;
          break;
        case 2:
          v = raw + up;
          break;
        case 3:
          v = raw + ((left + up) >> 1);
          break;
        case 4: {
          const p = left + up - upLeft;
          const pa = Math.abs(p - left);
          const pb = Math.abs(p - up);
          const pc = Math.abs(p - upLeft);
          v = raw + (pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft);
          break;
        }
        default:
          throw damaged(`Unknown PNG predictor row type ${type}.`);
      }
      out[dst + i] = v & 0xff;
    }
  }
  return out;
}

function numberOr(value: PdfValue | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
