/**
 * How official numbers read and how registers count.
 *
 * Party: `Số 12-CT/TU` — sequence, type abbreviation, issuer abbreviation; counted per
 * document type within a committee term (nhiệm kỳ). State (Nghị định 30/2020, Điều 15):
 * `Số: 12/QĐ-UBND`, counted per calendar year. Sequences below 10 are written with a
 * leading zero ("from 01").
 */
import { DomainError } from './errors';

export type NumberingScheme = 'party' | 'state';

export interface RegisterPolicy {
  scheme: NumberingScheme;
  /** One sequence per document type, or one shared by all types. */
  sequence: 'per_type' | 'shared';
  /** When the count starts again from 01. */
  reset: 'term' | 'year';
}

export const PARTY_REGISTER: RegisterPolicy = { scheme: 'party', sequence: 'per_type', reset: 'term' };
export const STATE_REGISTER: RegisterPolicy = { scheme: 'state', sequence: 'shared', reset: 'year' };

export function padSequence(sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1) {
    throw new DomainError('validation', `a register sequence must be a whole number from 1, not ${sequence}`);
  }
  return sequence < 10 ? `0${sequence}` : String(sequence);
}

/** `12-CT/TU` (without "Số"). A type with no Party abbreviation is refused. */
export function partyNumber(
  sequence: number,
  typeAbbreviation: string | null,
  issuerAbbreviation: string,
): string {
  if (!typeAbbreviation)
    throw new DomainError('validation', 'this document type has no Party number abbreviation');
  return `${padSequence(sequence)}-${typeAbbreviation}/${issuerAbbreviation}`;
}

/**
 * `12/QĐ-UBND`; a type with no State abbreviation (công văn) reads `12/UBND-VP`, naming
 * the drafting unit instead.
 */
export function stateNumber(
  sequence: number,
  typeAbbreviation: string | null,
  issuerAbbreviation: string,
  draftingUnitAbbreviation?: string,
): string {
  const seq = padSequence(sequence);
  if (typeAbbreviation) return `${seq}/${typeAbbreviation}-${issuerAbbreviation}`;
  return draftingUnitAbbreviation
    ? `${seq}/${issuerAbbreviation}-${draftingUnitAbbreviation}`
    : `${seq}/${issuerAbbreviation}`;
}

/** The number line as printed: Party `Số 12-CT/TU`, State `Số: 12/QĐ-UBND`. */
export function numberLine(scheme: NumberingScheme, number: string): string {
  return scheme === 'party' ? `Số ${number}` : `Số: ${number}`;
}

/**
 * The key of the sequence a new number is drawn from: which counter, in which period.
 * `term` is the committee term label (e.g. "2025-2030"); `year` the calendar year in
 * Asia/Ho_Chi_Minh.
 */
export function sequenceKey(
  policy: RegisterPolicy,
  typeCode: string,
  period: { term: string; year: number },
): { series: string; period: string } {
  return {
    series: policy.sequence === 'per_type' ? typeCode : '*',
    period: policy.reset === 'term' ? `term:${period.term}` : `year:${period.year}`,
  };
}
