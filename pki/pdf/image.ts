/**
 * PNG and JPEG images as PDF image XObjects, for visible signature appearances. JPEG data
 * goes in unchanged (DCTDecode). PNG image data is passed through with a PNG predictor when
 * it has no alpha channel; with alpha (a seal scan on a transparent background) the
 * pixels are decoded and split into colour and an /SMask so the seal overlaps the
 * signature the way ink does.
 */
import { deflateSync } from 'node:zlib';
import { PkiError } from '../errors';
import { inflate, unfilterPng } from './filters';
import type { ObjectSink } from './font';
import { dict, name, PdfDict, type PdfRef, PdfStream, PdfString, type PdfValue } from './objects';

export interface EmbeddedImage {
  ref: PdfRef;
  width: number;
  height: number;
}

const bad = (message: string): PkiError => new PkiError('invalid_input', message);

/** Pixel size of a PNG or JPEG without decoding it (for layout). */
export function imageSize(bytes: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length > 24 && b.readUInt32BE(0) === 0x89504e47)
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (b.length > 4 && b[0] === 0xff && b[1] === 0xd8) {
    const frame = jpegFrame(b);
    return { width: frame.width, height: frame.height };
  }
  throw bad('The appearance image is neither PNG nor JPEG.');
}

export function embedImage(sink: ObjectSink, bytes: Uint8Array): EmbeddedImage {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length > 8 && b.readUInt32BE(0) === 0x89504e47) return embedPng(sink, b);
  if (b.length > 4 && b[0] === 0xff && b[1] === 0xd8) return embedJpeg(sink, b);
  throw bad('The appearance image is neither PNG nor JPEG.');
}

function jpegFrame(b: Buffer): { width: number; height: number; components: number } {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) throw bad('The JPEG image is damaged.');
    const marker = b[at + 1]!;
    if (marker === 0xff) {
      at++;
      continue;
    }
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame)
      return { height: b.readUInt16BE(at + 5), width: b.readUInt16BE(at + 7), components: b[at + 9]! };
    at += 2 + b.readUInt16BE(at + 2);
  }
  throw bad('The JPEG image has no frame header.');
}

function embedJpeg(sink: ObjectSink, b: Buffer): EmbeddedImage {
  const { width, height, components } = jpegFrame(b);
  const colorSpace = components === 1 ? 'DeviceGray' : components === 4 ? 'DeviceCMYK' : 'DeviceRGB';
  const d = dict({
    Type: name('XObject'),
    Subtype: name('Image'),
    Width: width,
    Height: height,
    ColorSpace: name(colorSpace),
    BitsPerComponent: 8,
    Filter: name('DCTDecode'),
    // Adobe-style CMYK JPEGs are stored inverted.
    Decode: components === 4 ? [1, 0, 1, 0, 1, 0, 1, 0] : undefined,
  });
  return { ref: sink.add(new PdfStream(d, b)), width, height };
}

interface PngInfo {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  palette?: Buffer;
  transparency?: Buffer;
  data: Buffer;
}

