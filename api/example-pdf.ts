/**
 * The smallest well-formed one-page PDF, built with a correct cross-reference table: what
 * the access examples upload and verify where a route wants a PDF.
 */
export const MINIMAL_PDF = (() => {
  const objects = [
    '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n',
    '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n',
    '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets = objects.map((object) => {
    const at = pdf.length;
    pdf += object;
    return at;
  });
  const xref = pdf.length;
  pdf += `xref\n0 4\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  return `${pdf}trailer << /Size 4 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
})();
