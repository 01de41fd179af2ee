/**
 * One round of audit anchoring: timestamp the heads of all audit chains. A Temporal
 * Schedule (api/background.ts) starts it every few minutes; overlapping rounds are
 * skipped by the schedule, and the activity writes nothing when no chain moved.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { AnchorResult, AuditAnchorActivities } from '../activities/audit-anchor';

export const AUDIT_ANCHOR_WORKFLOW = 'auditAnchorWorkflow';

export async function auditAnchorWorkflow(): Promise<AnchorResult> {
  const { anchorAuditChains } = proxyActivities<AuditAnchorActivities>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 },
  });
  return anchorAuditChains();
}