function readPng(b: Buffer): PngInfo {
  let at = 8;
  let header: Omit<PngInfo, 'data'> | undefined;
  const idat: Buffer[] = [];
  let palette: Buffer | undefined;
  let transparency: Buffer | undefined;
  while (at + 8 <= b.length) {
    const length = b.readUInt32BE(at);
    const type = b.toString('latin1', at + 4, at + 8);
    const body = b.subarray(at + 8, at + 8 + length);
    if (body.length !== length) throw bad('The PNG image is truncated.');
    if (type === 'IHDR') {
      if (body[12] !== 0)
        throw bad('Interlaced PNG images are not supported; save the image without interlacing.');
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        depth: body[8]!,
        colorType: body[9]!,
      };
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') transparency = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  if (!header || idat.length === 0) throw bad('The PNG image has no header or no image data.');
  if (![0, 2, 3, 4, 6].includes(header.colorType)) throw bad('The PNG image has an unknown colour type.');
  if (header.colorType === 3 && !palette) throw bad('The palette PNG image has no palette.');
  return { ...header, palette, transparency, data: Buffer.concat(idat) };
}

function embedPng(sink: ObjectSink, b: Buffer): EmbeddedImage {
  const png = readPng(b);
  const { width, height, depth, colorType } = png;
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType]!;
  const image = (d: PdfDict, data: Uint8Array): PdfRef => sink.add(new PdfStream(d, data));
  const base = (colorSpace: PdfValue, bpc: number): PdfDict =>
    dict({
      Type: name('XObject'),
      Subtype: name('Image'),
      Width: width,
      Height: height,
      ColorSpace: colorSpace,
      BitsPerComponent: bpc,
    });

  if (colorType === 0 || colorType === 2 || colorType === 3) {
    const colorSpace =
      colorType === 3
        ? [name('Indexed'), name('DeviceRGB'), png.palette!.length / 3 - 1, new PdfString(png.palette!, true)]
        : name(colorType === 0 ? 'DeviceGray' : 'DeviceRGB');
    const d = base(colorSpace, depth);
    d.set('Filter', name('FlateDecode'));
    d.set('DecodeParms', dict({ Predictor: 15, Colors: channels, BitsPerComponent: depth, Columns: width }));
    if (png.transparency && colorType !== 3) {
      // Colour-key transparency: one 16-bit sample per channel.
      const key: number[] = [];
      for (let i = 0; i + 1 < png.transparency.length; i += 2) key.push(png.transparency.readUInt16BE(i));
      d.set(
        'Mask',
        key.flatMap((v) => [v, v]),
      );
    } else if (png.transparency && colorType === 3) {
      d.set('SMask', paletteAlpha(png, image));
    }
    return { ref: image(d, png.data), width, height };
  }

  // Grey+alpha or RGBA: decode and split colour from alpha.
  const bytesPerSample = depth / 8;
  const bpp = channels * bytesPerSample;
  const pixels = unfilterPng(decompress(png.data), bpp, width * bpp);
  const colorChannels = channels - 1;
  const color = Buffer.alloc(width * height * colorChannels);
  const alpha = Buffer.alloc(width * height);
  for (let p = 0, c = 0; p < width * height; p++) {
    const at = p * bpp;
    for (let k = 0; k < colorChannels; k++) color[c++] = pixels[at + k * bytesPerSample]!;
    alpha[p] = pixels[at + colorChannels * bytesPerSample]!;
  }
  const smask = image(
    dict({
      Type: name('XObject'),
      Subtype: name('Image'),
      Width: width,
      Height: height,
      ColorSpace: name('DeviceGray'),
      BitsPerComponent: 8,
      Filter: name('FlateDecode'),
    }),
    deflateSync(alpha),
  );
  const d = base(name(colorChannels === 1 ? 'DeviceGray' : 'DeviceRGB'), 8);
  d.set('Filter', name('FlateDecode'));
  d.set('SMask', smask);
  return { ref: image(d, deflateSync(color)), width, height };
}

function paletteAlpha(png: PngInfo, image: (d: PdfDict, data: Uint8Array) => PdfRef): PdfRef {
  const { width, height, depth } = png;
  const rowBytes = Math.ceil((width * depth) / 8);
  const indices = unfilterPng(decompress(png.data), 1, rowBytes);
  const alpha = Buffer.alloc(width * height);
  const perByte = 8 / depth;
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const byte = indices[y * rowBytes + Math.floor(x / perByte)]!;
      const shift = 8 - depth * ((x % perByte) + 1);
      const index = (byte >> shift) & mask;
      alpha[y * width + x] = index < png.transparency!.length ? png.transparency![index]! : 255;
    }
  }
  return image(
    dict({
      Type: name('XObject'),
      Subtype: name('Image'),
      Width: width,
      Height: height,
      ColorSpace: name('DeviceGray'),
      BitsPerComponent: 8,
      Filter: name('FlateDecode'),
    }),
    deflateSync(alpha),
  );
}

function decompress(data: Uint8Array): Uint8Array {
  try {
    return inflate(data);
  } catch {
    throw bad('The PNG image data cannot be decompressed.');
  }
}
