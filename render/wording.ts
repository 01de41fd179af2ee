/**
 * The fixed wording of a Party document's parts, shared by the printed render and by the
 * values the clerk later fills into the number and date fields, so both read the same.
 */
import type { Urgency } from '../domain/document';
import { DomainError } from '../domain/errors';
import { padSequence } from '../domain/numbering';
import { DOCUMENT_NUMBER_FIELD, ISSUE_DATE_FIELD } from '../pki/pades/fields';

export const PARTY_HEADING = 'ĐẢNG CỘNG SẢN VIỆT NAM';

/** Urgency marks as stamped; "thường" has none. */
export const URGENCY_MARKS: Record<Urgency, string | undefined> = {
  thuong: undefined,
  khan: 'KHẨN',
  thuong_khan: 'THƯỢNG KHẨN',
  hoa_toc: 'HỎA TỐC',
};

export const upper = (text: string): string => text.toLocaleUpperCase('vi');

/** The part after the sequence: "-CT/TU". */
export function numberSuffix(typeAbbreviation: string, issuerAbbreviation: string): string {
  return `-${typeAbbreviation}/${issuerAbbreviation}`;
}

/**
 * "ngày 22 tháng 11 năm 2026": days below 10 and the months 1 and 2 take a leading zero,
 * as in the guidance, so no digit can be added by hand afterwards.
 */
export function dateWords(isoDate: string): string {
  const [year, month, day] = isoDate.split('-').map(Number) as [number, number, number];
  const dd = String(day).padStart(2, '0');
  const mm = month <= 2 ? String(month).padStart(2, '0') : String(month);
  return `ngày ${dd} tháng ${mm} năm ${year}`;
}

/** The longest a date can read, to size the date field before the date is known. */
export const WIDEST_DATE = 'ngày 28 tháng 12 năm 2099';
/** The widest sequence the number field is sized for. */
export const WIDEST_SEQUENCE = '0000';

/**
 * The values for the clerk's fill-in after the leader has signed (the form fields the
 * pre-signing render created): the padded sequence and the date words, exactly what a
 * printed render would show in those places.
 */
export function issuanceFieldValues(sequence: number, isoDate: string): Record<string, string> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(isoDate)) {
    throw new DomainError('validation', 'date: must be a date YYYY-MM-DD', 'date');
  }
  return { [DOCUMENT_NUMBER_FIELD]: padSequence(sequence), [ISSUE_DATE_FIELD]: dateWords(isoDate) };
}
