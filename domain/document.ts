/**
 * What a document is, independent of storage: urgency, secrecy (refused), the structured
 * draft a drafter writes, and the checks every intake applies.
 */
import { DomainError } from './errors';
import type { RecipientSpec } from './recipients';
import type { BranchMeetingFacts } from './reports';

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

export const SIGNING_AUTHORITIES = ['TM', 'KT', 'TL', 'TUQ'] as const;
/** Thẩm quyền ký: T/M (on behalf of the collective), K/T (deputy for the head), T/L, T.U.Q. */
export type SigningAuthority = (typeof SIGNING_AUTHORITIES)[number];
export const SIGNING_AUTHORITY_LABELS: Record<SigningAuthority, string> = {
  TM: 'T/M',
  KT: 'K/T',
  TL: 'T/L',
  TUQ: 'T.U.Q',
};

export interface SignerChoice {
  personId: number;
  authority?: SigningAuthority;
  /** The body signed for, e.g. "BAN THƯỜNG VỤ" after T/M, or "BÍ THƯ" after K/T. */
  authorityBody?: string;
}

export type BodyBlock = string | { kind: 'paragraph' | 'heading' | 'bullet'; text: string };

export interface AttachmentRef {
  sha256: string;
  fileName: string;
}

/**
 * The structured content a drafter writes; rendering turns it into the official PDF.
 * Everything that the approval must pin is in here, so that approving a version pins
 * its text, its recipients, its signer and its deadline together.
 */
export interface DraftContent {
  subject: string;
  /** Paragraphs of the body in order; objects mark headings ("I. …") and dashed items. */
  body: BodyBlock[];
  /** Free text for "Nơi nhận" when it differs from the resolved recipients. */
  recipientsNote?: string;
  recipients?: RecipientSpec[];
  signer?: SignerChoice;
  /** ISO 8601; when recipients owe an answer. */
  responseDue?: string;
  /** After a deadline's reminder, how long until the overdue are escalated (default 24 h). */
  escalateAfterMinutes?: number;
  attachments?: AttachmentRef[];
  /** Structured facts of a report (e.g. a branch meeting), besides its text. */
  report?: BranchMeetingFacts;
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
