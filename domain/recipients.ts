/**
 * Who a document goes to: named units, every unit of a kind under a unit ("every branch
 * under district X", "every grassroots committee of the city"), or every member under a
 * unit ("every member of ward Y", who read it directly).
 */
import { DomainError } from './errors';
import { UNIT_KINDS, type UnitKind } from './org';

export type RecipientSpec =
  | { kind: 'unit'; unitId: number }
  | { kind: 'units_under'; unitId: number; unitKind: UnitKind }
  | { kind: 'members_under'; unitId: number };

export const MAX_RECIPIENT_SPECS = 200;

/** Structural checks; whether the units exist is the database's to say. */
export function checkRecipients(specs: readonly RecipientSpec[], field = 'recipients'): void {
  if (specs.length > MAX_RECIPIENT_SPECS) {
    throw new DomainError('validation', `at most ${MAX_RECIPIENT_SPECS} recipient entries`, field);
  }
  const seen = new Set<string>();
  for (const [i, spec] of specs.entries()) {
    if (!Number.isInteger(spec.unitId) || spec.unitId <= 0) {
      throw new DomainError('validation', 'unitId must be a unit id', `${field}.${i}.unitId`);
    }
    if (spec.kind === 'units_under' && !UNIT_KINDS.includes(spec.unitKind)) {
      throw new DomainError('validation', `unknown unit kind "${spec.unitKind}"`, `${field}.${i}.unitKind`);
    }
    const key = JSON.stringify(spec);
    if (seen.has(key))
      throw new DomainError('validation', 'the same recipient is named twice', `${field}.${i}`);
    seen.add(key);
  }
}

export function hasRecipients(specs: readonly RecipientSpec[] | undefined): boolean {
  return (specs?.length ?? 0) > 0;
}
