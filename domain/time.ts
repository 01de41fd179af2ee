/**
 * Calendar facts in Vietnam's time zone (Asia/Ho_Chi_Minh, UTC+7 all year, no daylight
 * saving): registers count per calendar year there, and dates on documents read there.
 */
const VIETNAM_OFFSET_MS = 7 * 3_600_000;

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

export function vietnamDate(at: Date | string): CalendarDate {
  const shifted = new Date(new Date(at).getTime() + VIETNAM_OFFSET_MS);
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

/**
 * "ngày 05 tháng 3 năm 2026": days below 10 and the months January and February take a
 * leading zero, other months do not (Nghị định 30/2020, Phụ lục I).
 */
export function vietnameseDateWords(date: CalendarDate): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const month = date.month <= 2 ? two(date.month) : String(date.month);
  return `ngày ${two(date.day)} tháng ${month} năm ${date.year}`;
}
