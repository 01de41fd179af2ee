/**
 * The life of a directive (and of a report going upward): which action moves a document
 * from which status to which. Pure data and one function; the document workflow is the
 * only place that applies it.
 */
import { DomainError } from './errors';

export const DOCUMENT_STATUSES = [
  'draft',
  'in_review',
  'changes_requested',
  'approved',
  'signed',
  'issued',
  'dispatched',
  'closed',
  'rejected',
  'cancelled',
  'recalled',
] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

export const STATUS_LABELS: Record<DocumentStatus, { vi: string; en: string }> = {
  draft: { vi: 'Dự thảo', en: 'Draft' },
  in_review: { vi: 'Đang trình duyệt', en: 'In review' },
  changes_requested: { vi: 'Trả lại để sửa', en: 'Changes requested' },
  approved: { vi: 'Đã duyệt', en: 'Approved' },
  signed: { vi: 'Đã ký', en: 'Signed' },
  issued: { vi: 'Đã ban hành', en: 'Issued' },
  dispatched: { vi: 'Đã phát hành', en: 'Dispatched' },
  closed: { vi: 'Đã kết thúc', en: 'Closed' },
  rejected: { vi: 'Không duyệt', en: 'Rejected' },
  cancelled: { vi: 'Đã hủy', en: 'Cancelled' },
  recalled: { vi: 'Đã thu hồi', en: 'Recalled' },
};

/** What the workflow and the api say about a document's current state. */
export interface DocumentSummary {
  id: string;
  status: DocumentStatus;
  version: number;
  sha256: string;
}

export type DocumentAction =
  | 'edit'
  | 'submit'
  | 'approve'
  | 'request_changes'
  | 'reject'
  | 'sign'
  | 'issue'
  | 'dispatch'
  | 'close'
  | 'cancel'
  | 'recall';

/** action → the statuses it may start from → the status it leads to. */
const TRANSITIONS: Record<DocumentAction, { from: readonly DocumentStatus[]; to: DocumentStatus | 'same' }> =
  {
    edit: { from: ['draft', 'changes_requested'], to: 'draft' },
    submit: { from: ['draft', 'changes_requested'], to: 'in_review' },
    // approve keeps the document in review until the last step of the chain approves;
    // the workflow decides which, this table only says where approval may happen.
    approve: { from: ['in_review'], to: 'approved' },
    request_changes: { from: ['in_review'], to: 'changes_requested' },
    reject: { from: ['in_review'], to: 'rejected' },
    sign: { from: ['approved'], to: 'signed' },
    issue: { from: ['signed'], to: 'issued' },
    dispatch: { from: ['issued'], to: 'dispatched' },
    close: { from: ['dispatched'], to: 'closed' },
    cancel: { from: ['draft', 'changes_requested', 'in_review', 'approved'], to: 'cancelled' },
    recall: { from: ['issued', 'dispatched', 'closed'], to: 'recalled' },
  };

export const TERMINAL_STATUSES: readonly DocumentStatus[] = ['rejected', 'cancelled', 'recalled', 'closed'];

export function canApply(status: DocumentStatus, action: DocumentAction): boolean {
  return TRANSITIONS[action].from.includes(status);
}

/** The status after `action`, or a DomainError saying why the action is not allowed now. */
export function applyAction(status: DocumentStatus, action: DocumentAction): DocumentStatus {
  const rule = TRANSITIONS[action];
  if (!rule.from.includes(status)) {
    throw new DomainError(
      'invalid_transition',
      `cannot ${action.replace('_', ' ')} a document that is ${STATUS_LABELS[status].en.toLowerCase()} (${STATUS_LABELS[status].vi})`,
    );
  }
  return rule.to === 'same' ? status : rule.to;
}
