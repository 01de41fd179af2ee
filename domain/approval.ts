/**
 * Approval chains: steps in order, each with its approvers and how many of them must
 * approve ("all of them", or "n of m"). One "return" sends the draft back for changes;
 * one "reject" ends it.
 */
import { DomainError } from './errors';

export type Decision = 'approve' | 'return' | 'reject';

export interface ApprovalStepSpec {
  label: string;
  approvers: number[];
  /** How many approvals close the step; `all` means every approver. */
  required: number | 'all';
}

export type StepOutcome = 'open' | 'approved' | 'returned' | 'rejected';

export function requiredApprovals(step: ApprovalStepSpec): number {
  return step.required === 'all' ? step.approvers.length : step.required;
}

export function checkChain(steps: readonly ApprovalStepSpec[]): void {
  if (steps.length === 0)
    throw new DomainError('validation', 'an approval chain needs at least one step', 'approval');
  if (steps.length > 20)
    throw new DomainError('validation', 'an approval chain has at most 20 steps', 'approval');
  for (const [i, step] of steps.entries()) {
    const field = `approval.${i}`;
    if (step.approvers.length === 0)
      throw new DomainError('validation', 'a step needs approvers', `${field}.approvers`);
    if (new Set(step.approvers).size !== step.approvers.length) {
      throw new DomainError('validation', 'an approver is listed twice', `${field}.approvers`);
    }
    const required = requiredApprovals(step);
    if (!Number.isInteger(required) || required < 1 || required > step.approvers.length) {
      throw new DomainError(
        'validation',
        `required must be between 1 and the ${step.approvers.length} approvers`,
        `${field}.required`,
      );
    }
  }
}

/** What a step's decisions add up to. */
export function stepOutcome(step: ApprovalStepSpec, decisions: ReadonlyMap<number, Decision>): StepOutcome {
  const values = [...decisions.values()];
  if (values.includes('reject')) return 'rejected';
  if (values.includes('return')) return 'returned';
  const approvals = step.approvers.filter((p) => decisions.get(p) === 'approve').length;
  return approvals >= requiredApprovals(step) ? 'approved' : 'open';
}
