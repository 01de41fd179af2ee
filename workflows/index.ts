/** Every workflow the worker runs; the worker bundles this file. */

export { auditAnchorWorkflow } from './audit-anchor';
export { documentWorkflow } from './document';
export { reportRequestWorkflow } from './report-request';
export { webhookDeliveryWorkflow, webhookDispatcherWorkflow } from './webhooks';
