/**
 * What a caller may do — decided here and only here. Roles are held in org units and
 * reach down the tree: a role held in a unit covers that unit and every unit under it (a
 * district leader sees the district and its wards and branches; a branch secretary only
 * the branch). Units are compared by their materialised paths (`/1/2/3/`).
 *
 * Two kinds of refusal, on purpose:
 *   - something the caller cannot see is "not found" (404), so another unit cannot even
 *     learn that a document exists;
 *   - something the caller can see but may not do is "forbidden" (403).
 * Route handlers call `assert…`/`require…` before they read or write anything.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Actor } from '../db/people';
import { DomainError } from '../domain/errors';
import type { Role } from '../domain/org';

/** Roles that may draft and submit documents for a unit. */
export const DRAFTING_ROLES: readonly Role[] = ['drafter', 'clerk', 'leader', 'signer', 'branch_secretary'];
/** Roles that act for a unit's office: a branch has no clerk, its secretary does it. */
export const OFFICE_ROLES: readonly Role[] = ['clerk', 'branch_secretary'];
/** Roles that lead a unit: assign work, recall, request reports. */
export const LEADING_ROLES: readonly Role[] = ['leader', 'branch_secretary'];
/** Roles of a unit's office staff (everyone but plain members). */
export const STAFF_ROLES: readonly Role[] = [
  'clerk',
  'drafter',
  'leader',
  'signer',
  'branch_secretary',
  'auditor',
  'admin',
];

export interface UnitRef {
  id: number;
  path: string;
  name: string;
}

/** True when the actor holds one of `roles` (any role when omitted) in the unit or above it. */
export function holdsRole(actor: Actor, unitPath: string, roles?: readonly Role[]): boolean {
  return actor.roles.some((r) => unitPath.startsWith(r.unitPath) && (!roles || roles.includes(r.role)));
}

/** A unit is visible to anyone holding any role in it or above it. */
export function canSeeUnit(actor: Actor, unitPath: string): boolean {
  return holdsRole(actor, unitPath);
}

export function canDraftFor(actor: Actor, unitPath: string): boolean {
  return holdsRole(actor, unitPath, DRAFTING_ROLES);
}

export function canAdminister(actor: Actor, unitPath: string): boolean {
  return holdsRole(actor, unitPath, ['admin']);
}

export function canAudit(actor: Actor, unitPath: string): boolean {
  return holdsRole(actor, unitPath, ['auditor']);
}

/**
 * `LIKE ANY` patterns for SQL over unit paths: every unit the actor reaches with one of
 * `roles` (any role when omitted). Paths hold only digits and slashes, so no escaping.
 * An empty array matches nothing.
 */
export function reachablePathPatterns(actor: Actor, roles?: readonly Role[]): string[] {
  const paths = actor.roles.filter((r) => !roles || roles.includes(r.role)).map((r) => r.unitPath);
  // A path under another one adds nothing.
  const minimal = paths.filter((p) => !paths.some((q) => q !== p && p.startsWith(q)));
  return [...new Set(minimal)].map((p) => `${p}%`);
}

/** Every unit path at or above the units where the actor holds `roles` (for "addressed to all under X"). */
export function ancestorPaths(actor: Actor, roles: readonly Role[]): string[] {
  const out = new Set<string>();
  for (const r of actor.roles.filter((held) => roles.includes(held.role))) {
    const ids = r.unitPath.split('/').filter(Boolean);
    for (let i = 1; i <= ids.length; i++) out.add(`/${ids.slice(0, i).join('/')}/`);
  }
  return [...out];
}

export async function findUnit(sequelize: Sequelize, unitId: number): Promise<UnitRef | null> {
  const [unit] = await sequelize.query<UnitRef>('SELECT id, path, name FROM org_unit WHERE id = $1', {
    bind: [unitId],
    type: QueryTypes.SELECT,
  });
  return unit ?? null;
}

/**
 * The unit, when the actor may act in it with one of `roles`: 404 when the unit does not
 * exist or is outside everything the actor can see, 403 when it is visible but the actor
 * lacks the role there.
 */
