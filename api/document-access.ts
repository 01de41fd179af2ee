/**
 * Who may see and act on a document. Roles reach down the tree: a role held in a unit
 * covers the unit and everything under it. A document is visible to the issuing unit's
 * people (and those above), to its approvers and signer, to the people of every recipient
 * unit (and those above them), and to the members it is addressed to. Anyone else gets
 * "not found": a unit must not learn that another unit's document exists.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { type Actor, holdsRoleOver } from '../db/people';
import { DomainError } from '../domain/errors';
import type { Role } from '../domain/org';

export interface DocumentAccessRow {
  id: string;
  status: string;
  issuing_unit_id: number;
  unit_path: string;
  unit_kind: string;
  current_version: number;
  signer_person_id: number | null;
  created_by: number;
}

export async function loadDocumentRow(
  sequelize: Sequelize,
  id: string,
): Promise<DocumentAccessRow | undefined> {
  const [row] = await sequelize.query<DocumentAccessRow>(
    `SELECT d.id, d.status, d.issuing_unit_id, u.path AS unit_path, u.kind AS unit_kind, d.current_version,
            d.signer_person_id, d.created_by
       FROM document d JOIN org_unit u ON u.id = d.issuing_unit_id WHERE d.id = $1`,
    { bind: [id], type: QueryTypes.SELECT },
  );
  return row;
}

async function reachesAsRecipient(sequelize: Sequelize, actor: Actor, documentId: string): Promise<boolean> {
  const paths = actor.roles.map((r) => r.unitPath);
  if (paths.length === 0) return false;
  const [row] = await sequelize.query<{ found: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM delivery dl JOIN org_unit u ON u.id = dl.recipient_unit_id
        WHERE dl.document_id = $1 AND u.path LIKE ANY (SELECT p || '%' FROM unnest($2::text[]) AS p)
       UNION ALL
       SELECT 1 FROM document_audience a
        WHERE a.document_id = $1 AND EXISTS (SELECT 1 FROM unnest($2::text[]) AS p WHERE p LIKE a.unit_path || '%')
     ) AS found`,
    { bind: [documentId, paths], type: QueryTypes.SELECT },
  );
  return row?.found ?? false;
}

async function isApprover(sequelize: Sequelize, actor: Actor, documentId: string): Promise<boolean> {
  const [row] = await sequelize.query<{ found: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM approval_step WHERE document_id = $1 AND $2 = ANY(approvers)) AS found',
    { bind: [documentId, actor.personId], type: QueryTypes.SELECT },
  );
  return row?.found ?? false;
}

/** The document if `actor` may see it; otherwise "not found". */
export async function visibleDocument(
  sequelize: Sequelize,
  actor: Actor,
  id: string,
): Promise<DocumentAccessRow> {
  const row = await loadDocumentRow(sequelize, id);
  if (
    row &&
    (holdsRoleOver(actor, row.unit_path) ||
      row.signer_person_id === actor.personId ||
      (await isApprover(sequelize, actor, id)) ||
      (await reachesAsRecipient(sequelize, actor, id)))
  ) {
    return row;
  }
  throw new DomainError('not_found', `no document ${id}`);
}

/** Like visibleDocument, and the actor must hold one of `roles` in the issuing unit or above. */
export async function documentForIssuer(
  sequelize: Sequelize,
  actor: Actor,
  id: string,
  roles: readonly Role[],
  what: string,
): Promise<DocumentAccessRow> {
  const row = await visibleDocument(sequelize, actor, id);
  if (!holdsRoleOver(actor, row.unit_path, roles)) {
    throw new DomainError('forbidden', `only ${roles.join(' or ')} of the issuing unit may ${what}`);
  }
  return row;
}

/** Roles that act for a unit's office: a branch has no clerk, its secretary does it. */
export const OFFICE_ROLES: readonly Role[] = ['clerk', 'branch_secretary'];
export const DRAFTING_ROLES: readonly Role[] = ['drafter', 'clerk', 'leader', 'signer', 'branch_secretary'];
export const LEADING_ROLES: readonly Role[] = ['leader', 'branch_secretary'];
