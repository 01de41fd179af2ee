/**
 * Reports a unit requests from its sub-units. The monthly branch-meeting report (Hướng
 * dẫn 12-HD/BTCTW on the quality of branch meetings) records attendance, how long the
 * meeting lasted and whether a resolution was adopted; offices set their own deadline
 * (e.g. before the 25th). Periods are calendar months in Vietnam's time zone.
 */
import { DomainError } from './errors';
import type { UnitKind } from './org';
import { vietnamDate } from './time';

export const REPORT_KINDS = ['branch_meeting_monthly', 'general'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export const REPORT_KIND_TITLES: Record<ReportKind, string> = {
  branch_meeting_monthly: 'Báo cáo sinh hoạt chi bộ hằng tháng',
  general: 'Báo cáo',
};

/** What a branch-meeting report states, besides its text. */
export interface BranchMeetingFacts {
  present: number;
  total: number;
  durationMinutes: number;
  resolutionAdopted: boolean;
}

export interface ReportTarget {
  /** The requesting unit's subtree is searched for units of this kind. */
  unitKind: UnitKind;
}

/** "2026-11": the month a date falls in, in Asia/Ho_Chi_Minh. */
export function periodOf(at: Date | string): string {
  const { year, month } = vietnamDate(at);
  return `${year}-${String(month).padStart(2, '0')}`;
}

export function checkPeriod(period: string, field = 'period'): void {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period))
    throw new DomainError('validation', 'a period is a month, YYYY-MM', field);
}

/**
 * The deadline of a monthly report: `dueDay` of the period's month at 17:00 Vietnam time
 * (10:00 UTC), the end of an office day.
 */
export function monthlyDeadline(period: string, dueDay: number): string {
  checkPeriod(period);
  const [year, month] = period.split('-').map(Number) as [number, number];
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const day = Math.min(Math.max(1, dueDay), lastDay);
  return new Date(Date.UTC(year, month - 1, day, 10, 0, 0)).toISOString();
}

export function checkBranchMeeting(facts: BranchMeetingFacts, field = 'report'): void {
  if (!Number.isInteger(facts.total) || facts.total < 1) {
    throw new DomainError('validation', 'total must be the number of members, at least 1', `${field}.total`);
  }
  if (!Number.isInteger(facts.present) || facts.present < 0 || facts.present > facts.total) {
    throw new DomainError('validation', 'present must be between 0 and total', `${field}.present`);
  }
  if (
    !Number.isInteger(facts.durationMinutes) ||
    facts.durationMinutes < 1 ||
    facts.durationMinutes > 24 * 60
  ) {
    throw new DomainError(
      'validation',
      'durationMinutes must be a meeting length in minutes',
      `${field}.durationMinutes`,
    );
  }
}

/** The body paragraphs a branch-meeting report states its facts in. */
export function branchMeetingParagraphs(facts: BranchMeetingFacts): string[] {
  return [
    `Số đảng viên dự sinh hoạt: ${facts.present}/${facts.total} đồng chí.`,
    `Thời gian sinh hoạt: ${facts.durationMinutes} phút.`,
    facts.resolutionAdopted
      ? 'Chi bộ đã ra nghị quyết của kỳ sinh hoạt.'
      : 'Chi bộ chưa ra nghị quyết của kỳ sinh hoạt.',
  ];
}
