/**
 * The HTTP application: JSON api under /api/v1, health, and (later) the web interface.
 * Routes authenticate, validate, authorise, then read a read-model or ask a workflow.
 */
import express, { type Express } from 'express';
import { identify } from './auth';
import { checkHealth } from './health';
import { problemHandler, sendProblem } from './problem';
import { type ApiContext, mountRoutes } from './route';
import { API_ROUTES } from './routes';

export type AppDependencies = ApiContext;

export function createApp(deps: AppDependencies): Express {
  const { sequelize, temporal, taskQueue, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.get('/health', async (_req, res) => {
    const report = await checkHealth(sequelize, temporal, taskQueue);
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });

  const api = express.Router();
  api.use(express.json({ limit: '1mb', type: ['application/json', 'application/*+json'], strict: true }));
  api.use(identify(sequelize));
  mountRoutes(api, API_ROUTES, deps);
  api.use((req, res) => {
    sendProblem(res, {
      status: 404,
      title: 'Không tìm thấy (not found)',
      detail: `no route ${req.method} ${req.baseUrl}${req.path}`,
    });
  });
  app.use('/api/v1', api);

  app.use(problemHandler(logger));
  return app;
}
