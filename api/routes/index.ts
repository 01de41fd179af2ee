/** Every api route, in the order the reference lists them. */
import type { RouteDefinition } from '../route';
import { documentRoutes } from './documents';
import { orgRoutes } from './org';
import { sessionRoutes } from './session';

export const API_ROUTES: readonly RouteDefinition[] = [...sessionRoutes, ...documentRoutes, ...orgRoutes];
