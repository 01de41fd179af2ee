/**
 * What a document is, independent of storage: urgency, secrecy (refused), the structured
 * draft a drafter writes, and the checks every intake applies.
 */
import { DomainError } from './errors';

export const URGENCIES = ['thuong', 'khan', 'thuong_khan', 'hoa_toc'] as const;
export type Urgency = (typeof URGENCIES)[number];
export const URGENCY_LABELS: Record<Urgency, string> = {
  thuong: 'Thường',
  khan: 'Khẩn',
  thuong_khan: 'Thượng khẩn',
  hoa_toc: 'Hỏa tốc',
};

/** Secrecy grades that must never enter a networked system. */
export const SECRET_GRADES = ['mat', 'toi_mat', 'tuyet_mat'] as const;
const SECRET_WORDS = /^(mật|mat|tối mật|toi mat|toi_mat|tuyệt mật|tuyet mat|tuyet_mat)$/i;

/**
 * Refuses a secret document at the door. Called before anything of the document is
 * stored, so a refusal leaves no trace but the refusal itself.
 */
export function refuseSecret(secrecy: string | null | undefined): void {
  if (!secrecy) return;
  const value = secrecy.trim().normalize('NFC');
  if (value === '' || /^(none|không|khong|thường|thuong)$/i.test(value)) return;
  if (SECRET_WORDS.test(value) || (SECRET_GRADES as readonly string[]).includes(value.toLowerCase())) {
    throw new DomainError(
      'secret_refused',
      'Văn bản mật (mật, tối mật, tuyệt mật) không được đưa vào hệ thống mạng — secret documents must not enter this system',
      'secrecy',
    );
  }
  throw new DomainError('validation', `unknown secrecy grade "${secrecy}"`, 'secrecy');
}

/** The structured content a drafter writes; rendering turns it into the official PDF. */
export interface DraftContent {
  subject: string;
  /** Paragraphs (or sections) of the body, in order. */
  body: string[];
  /** Free text for "Nơi nhận" when it differs from the resolved recipients. */
  recipientsNote?: string;
}

/** Canonical JSON: sorted keys, no whitespace, NFC text — so equal content hashes equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(typeof value === 'string' ? value.normalize('NFC') : value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
