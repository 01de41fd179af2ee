/**
 * One workflow per document, id `document-<id>`: the only writer of the document's state.
 * Deterministic orchestration only — every effect is an activity; time comes from
 * Temporal. Human actions arrive as Updates so the caller gets the result or a clear
 * refusal synchronously.
 */
import { condition, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { DocumentActivities, DocumentSummary } from '../activities/documents';
import { type DocumentStatus, TERMINAL_STATUSES } from '../domain/lifecycle';
import { createdUpdate, type DocumentWorkflowInput, stateQuery } from './definitions';

// Creating the draft is one short transaction: a local activity runs it inside the
// workflow task, saving two round trips through the server while a person waits.
const { createDraft } = proxyLocalActivities<DocumentActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

export async function documentWorkflow(input: DocumentWorkflowInput): Promise<DocumentStatus> {
  let state: DocumentSummary | null = null;
  setHandler(stateQuery, () => state);
  // The creator waits on this update (update-with-start) to learn the stored result.
  setHandler(createdUpdate, async () => {
    await condition(() => state !== null);
    return state!;
  });

  const { workflowId, startTime } = workflowInfo();
  state = await createDraft({ ...input.draft, workflowId, at: startTime.toISOString() });

  await condition(() => state !== null && TERMINAL_STATUSES.includes(state.status));
  return state!.status;
}
