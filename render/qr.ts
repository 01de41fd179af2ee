/**
 * The verification QR code as vector modules: the `qrcode` package computes the symbol
 * (version, mask and error correction chosen by its fixed rules, so the same URL always
 * gives the same symbol), and the dark modules become rectangles, one per horizontal run,
 * drawn by the caller. No raster image, so the page stays sharp and the bytes deterministic.
 */
import QRCode from 'qrcode';

export interface QrSymbol {
  /** Modules per side, without the quiet zone. */
  size: number;
  /** Dark runs: row, first column, length (in modules). */
  runs: Array<{ row: number; col: number; length: number }>;
}

/** Error correction M (15 %): survives a worn printout without making the symbol dense. */
export function qrSymbol(text: string): QrSymbol {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const runs: QrSymbol['runs'] = [];
  for (let row = 0; row < modules.size; row++) {
    let start = -1;
    for (let col = 0; col <= modules.size; col++) {
      const dark = col < modules.size && modules.get(row, col) === 1;
      if (dark && start < 0) start = col;
      if (!dark && start >= 0) {
        runs.push({ row, col: start, length: col - start });
        start = -1;
      }
    }
  }
  return { size: modules.size, runs };
}
