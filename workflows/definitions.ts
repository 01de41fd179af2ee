/**
 * The public face of the document workflow: its id, its Updates and Queries. The api
 * imports this file (and only types from the workflow itself), so client code never
 * loads workflow code.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DocumentSummary, NewDraft } from '../activities/documents';

export interface DocumentWorkflowInput {
  draft: Omit<NewDraft, 'workflowId' | 'at'>;
}

export const DOCUMENT_WORKFLOW = 'documentWorkflow';

export function documentWorkflowId(documentId: string): string {
  return `document-${documentId}`;
}

/** The creator waits on this Update (update-with-start) to learn what was stored. */
export const createdUpdate = defineUpdate<DocumentSummary>('created');
export const stateQuery = defineQuery<DocumentSummary | null>('state');
