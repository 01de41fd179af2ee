/**
 * Every api route is declared once, as data: method, path, who may call it, the zod
 * schemas of its parameters, query, body and responses, and its handler. The same
 * declaration validates requests, decides access, and generates the OpenAPI document,
 * so the reference can never drift from what the server does.
 */
import type { Client } from '@temporalio/client';
import type { Request, Response, Router } from 'express';
import type { Sequelize } from 'sequelize';
import type { z } from 'zod';
import type { Actor } from '../db/people';
import { DomainError } from '../domain/errors';
import type { Role } from '../domain/org';
import type { Logger } from '../runtime/logger';
import { jsonBody, parseWith } from './validate';

/** What every handler may use. */
export interface ApiContext {
  sequelize: Sequelize;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  publicUrl: string;
}

/**
 * The first gate, checked before validation: anyone, anyone signed in, or anyone holding
 * one of these roles in some unit. Which units and documents a caller may touch is
 * decided in the handler through api/authorization.ts.
 */
export type Access = { kind: 'public' } | { kind: 'signed_in' } | { kind: 'role'; roles: readonly Role[] };

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteInput<P, Q, B> {
  req: Request;
  res: Response;
  /** Undefined only on public routes. */
  actor: Actor;
  params: P;
  query: Q;
  body: B;
  ctx: ApiContext;
}

type AnyZod = z.ZodType;

export interface RouteDefinition<
  P extends AnyZod = AnyZod,
  Q extends AnyZod = AnyZod,
  B extends AnyZod = AnyZod,
> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express-style path under /api/v1, e.g. `/documents/:id`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
  /** Runs before validation; used to refuse secret documents before anything else. */
  before?: (req: Request) => void;
  /** Returns the reply, or nothing when it wrote the response itself (files, streams). */
  handler(input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>): Promise<Reply | undefined>;
}

/** Declares a route; the generic parameters are inferred from the schemas. */
export function defineRoute<P extends AnyZod, Q extends AnyZod, B extends AnyZod>(
  definition: RouteDefinition<P, Q, B>,
): RouteDefinition {
  return definition as unknown as RouteDefinition;
}

function checkAccess(access: Access, actor: Actor | undefined): void {
  if (access.kind === 'public') return;
  if (!actor) throw new DomainError('unauthenticated', 'hãy đăng nhập trước (sign in first)');
  if (access.kind === 'role' && !actor.roles.some((r) => access.roles.includes(r.role))) {
    throw new DomainError('forbidden', `this needs one of the roles: ${access.roles.join(', ')}`);
  }
}

/** Mounts declared routes on an Express router. */
export function mountRoutes(router: Router, routes: readonly RouteDefinition[], ctx: ApiContext): void {
  for (const route of routes) {
    router[route.method](route.path, async (req: Request, res: Response) => {
      checkAccess(route.access, req.actor);
      route.before?.(req);
      const params = route.params ? parseWith(route.params, req.params, 'path') : {};
      const query = route.query ? parseWith(route.query, req.query, 'query') : {};
      const body = route.body ? jsonBody(req, route.body) : undefined;
      const reply = await route.handler({ req, res, actor: req.actor as Actor, params, query, body, ctx });
      if (!reply || res.headersSent) return;
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
      if (reply.body === undefined) res.status(reply.status).end();
      else res.status(reply.status).json(reply.body);
    });
  }
}