export async function requireUnitRole(
  sequelize: Sequelize,
  actor: Actor,
  unitId: number,
  roles: readonly Role[],
  field?: string,
): Promise<UnitRef> {
  const unit = await findUnit(sequelize, unitId);
  if (!unit || !canSeeUnit(actor, unit.path)) {
    throw new DomainError('not_found', `no unit ${unitId}`, field);
  }
  if (!holdsRole(actor, unit.path, roles)) {
    throw new DomainError(
      'forbidden',
      `this needs one of the roles ${roles.join(', ')} for ${unit.name}`,
      field,
    );
  }
  return unit;
}

export interface VisibleDocument {
  id: string;
  issuingUnitId: number;
  issuerPath: string;
  status: string;
  currentVersion: number;
  signerPersonId: number | null;
}

/**
 * Who sees a document: anyone with a role in the issuing unit or above it; anyone with a
 * role in a unit it was delivered to, or above that unit; anyone with a role in or under
 * a unit it was addressed to as a member notice; its signer and its approvers.
 */
export async function findVisibleDocument(
  sequelize: Sequelize,
  actor: Actor,
  documentId: string,
): Promise<VisibleDocument | null> {
  const reach = reachablePathPatterns(actor);
  const [row] = await sequelize.query<{
    id: string;
    issuing_unit_id: number;
    path: string;
    status: string;
    current_version: number;
    signer_person_id: number | null;
  }>(
    `SELECT d.id, d.issuing_unit_id, u.path, d.status, d.current_version, d.signer_person_id
       FROM document d JOIN org_unit u ON u.id = d.issuing_unit_id
      WHERE d.id = $1
        AND (u.path LIKE ANY ($2::text[])
             OR d.signer_person_id = $4
             OR EXISTS (SELECT 1 FROM approval_step s WHERE s.document_id = d.id AND $4 = ANY (s.approvers))
             OR EXISTS (SELECT 1 FROM delivery v JOIN org_unit r ON r.id = v.recipient_unit_id
                         WHERE v.document_id = d.id AND r.path LIKE ANY ($2::text[]))
             OR EXISTS (SELECT 1 FROM document_audience a, unnest($3::text[]) AS held(path)
                         WHERE a.document_id = d.id AND held.path LIKE a.unit_path || '%'))`,
    {
      bind: [documentId, reach, actor.roles.map((r) => r.unitPath), actor.personId],
      type: QueryTypes.SELECT,
    },
  );
  return row
    ? {
        id: row.id,
        issuingUnitId: row.issuing_unit_id,
        issuerPath: row.path,
        status: row.status,
        currentVersion: row.current_version,
        signerPersonId: row.signer_person_id,
      }
    : null;
}

/** The document if the actor may see it; otherwise "not found", never "forbidden". */
export async function assertDocumentVisible(
  sequelize: Sequelize,
  actor: Actor,
  documentId: string,
): Promise<VisibleDocument> {
  const document = await findVisibleDocument(sequelize, actor, documentId);
  if (!document) throw new DomainError('not_found', `no document ${documentId}`);
  return document;
}

/** For a visible thing: 403 unless the actor holds one of `roles` over `unitPath`. */
export function requireRole(actor: Actor, unitPath: string, roles: readonly Role[], what: string): void {
  if (!holdsRole(actor, unitPath, roles)) {
    throw new DomainError(
      'forbidden',
      `you may not ${what}; this needs one of the roles ${roles.join(', ')}`,
    );
  }
}

/** A visible document, when the actor also holds one of `roles` over its issuing unit (else 403). */
export async function documentForRole(
  sequelize: Sequelize,
  actor: Actor,
  documentId: string,
  roles: readonly Role[],
  what: string,
): Promise<VisibleDocument> {
  const document = await assertDocumentVisible(sequelize, actor, documentId);
  requireRole(actor, document.issuerPath, roles, what);
  return document;
}
