/** Every workflow the worker runs; the worker bundles this file. */
export { documentWorkflow } from './document';
export { reportRequestWorkflow } from './report-request';
export { auditAnchorWorkflow } from './audit-anchor';
export { webhookDeliveryWorkflow, webhookDispatcherWorkflow } from './webhooks';
