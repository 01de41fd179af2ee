/**
 * Webhook delivery, durably. One dispatcher workflow (id `webhook-dispatcher`, started by
 * api/background.ts) takes pending deliveries from the outbox and starts one delivery
 * workflow per delivery (`webhook-delivery-<id>`, duplicates refused, so a delivery is
 * never sent by two workflows). Each delivery workflow retries its attempt with
 * exponential backoff — across worker restarts, since Temporal keeps the schedule — and
 * gives up after the last attempt, recording why.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  continueAsNew,
  ParentClosePolicy,
  proxyActivities,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { DeliveryOutcome, WebhookActivities } from '../activities/webhooks';

export const WEBHOOK_DISPATCHER_WORKFLOW = 'webhookDispatcherWorkflow';
export const WEBHOOK_DISPATCHER_ID = 'webhook-dispatcher';

export interface WebhookRetry {
  /** Wait before the second attempt, in ms; doubles each time. */
  initialIntervalMs: number;
  maximumIntervalMs: number;
  maximumAttempts: number;
}

/** About 8 hours of attempts: 5 s, 10 s, 20 s … then every 30 minutes, 24 attempts in all. */
export const DEFAULT_WEBHOOK_RETRY: WebhookRetry = {
  initialIntervalMs: 5_000,
  maximumIntervalMs: 30 * 60_000,
  maximumAttempts: 24,
};

export interface WebhookDispatcherInput {
  retry: WebhookRetry;
  /** How long one wait for new deliveries may last before the loop turns (ms). */
  waitMs: number;
}

export function webhookDeliveryWorkflowId(deliveryId: string): string {
  return `webhook-delivery-${deliveryId}`;
}

export async function webhookDeliveryWorkflow(input: {
  deliveryId: string;
  retry: WebhookRetry;
}): Promise<DeliveryOutcome['state']> {
  const { deliverWebhook } = proxyActivities<WebhookActivities>({
    startToCloseTimeout: '1 minute',
    retry: {
      initialInterval: input.retry.initialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: input.retry.maximumIntervalMs,
      maximumAttempts: input.retry.maximumAttempts,
      nonRetryableErrorTypes: ['NoSuchDelivery'],
    },
  });
  const { giveUpWebhookDelivery } = proxyActivities<WebhookActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { maximumInterval: '1 minute' },
  });
  try {
    return (await deliverWebhook(input.deliveryId)).state;
  } catch (error) {
    const reason =
      error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    await giveUpWebhookDelivery({
      deliveryId: input.deliveryId,
      error: `gave up after ${input.retry.maximumAttempts} attempts: ${reason}`,
    });
    return 'failed';
  }
}

export async function webhookDispatcherWorkflow(input: WebhookDispatcherInput): Promise<void> {
  const { nextWebhookDeliveries, markWebhooksDispatched } = proxyActivities<WebhookActivities>({
    startToCloseTimeout: input.waitMs + 60_000,
    heartbeatTimeout: '20 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  });
  // A bounded history: continue as new after a number of rounds, or when the server asks.
  for (let round = 0; round < 200 && !workflowInfo().continueAsNewSuggested; round++) {
    const ids = await nextWebhookDeliveries({ waitMs: input.waitMs, limit: 100 });
    for (const deliveryId of ids) {
      try {
        await startChild(webhookDeliveryWorkflow, {
          workflowId: webhookDeliveryWorkflowId(deliveryId),
          args: [{ deliveryId, retry: input.retry }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        });
      } catch (error) {
        // Started in an earlier round whose "dispatched" mark was lost: nothing to do.
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
    }
    if (ids.length > 0) await markWebhooksDispatched(ids);
  }
  await continueAsNew<typeof webhookDispatcherWorkflow>(input);
}
