/**
 * The public face of the document workflow: its id, its Updates, Signals and Queries,
 * and the shapes they carry. The api imports this file (and only types from the
 * workflow itself), so client code never loads workflow code. No bytes ride here:
 * PDFs are referred to by SHA-256, signature values are a few hundred bytes.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { NewDraft } from '../activities/lifecycle';
import type { ApprovalStepSpec, Decision } from '../domain/approval';
import type { DraftContent } from '../domain/document';
import type { DocumentSummary } from '../domain/lifecycle';

export type { DocumentSummary };

export interface DocumentWorkflowInput {
  draft: Omit<NewDraft, 'workflowId' | 'at'>;
  /** Set when the workflow continues as new: the state to carry on from. */
  carried?: DocumentWorkflowState;
}

export const DOCUMENT_WORKFLOW = 'documentWorkflow';

export function documentWorkflowId(documentId: string): string {
  return `document-${documentId}`;
}

/** Who asks, as the api authenticated them, and from where (for the audit trail). */
export interface ActorRef {
  personId: number;
  source: string;
}

export interface EditRequest {
  actor: ActorRef;
  /** The version the editor started from; a stale one is refused. */
  baseVersion: number;
  content: DraftContent;
}

export interface SubmitRequest {
  actor: ActorRef;
  version: number;
  /** Resolved by the api (approvers exist and may approve for the unit). */
  chain: ApprovalStepSpec[];
  /** Per-step deadlines, ISO 8601, parallel to `chain`; null for none. */
  stepDue: Array<string | null>;
}

export interface DecisionRequest {
  actor: ActorRef;
  decision: Decision;
  comment?: string;
  /** The version the approver read; approving anything else is refused. */
  version: number;
}

export interface PrepareSigningRequest {
  actor: ActorRef;
  /** Base64 DER of the signer's certificate and its chain (nearest first). */
  certificate: string;
  chain: string[];
}

export interface PreparedSigning {
  sessionId: string;
  /** Base64 of exactly the bytes the key must sign (DER of the CMS signed attributes). */
  toBeSigned: string;
  digestAlgorithm: string;
  /** Base64 of the digest of `toBeSigned`, for devices that sign a digest. */
  digest: string;
  expiresAt: string;
  /** Set when preparing the seal: the number taken from the register. */
  number?: string;
}

export interface CompleteSigningRequest {
  actor: ActorRef;
  sessionId: string;
  /** Base64 of the raw signature value over `toBeSigned`. */
  signatureValue: string;
}

export interface RecallRequest {
  actor: ActorRef;
  reason: string;
}

export interface ApprovalProgress {
  round: number;
  step: number;
  chain: ApprovalStepSpec[];
  stepDue: Array<string | null>;
  /** Decisions of the open step, by person id. */
  decisions: Record<string, Decision>;
  remindedSteps: number[];
  escalatedSteps: number[];
}

export interface PendingSigning {
  sessionId: string;
  purpose: 'leader' | 'seal';
  personId: number;
  expiresAt: string;
  number?: string;
}

/** Everything the workflow remembers; carried across continue-as-new. */
export interface DocumentWorkflowState {
  summary: DocumentSummary;
  createdBy: number;
  issuingUnitId: number;
  content: DraftContent;
  approval?: ApprovalProgress;
  approved?: { version: number; sha256: string; pdfSha256: string };
  signing?: PendingSigning;
  dispatch?: {
    at: string;
    responseDue?: string;
    reminded: boolean;
    escalated: boolean;
    lastCheck?: string;
  };
  recalled?: { at: string; reason: string };
}

export const createdUpdate = defineUpdate<DocumentSummary>('created');
export const editUpdate = defineUpdate<DocumentSummary, [EditRequest]>('edit');
export const submitUpdate = defineUpdate<DocumentSummary, [SubmitRequest]>('submit');
export const decideUpdate = defineUpdate<DocumentSummary, [DecisionRequest]>('decide');
export const prepareSignatureUpdate = defineUpdate<PreparedSigning, [PrepareSigningRequest]>(
  'prepareSignature',
);
export const completeSignatureUpdate = defineUpdate<DocumentSummary, [CompleteSigningRequest]>(
  'completeSignature',
);
export const prepareIssueUpdate = defineUpdate<PreparedSigning, [PrepareSigningRequest]>('prepareIssue');
export const completeIssueUpdate = defineUpdate<DocumentSummary, [CompleteSigningRequest]>('completeIssue');
export const recallUpdate = defineUpdate<DocumentSummary, [RecallRequest]>('recall');
export const cancelUpdate = defineUpdate<DocumentSummary, [RecallRequest]>('cancel');
export const closeUpdate = defineUpdate<DocumentSummary, [{ actor: ActorRef }]>('close');
/** Sent by a replacement's workflow when the replacement has been dispatched. */
export const replacedSignal = defineSignal<[{ replacementId: string; number: string | null }]>('replaced');
export const stateQuery = defineQuery<DocumentSummary | null>('state');
export const detailQuery = defineQuery<DocumentWorkflowState | null>('detail');
