/**
 * The report as a person reads it: Vietnamese labels with the English term in brackets,
 * one line per check, a mark for its outcome.
 */
import type { Check, SignatureReport, Verdict, VerificationReport } from './report';

const VERDICT: Record<Verdict | 'unsigned', string> = {
  valid: 'HỢP LỆ (valid)',
  invalid: 'KHÔNG HỢP LỆ (invalid)',
  indeterminate: 'CHƯA XÁC ĐỊNH (indeterminate)',
  unsigned: 'KHÔNG CÓ CHỮ KÝ (no signatures)',
};

const MARK: Record<Check['status'], string> = {
  passed: '✓',
  failed: '✗',
  indeterminate: '?',
  not_applicable: '–',
};

const BASIS: Record<SignatureReport['signingTime']['basis'], string> = {
  signature_timestamp: 'dấu thời gian (timestamp)',
  document_timestamp: 'dấu thời gian tài liệu (document timestamp)',
  claimed: 'người ký khai (claimed)',
  validation_time: 'thời điểm kiểm tra (validation time)',
};

function line(label: string, c: Check): string {
  return `  ${MARK[c.status]} ${label}: ${c.message}`;
}

function signatureBlock(s: SignatureReport, total: number): string[] {
  const title =
    s.kind === 'document_timestamp' ? 'Dấu thời gian tài liệu (document timestamp)' : 'Chữ ký (signature)';
  const out = [`${title} ${s.index}/${total}: ${VERDICT[s.verdict]}`];
  out.push(
    `  Trường (field): ${s.field}${s.certification ? ` — chữ ký chứng nhận (certification), P=${s.certification.permissions}` : ''}`,
  );
  if (s.signer) {
    const who = [s.signer.commonName, s.signer.organization].filter(Boolean).join(' — ') || s.signer.subject;
    out.push(
      `  ${s.kind === 'document_timestamp' ? 'Đơn vị cấp dấu thời gian (TSA)' : 'Người ký (signer)'}: ${who}`,
    );
  }
  if (s.reason) out.push(`  Lý do (reason): ${s.reason}`);
  const t = s.signingTime;
  out.push(
    `  Thời điểm ký (signing time): ${t.used} — ${BASIS[t.basis]}${t.claimed && t.basis !== 'claimed' ? `; khai (claimed) ${t.claimed}` : ''}`,
  );
  if (s.kind === 'signature') out.push(`  Mức PAdES (PAdES level): ${s.padesLevel}`);
  const c = s.checks;
  out.push(line('Phạm vi byte (byte range)', c.byteRange));
  out.push(line('Toàn vẹn (digest)', c.digest));
  out.push(line('Mật mã (cryptography)', c.cryptography));
  out.push(line('Thuật toán (algorithms, TT 15/2025)', c.algorithmPolicy));
  out.push(line('Chứng thư ký (signing certificate)', c.signingCertificate));
  out.push(line('Chuỗi tin cậy (chain)', c.chain));
  if (c.chain.path.length > 0) out.push(`      ${c.chain.path.join('  →  ')}`);
  out.push(line('Hiệu lực chứng thư (certificate validity)', c.certificateValidity));
  out.push(line('Thu hồi (revocation)', c.revocation));
  out.push(line('Dấu thời gian (timestamp)', c.timestamp));
  out.push(line('Thay đổi sau khi ký (changes after signing)', c.modifications));
  for (const ch of c.modifications.changes.filter((x) => !x.allowed)) {
    out.push(`      ✗ phiên bản (revision) ${ch.revision}: ${ch.description}`);
  }
  if (s.reasons.length > 0) out.push(`  Lý do kết luận (reasons): ${s.reasons.join(', ')}`);
  return out;
}

export function formatVerificationSummary(report: VerificationReport, fileName?: string): string {
  const out: string[] = [];
  const n = report.signatures.length;
  out.push(
    `Tệp (file): ${fileName ?? '(input)'} — ${report.file.size} bytes, ${report.file.revisions} phiên bản (revisions), ${n} chữ ký (signatures)`,
  );
  for (const s of report.signatures) out.push('', ...signatureBlock(s, n));
  out.push('', `Kết luận (document): ${VERDICT[report.verdict]}`);
  return `${out.join('\n')}\n`;
}
