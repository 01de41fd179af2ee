/**
 * The HTTP application: JSON api under /api/v1, its OpenAPI document and reference page,
 * health, and (later) the web interface. Routes authenticate, validate, authorise, then
 * read a read-model or ask a workflow.
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { identify, warmUpPasswordCheck } from './auth';
import { checkHealth } from './health';
import { openApiDocument } from './openapi';
import { problemHandler, sendProblem } from './problem';
import { REFERENCE_PAGE_CSP, referencePage } from './reference-page';
import { type ApiContext, mountRoutes } from './route';
import { API_ROUTES } from './routes';
import { mountWeb } from './web';

export type AppDependencies = ApiContext;

/** The first string in a JSON body holding a NUL character, by path (PostgreSQL text cannot hold one). */
function nulPath(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const found = nulPath(inner, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

function refuseNulCharacters(req: Request, res: Response, next: NextFunction): void {
  const field = nulPath(req.body, 'body');
  if (!field) {
    next();
    return;
  }
  sendProblem(res, {
    status: 400,
    title: 'Dữ liệu không hợp lệ (invalid request)',
    detail: `${field}: text must not contain NUL characters`,
    field,
  });
}

/** JSON is never rendered as a page, and nothing of ours may be framed. */
function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
}

export function createApp(deps: AppDependencies): Express {
  const { sequelize, temporal, taskQueue, logger } = deps;
  void warmUpPasswordCheck();
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(securityHeaders);

  app.get('/health', async (_req, res) => {
    const report = await checkHealth(sequelize, temporal, taskQueue);
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });

  let reference: { json: string; html: string } | undefined;
  const documents = () => {
    if (!reference) {
      const document = openApiDocument(API_ROUTES, { serverUrl: deps.publicUrl });
      reference = { json: JSON.stringify(document), html: referencePage(document) };
    }
    return reference;
  };
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(documents().json);
  });
  app.get(['/api/docs', '/api/docs/'], (_req, res) => {
    res.setHeader('Content-Security-Policy', REFERENCE_PAGE_CSP);
    res.type('text/html; charset=utf-8').send(documents().html);
  });

  const api = express.Router();
  api.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    next();
  });
  api.use(express.json({ limit: '1mb', type: ['application/json', 'application/*+json'], strict: true }));
  api.use(refuseNulCharacters);
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
  mountWeb(app);

  app.use(problemHandler(logger));
  return app;
}
