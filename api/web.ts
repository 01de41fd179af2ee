/**
 * The web interface, served by the api process: the files Vite built into `web/dist`
 * (hashed assets cached for a year, the page itself revalidated), and the single-page
 * fallback — any other page address (`/inbox`, `/v/<id>` from a QR code …) gets
 * `index.html`, whose script draws the page. Nothing is fetched from anywhere else, and
 * the Content-Security-Policy says so to the browser.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';

/** Where the built files are looked for, first match wins: VANTHU_WEB_DIR, then beside the sources or dist/. */
function candidateDirs(): string[] {
  const explicit = process.env.VANTHU_WEB_DIR;
  return [
    ...(explicit ? [path.resolve(explicit)] : []),
    path.resolve(__dirname, '..', 'web', 'dist'),
    path.resolve(__dirname, '..', '..', 'web', 'dist'),
  ];
}

export function findWebDir(): string | undefined {
  return candidateDirs().find((dir) => existsSync(path.join(dir, 'index.html')));
}

/**
 * Scripts, styles, fonts and images only from this origin; pdf.js runs its worker from
 * here and draws pages from blob data; no framing, no plugins, forms post only here.
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Addresses that belong to the server, never to the page router. */
const SERVER_PREFIXES = ['/api/', '/pki/', '/health', '/openapi.json'];

function isPageRequest(req: Request): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (
    SERVER_PREFIXES.some((prefix) => req.path === prefix.replace(/\/$/, '') || req.path.startsWith(prefix))
  ) {
    return false;
  }
  // A file that is not there (a stale asset, /favicon.png) is a 404, not the page.
  if (path.posix.extname(req.path) !== '') return false;
  return req.accepts(['html', 'json']) === 'html';
}

/** The page, read again when a new build replaced it. */
function pageReader(dir: string): () => string {
  let cached: { mtimeMs: number; html: string } | undefined;
  return () => {
    const file = path.join(dir, 'index.html');
    const { mtimeMs } = statSync(file);
    if (cached?.mtimeMs !== mtimeMs) cached = { mtimeMs, html: readFileSync(file, 'utf8') };
    return cached.html;
  };
}

/** Mounts the web interface on the app; call after the api routes. */
export function mountWeb(app: Express): void {
  let served: { page: () => string; assets: express.Handler } | undefined;
  const load = () => {
    if (served) return served;
    const dir = findWebDir();
    if (!dir) return undefined;
    served = {
      page: pageReader(dir),
      assets: express.static(dir, {
        index: false,
        redirect: false,
        setHeaders(res, file) {
          res.setHeader(
            'Cache-Control',
            file.includes(`${path.sep}assets${path.sep}`)
              ? 'public, max-age=31536000, immutable'
              : 'no-cache',
          );
        },
      }),
    };
    return served;
  };

  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (SERVER_PREFIXES.some((prefix) => req.path.startsWith(prefix))) return next();
    const web = load();
    if (!web) {
      if (!isPageRequest(req)) return next();
      res
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('Giao diện web chưa được dựng (the web interface is not built): run `npm run build`.\n');
      return;
    }
    res.setHeader('Content-Security-Policy', WEB_CSP);
    web.assets(req, res, () => {
      if (!isPageRequest(req)) return next();
      res.setHeader('Cache-Control', 'no-cache');
      res.type('text/html; charset=utf-8').send(web.page());
    });
  });
}
