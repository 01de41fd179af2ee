/**
 * Images for the demo's visible signatures, drawn here because a demo person has no
 * scanned handwritten signature and a demo unit no seal scan: a red round seal with a
 * star, and a pen stroke unique to each name. Real users upload their own images with
 * their key; these only make the demo look like what the offices will see.
 */
import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';

type Rgb = readonly [number, number, number];
const SEAL_RED: Rgb = [200, 16, 46];
const INK_BLUE: Rgb = [22, 44, 140];

/** Paints `rgb` with coverage `alpha` (0..1) over what is there (premultiplied max). */
function paint(png: PNG, x: number, y: number, rgb: Rgb, alpha: number): void {
  if (x < 0 || y < 0 || x >= png.width || y >= png.height || alpha <= 0) return;
  const i = (png.width * y + x) << 2;
  const a = Math.min(255, Math.max(png.data[i + 3]!, Math.round(alpha * 255)));
  png.data[i] = rgb[0];
  png.data[i + 1] = rgb[1];
  png.data[i + 2] = rgb[2];
  png.data[i + 3] = a;
}

/** A round seal: two rings and a five-pointed star, in seal red, on transparency. */
export function sealImage(size = 320): Uint8Array {
  const png = new PNG({ width: size, height: size });
  const c = size / 2;
  const rings: Array<[number, number]> = [
    [c * 0.94, c * 0.06],
    [c * 0.72, c * 0.025],
  ];
  const star = starPolygon(c, c, c * 0.28, c * 0.11);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x + 0.5 - c, y + 0.5 - c);
      let alpha = 0;
      for (const [radius, half] of rings)
        alpha = Math.max(alpha, 1 - Math.max(0, Math.abs(d - radius) - half));
      if (insidePolygon(x + 0.5, y + 0.5, star)) alpha = 1;
      paint(png, x, y, SEAL_RED, Math.min(1, alpha));
    }
  }
  return new Uint8Array(PNG.sync.write(png));
}

function starPolygon(cx: number, cy: number, outer: number, inner: number): Array<[number, number]> {
  const points: Array<[number, number]> = [];
  for (let k = 0; k < 10; k++) {
    const r = k % 2 === 0 ? outer : inner;
    const angle = -Math.PI / 2 + (k * Math.PI) / 5;
    points.push([cx + r * Math.cos(angle), cy + r * Math.sin(angle)]);
  }
  return points;
}

function insidePolygon(x: number, y: number, polygon: ReadonlyArray<[number, number]>): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** A flowing pen stroke whose shape follows from the name, so each signer's differs. */
export function signatureImage(name: string, width = 420, height = 160): Uint8Array {
  const png = new PNG({ width, height });
  const seed = createHash('sha256').update(name.normalize('NFC')).digest();
  const f1 = 1.5 + (seed[0]! % 5) * 0.5;
  const f2 = 3 + (seed[1]! % 7);
  const p1 = (seed[2]! / 255) * Math.PI * 2;
  const p2 = (seed[3]! / 255) * Math.PI * 2;
  const loops = 2 + (seed[4]! % 3);
  const pen = 2.6;
  let last: [number, number] | null = null;
  for (let step = 0; step <= 1600; step++) {
    const t = step / 1600;
    // A baseline that rises slightly, two waves, and small loops like joined letters.
    const loop = Math.sin(t * Math.PI * 2 * loops * 3);
    const x = 24 + t * (width - 60) + 14 * Math.cos(t * Math.PI * 2 * loops * 3);
    const y =
      height * 0.62 -
      t * 18 -
      28 * Math.sin(Math.PI * 2 * f1 * t + p1) -
      10 * Math.sin(Math.PI * 2 * f2 * t + p2) -
      12 * loop;
    if (last) stamp(png, last, [x, y], pen);
    last = [x, y];
  }
  // The final flourish: a long underline.
  stamp(png, [width * 0.18, height * 0.86], [width * 0.92, height * 0.8], pen * 0.8);
  return new Uint8Array(PNG.sync.write(png));
}

/** Draws a round-ended line of half-width `r`, anti-aliased by distance. */
function stamp(png: PNG, from: [number, number], to: [number, number], r: number): void {
  const [x0, y0] = from;
  const [x1, y1] = to;
  const minX = Math.floor(Math.min(x0, x1) - r - 1);
  const maxX = Math.ceil(Math.max(x0, x1) + r + 1);
  const minY = Math.floor(Math.min(y0, y1) - r - 1);
  const maxY = Math.ceil(Math.max(y0, y1) + r + 1);
  const dx = x1 - x0;
  const dy = y1 - y0;
  const length2 = dx * dx + dy * dy || 1;
  for (let y = minY; y <= maxY; y++) {
    for (let x = minX; x <= maxX; x++) {
      const t = Math.max(0, Math.min(1, ((x + 0.5 - x0) * dx + (y + 0.5 - y0) * dy) / length2));
      const d = Math.hypot(x + 0.5 - (x0 + t * dx), y + 0.5 - (y0 + t * dy));
      paint(png, x, y, INK_BLUE, Math.min(1, r - d + 0.5));
    }
  }
}
