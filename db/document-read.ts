/**
 * The hot read of a document — status, versions, issuer — in one prepared statement that
 * also decides visibility, so a status poll costs one round trip. The visibility rule is
 * the one of api/authorization.ts (findVisibleDocument), repeated here in SQL on purpose:
 * the two are checked against each other by the access test.
 */
import type { Sequelize } from 'sequelize';
import { type PreparedQuery, preparedRows } from '../api/prepared';

export interface DocumentView {
  id: string;
  number: string | null;
  type: string;
  subject: string;
  status: string;
  urgency: string;
  issuingUnit: { id: number; code: string; name: string };
  createdBy: number;
  currentVersion: number;
  versions: Array<{ version: number; sha256: string; createdAt: string }>;
  workflowId: string;
  responseDue: string | null;
  issuedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const READ_DOCUMENT: PreparedQuery = {
  name: 'vanthu_read_document_v1',
  text: `
    SELECT json_build_object(
             'id', d.id, 'number', d.number, 'type', d.type_code, 'subject', d.subject, 'status', d.status,
             'urgency', d.urgency,
             'issuingUnit', json_build_object('id', u.id, 'code', u.code, 'name', u.name),
             'createdBy', d.created_by, 'currentVersion', d.current_version,
             'versions', (SELECT json_agg(json_build_object('version', v.version, 'sha256', v.sha256,
                                                            'createdAt', v.created_at) ORDER BY v.version)
                            FROM document_version v WHERE v.document_id = d.id),
             'workflowId', d.workflow_id, 'responseDue', d.response_due, 'issuedAt', d.issued_at,
             'createdAt', d.created_at, 'updatedAt', d.updated_at) AS view
      FROM document d JOIN org_unit u ON u.id = d.issuing_unit_id
     WHERE d.id = $1
       AND (u.path LIKE ANY ($2::text[])
            OR d.signer_person_id = $4
            OR EXISTS (SELECT 1 FROM approval_step s WHERE s.document_id = d.id AND $4 = ANY (s.approvers))
            OR EXISTS (SELECT 1 FROM delivery v JOIN org_unit r ON r.id = v.recipient_unit_id
                        WHERE v.document_id = d.id AND r.path LIKE ANY ($2::text[]))
            OR EXISTS (SELECT 1 FROM document_audience a, unnest($3::text[]) AS held(path)
                        WHERE a.document_id = d.id AND held.path LIKE a.unit_path || '%'))`,
};

/** The document as the api shows it, or null when it does not exist or is not visible. */
export async function readDocumentView(
  sequelize: Sequelize,
  documentId: string,
  viewer: { personId: number; reach: readonly string[]; rolePaths: readonly string[] },
): Promise<DocumentView | null> {
  const [row] = await preparedRows<{ view: DocumentView }>(sequelize, READ_DOCUMENT, [
    documentId,
    viewer.reach,
    viewer.rolePaths,
    viewer.personId,
  ]);
  return row?.view ?? null;
}
