/**
 * Background work that runs in Temporal, started (idempotently) by whichever api process
 * comes up: the Schedule that anchors the audit log every few minutes, and the webhook
 * dispatcher. Several processes may call this at once; the second finds them running.
 */
import {
  type Client,
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
} from '@temporalio/client';
import type { Logger } from '../runtime/logger';
import { AUDIT_ANCHOR_WORKFLOW } from '../workflows/audit-anchor';
import {
  DEFAULT_WEBHOOK_RETRY,
  WEBHOOK_DISPATCHER_ID,
  WEBHOOK_DISPATCHER_WORKFLOW,
  type WebhookDispatcherInput,
  type WebhookRetry,
} from '../workflows/webhooks';

export const AUDIT_ANCHOR_SCHEDULE_ID = 'audit-anchor';

export interface BackgroundOptions {
  taskQueue: string;
  /** Minutes between audit anchors. */
  anchorEveryMinutes?: number;
  webhookRetry?: WebhookRetry;
  /** How long the dispatcher waits for new deliveries per round (ms). */
  webhookWaitMs?: number;
  /** Ids, for tests that run several sets side by side. */
  scheduleId?: string;
  dispatcherId?: string;
}

/** Creates the anchoring Schedule, or updates its interval and task queue when it exists. */
export async function ensureAuditAnchorSchedule(client: Client, options: BackgroundOptions): Promise<void> {
  const every = (options.anchorEveryMinutes ?? 5) * 60_000;
  const scheduleId = options.scheduleId ?? AUDIT_ANCHOR_SCHEDULE_ID;
  const action = {
    type: 'startWorkflow' as const,
    workflowType: AUDIT_ANCHOR_WORKFLOW,
    taskQueue: options.taskQueue,
    workflowId: `${scheduleId}-round`,
    args: [],
  };
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every }] },
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(scheduleId).update((previous) => ({
      ...previous,
      spec: { intervals: [{ every }] },
      action,
    }));
  }
}

/** Starts the webhook dispatcher unless it runs already. */
export async function ensureWebhookDispatcher(client: Client, options: BackgroundOptions): Promise<void> {
  const input: WebhookDispatcherInput = {
    retry: options.webhookRetry ?? DEFAULT_WEBHOOK_RETRY,
    waitMs: options.webhookWaitMs ?? 30_000,
  };
  try {
    await client.workflow.start(WEBHOOK_DISPATCHER_WORKFLOW, {
      workflowId: options.dispatcherId ?? WEBHOOK_DISPATCHER_ID,
      taskQueue: options.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

/** Both of the above; failures are logged, not fatal (the api serves without them). */
export async function startBackgroundWork(
  client: Client,
  options: BackgroundOptions,
  logger: Logger,
): Promise<void> {
  for (const [what, start] of [
    ['audit anchoring schedule', ensureAuditAnchorSchedule],
    ['webhook dispatcher', ensureWebhookDispatcher],
  ] as const) {
    try {
      await start(client, options);
    } catch (error) {
      logger.warn({ err: error }, `could not start the ${what}; it starts with the next api process`);
    }
  }
}
