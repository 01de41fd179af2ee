/**
 * The hot read of a document — status, versions, issuer — as one small prepared
 * statement (planned once per connection), shared by the polls that arrive together.
 */
import type { Sequelize } from 'sequelize';
import type { Actor } from '../db/people';
import { findVisibleDocument, holdsRole } from './authorization';
import { LookupBatcher } from './lookup-batcher';
import { onePer } from './one-per';
import { type PreparedQuery, preparedRows } from './prepared';

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
  /** The issued document this one replaces (thay thế), when it is a replacement. */
  replaces: DocumentLink | null;
  /** The replacement that superseded this document, once it has been dispatched. */
  replacedBy: DocumentLink | null;
  createdAt: string;
  updatedAt: string;
}

export interface DocumentLink {
  id: string;
  number: string | null;
}

const READ_DOCUMENT: PreparedQuery = {
  name: 'vanthu_read_documents_v1',
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
             'replaces', (SELECT json_build_object('id', o.id, 'number', o.number)
                            FROM document o WHERE o.id = d.replaces_document_id),
             'replacedBy', (SELECT json_build_object('id', r.id, 'number', r.number)
                              FROM document r
                             WHERE r.replaces_document_id = d.id AND r.status IN ('dispatched', 'closed')
                             ORDER BY r.issued_at LIMIT 1),
             'createdAt', d.created_at, 'updatedAt', d.updated_at) AS view,
           d.id, u.path, d.signer_person_id
      FROM document d JOIN org_unit u ON u.id = d.issuing_unit_id
     WHERE d.id = ANY($1::uuid[])`,
};

interface DocumentRow {
  id: string;
  view: DocumentView;
  path: string;
  signer_person_id: number | null;
}

/** Status polls of many callers share a round trip (see lookup-batcher.ts). */
const documentLookup = onePer(
  (sequelize: Sequelize) =>
    new LookupBatcher<string, DocumentRow>(async (ids) => {
      const rows = await preparedRows<DocumentRow>(sequelize, READ_DOCUMENT, [ids]);
      return new Map(rows.map((row) => [row.id, row]));
    }),
);

/**
 * The document as the api shows it, or null when it does not exist or is not visible.
 * Most readers belong to the issuing unit or above it, which the row itself shows; only
 * the others (recipients, members, approvers) cost the full visibility query.
 */
export async function readDocumentView(
  sequelize: Sequelize,
  documentId: string,
  viewer: Actor,
): Promise<DocumentView | null> {
  const row = await documentLookup(sequelize).get(documentId);
  if (!row) return null;
  const visible =
    holdsRole(viewer, row.path) ||
    row.signer_person_id === viewer.personId ||
    (await findVisibleDocument(sequelize, viewer, documentId)) !== null;
  return visible ? row.view : null;
}
