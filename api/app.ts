/**
 * The HTTP application: JSON api under /api/v1, health, and (later) the web interface.
 * Routes authenticate, validate, authorise, then read a read-model or ask a workflow.
 */
import type { Client } from '@temporalio/client';
import express, { type Express } from 'express';
import type { Sequelize } from 'sequelize';
import type { Logger } from '../runtime/logger';
import { identify } from './auth';
import { checkHealth } from './health';
import { problemHandler, sendProblem } from './problem';
import { documentRoutes } from './routes/documents';
import { orgRoutes } from './routes/org';
import { sessionRoutes } from './routes/session';

export interface AppDependencies {
  sequelize: Sequelize;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  publicUrl: string;
}

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
  api.use(sessionRoutes({ sequelize, secureCookies: deps.publicUrl.startsWith('https:') }));
  api.use(documentRoutes({ sequelize, temporal, taskQueue }));
  api.use(orgRoutes({ sequelize }));
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
