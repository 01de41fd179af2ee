/**
 * CSV as spreadsheet programs read it (RFC 4180, CRLF, UTF-8 with a byte-order mark so
 * Excel shows Vietnamese letters), with cells that a spreadsheet would run as a formula
 * made inert by a leading apostrophe (OWASP's advice against CSV injection).
 */
export const CSV_BOM = '\uFEFF';

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string): string {
  const inert = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(inert) ? `"${inert.replaceAll('"', '""')}"` : inert;
}

export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
