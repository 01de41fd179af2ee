/** Every api route, in the order the reference lists them. */
import type { RouteDefinition } from '../route';
import { adminRoutes } from './admin';
import { auditRoutes } from './audit';
import { deliveryRoutes } from './deliveries';
import { documentRoutes } from './documents';
import { documentReadRoutes } from './documents-read';
import { evidenceRoutes } from './evidence';
import { lifecycleRoutes } from './lifecycle';
import { orgRoutes } from './org';
import { registerRoutes } from './registers';
import { reportRoutes } from './reports';
import { searchRoutes } from './search';
import { sessionRoutes } from './session';
import { tokenRoutes } from './tokens';
import { webSupportRoutes } from './web-support';
import { webhookRoutes } from './webhooks';

export const API_ROUTES: readonly RouteDefinition[] = [
  ...sessionRoutes,
  ...documentRoutes,
  ...searchRoutes,
  ...lifecycleRoutes,
  ...documentReadRoutes,
  ...evidenceRoutes,
  ...deliveryRoutes,
  ...reportRoutes,
  ...orgRoutes,
  ...registerRoutes,
  ...adminRoutes,
  ...tokenRoutes,
  ...auditRoutes,
  ...webhookRoutes,
  ...webSupportRoutes,
];
