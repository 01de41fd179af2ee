/** The shapes of the api answers the pages read (see /openapi.json for the full schemas). */

export interface HeldRole {
  unitId: number;
  unitPath: string;
  unitName: string;
  role: string;
  title: string | null;
}

export interface Person {
  personId: number;
  username: string;
  fullName: string;
  homeUnitId: number;
  roles: HeldRole[];
}

export interface SessionInfo {
  person: Person;
  expiresAt?: string;
  csrfToken?: string;
}

export interface DocumentState {
  id: string;
  status: string;
  version: number;
  sha256: string;
}

export interface Task {
  documentId: string;
  type: string;
  subject: string;
  status: string;
  issuer: string;
  issuingUnitId: number;
  updatedAt: string;
  step: string | null;
  dueAt: string | null;
}

export interface Tasks {
  approve: Task[];
  sign: Task[];
  issue: Task[];
  drafts: Task[];
}

export interface InboxItem {
  id: number;
  documentId: string;
  recipientUnitId: number;
  status: string;
  deliveredAt: string;
  readAt: string | null;
  receivedAt: string | null;
  incomingNumber: string | null;
  assigneeId: number | null;
  handleDue: string | null;
  completedAt: string | null;
  returnedReason: string | null;
  recalledAt: string | null;
  recallConfirmedAt: string | null;
  number: string | null;
  subject: string;
  type: string;
  urgency: string;
  issuer: string;
  responseDue: string | null;
  overdue: boolean;
}

export type Delivery = Omit<
  InboxItem,
  'number' | 'subject' | 'type' | 'urgency' | 'issuer' | 'responseDue' | 'overdue'
>;

export interface BodyBlockObject {
  kind: 'paragraph' | 'heading' | 'bullet';
  text: string;
}
export type BodyBlock = string | BodyBlockObject;

export type RecipientSpec =
  | { kind: 'unit'; unitId: number }
  | { kind: 'units_under'; unitId: number; unitKind: string }
  | { kind: 'members_under'; unitId: number };

export interface DraftContent {
  subject: string;
  body: BodyBlock[];
  recipients?: RecipientSpec[];
  recipientsNote?: string;
  signer?: { personId: number; authority?: string; authorityBody?: string };
  responseDue?: string;
  escalateAfterMinutes?: number;
  attachments?: Array<{ sha256: string; fileName: string }>;
  report?: { present: number; total: number; durationMinutes: number; resolutionAdopted: boolean };
}

export interface ApproverView {
  personId: number;
  name: string | null;
  decision: 'approve' | 'return' | 'reject' | null;
  comment: string | null;
  at: string | null;
}

export interface ApprovalStepView {
  round: number;
  step: number;
  label: string;
  status: string;
  required: number;
  dueAt: string | null;
  approvers: ApproverView[];
}

export interface DocumentContent {
  id: string;
  number: string | null;
  type: string;
  typeName: string;
  subject: string;
  status: string;
  urgency: string;
  issuingUnit: { id: number; name: string };
  createdBy: { id: number; name: string | null };
  signer: { id: number; name: string | null } | null;
  issuedAt: string | null;
  responseDue: string | null;
  version: number;
  sha256: string;
  content: DraftContent;
  hasPdf: boolean;
  approval: ApprovalStepView[];
  /** What I may do now: edit, submit, decide, sign, issue, recall, cancel, close, progress, timeline. */
  actions: string[];
}

export interface UnitSummary {
  id: number;
  code: string;
  name: string;
  abbreviation: string;
  kind: string;
}

export interface OrgUnit extends UnitSummary {
  parentId: number | null;
  children: UnitSummary[];
}

export interface UnitPerson {
  personId: number;
  fullName: string;
  roles: Array<{ role: string; title: string | null }>;
}

export interface DocumentType {
  code: string;
  name: string;
  nameEn: string;
  party: string | null;
}

export interface TimelineEvent {
  seq: number;
  at: string;
  action: string;
  actor: { id: number; name: string | null } | null;
  versionSha256: string | null;
  detail: Record<string, unknown>;
}

export interface Check {
  status: 'passed' | 'failed' | 'indeterminate' | 'not_applicable';
  message: string;
}

export interface SignatureReport {
  index: number;
  kind: 'signature' | 'document_timestamp';
  field: string;
  signer?: {
    subject: string;
    commonName?: string;
    organization?: string;
    issuer: string;
    serialNumber: string;
    notBefore: string;
    notAfter: string;
  };
  reason?: string;
  signingTime: { claimed?: string; proven?: string; used: string };
  coversWholeFile: boolean;
  checks: Record<
    | 'byteRange'
    | 'digest'
    | 'cryptography'
    | 'chain'
    | 'certificateValidity'
    | 'revocation'
    | 'timestamp'
    | 'modifications',
    Check
  >;
  padesLevel: 'none' | 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';
  verdict: 'valid' | 'invalid' | 'indeterminate';
  reasons: string[];
}

export interface VerificationReport {
  verdict: 'valid' | 'invalid' | 'indeterminate' | 'unsigned';
  file: { size: number; sha256: string; revisions: number };
  validationTime: string;
  signatures: SignatureReport[];
}

export interface IssuedDocument {
  id: string;
  number: string | null;
  type: string;
  subject: string;
  issuer: string;
  issuedAt: string | null;
  status: string;
  recalled: boolean;
  pdfSha256: string;
}

export interface Progress {
  total: number;
  byStatus: Record<string, number>;
  overdue: number;
  overdueUnits: Array<{ id: number; name: string; status: string }>;
  children: Array<{ id: number; name: string; total: number; completed: number; overdue: number }>;
}

export interface PreparedSignature {
  sessionId: string;
  toBeSigned: string;
  digestAlgorithm: string;
  digest: string;
  expiresAt: string;
  number?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
