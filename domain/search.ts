/**
 * Search that ignores diacritics: "chi thi" finds "chỉ thị". Text is folded once when it
 * is written (lower case, no combining marks, đ → d) and queries are folded the same way,
 * so any PostgreSQL can index it without extensions.
 */
export function foldForSearch(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}
