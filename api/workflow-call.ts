/**
 * Asking a document's workflow to act, and turning its refusals into clear api errors:
 * a validator's or handler's ApplicationFailure carries one of our codes and a reason.
 */
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { DomainError, type DomainErrorCode } from '../domain/errors';
import { documentWorkflowId } from '../workflows/definitions';

const CODES: readonly DomainErrorCode[] = [
  'validation',
  'not_found',
  'conflict',
  'forbidden',
  'invalid_transition',
  'secret_refused',
];

function applicationFailureIn(error: unknown): ApplicationFailure | undefined {
  for (let cause = error; cause; cause = (cause as { cause?: unknown }).cause) {
    if (cause instanceof ApplicationFailure && CODES.includes(cause.type as DomainErrorCode)) return cause;
  }
  return undefined;
}

/** Runs an Update on `document-<id>`; refusals become DomainErrors, the rest stays an error. */
export async function updateDocument<Ret, Arg>(
  temporal: Client,
  documentId: string,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
): Promise<Ret> {
  try {
    const handle = temporal.workflow.getHandle(documentWorkflowId(documentId));
    return await handle.executeUpdate(update, { args: [arg] });
  } catch (error) {
    if (error instanceof WorkflowNotFoundError)
      throw new DomainError('not_found', `no document ${documentId}`);
    const failure = applicationFailureIn(error);
    if (failure) {
      const [field] = failure.details ?? [];
      throw new DomainError(
        failure.type as DomainErrorCode,
        failure.message,
        typeof field === 'string' ? field : undefined,
      );
    }
    // An Update refused for any other reason is a fault of ours, not the document's end.
    const unexplained =
      error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure;
    if (
      !unexplained &&
      (error instanceof WorkflowUpdateFailedError ||
        /already completed|workflow execution already/i.test(String(error)))
    ) {
      throw new DomainError(
        'invalid_transition',
        'this document has ended: nothing more can be done with it',
      );
    }
    throw error;
  }
}
