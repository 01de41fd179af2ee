/**
 * Every api route is declared once, as data: method, path, who may call it, the zod
 * schemas of its parameters, query, body and responses, and its handler. The same
 * declaration validates requests, decides access, and generates the OpenAPI document,
 * so the reference can never drift from what the server does.
 *
 * Every route gets, without asking: 401 naming what was wrong with the credentials, the
 * role gate, CSRF protection for cookie sessions on unsafe methods, Idempotency-Key on
 * unsafe methods, validation with the field at fault, and problem+json errors. A route's
 * `accessExamples` let the access test walk it with every role (test/api/access.test.ts);
 * a route without them fails that test.
 */
import type { Client } from '@temporalio/client';
import express, { type Request, type Response, type Router } from 'express';
import type { Sequelize } from 'sequelize';
import type { z } from 'zod';
import type { Actor } from '../db/people';
import { DomainError } from '../domain/errors';
import type { Role } from '../domain/org';
import type { Logger } from '../runtime/logger';
import type { DeploymentPki } from '../runtime/pki';
import { unauthenticated } from './auth';
import { checkCsrf, isUnsafeMethod } from './csrf';
import {
  callerOf,
  claimIdempotencyKey,
  DEFAULT_IDEMPOTENCY,
  type IdempotencyOptions,
  idempotencyKeyOf,
  recordResponse,
  replay,
} from './idempotency';
import { DEFAULT_SIGN_IN_POLICY, type SignInPolicy } from './sign-in-throttle';
import { jsonBody, parseWith } from './validate';

/** What every handler may use. */
export interface ApiContext {
  sequelize: Sequelize;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  publicUrl: string;
  /** The deployment's CA, OCSP, TSA and trust store (serves /pki, signs, verifies). */
  pki: DeploymentPki;
  /** Sign-in throttling; the defaults unless given (tests use shorter waits). */
  signInPolicy?: SignInPolicy;
  idempotency?: IdempotencyOptions;
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
  headers?: Record<string, string | string[]>;
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

// ------------------------------------------------------------------ access examples

/**
 * The callers the access test plays, one or more per role, placed around one target
 * unit: the district committee Quận ủy Ba Đình of the demo organisation.
 */
export const PERSONAS = [
  'anonymous',
  'admin', // quantri: admin of the city committee
  'auditor.city',
  'clerk.city',
  'drafter.city',
  'leader.city', // leader and signer
  'clerk.district',
  'drafter.district',
  'leader.district',
  'auditor.district',
  'clerk.ward', // clerk of a grassroots committee under the district
  'secretary.branch', // branch secretary (and member) of a branch under that ward
  'member.branch',
  'drafter.otherDistrict',
  'auditor.otherDistrict',
  'token.district', // an API token holding the clerk role of the district
] as const;
export type Persona = (typeof PERSONAS)[number];
export const SIGNED_IN_PERSONAS: readonly Persona[] = PERSONAS.filter((p) => p !== 'anonymous');

export interface ExampleRequest {
  /** The concrete path under /api/v1, e.g. `/documents/4b0c…`. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Use a session of its own for this request (routes that end the caller's session). */
  freshSession?: boolean;
  /** A non-JSON body (a PDF upload), sent as is with its content type. */
  raw?: { body: Uint8Array | string; contentType: string };
}

/** States the fixture brings a fresh district document to. */
export type FixtureDocumentState = 'draft' | 'in_review' | 'approved' | 'signed' | 'dispatched' | 'recalled';
/** States the fixture brings a fresh delivery (to the persona branch) to. */
export type FixtureDeliveryState = 'delivered' | 'received' | 'assigned' | 'recalled';
/** Demo keys the fixture signs with: the district leader's own, and the district's seal. */
export type FixtureKey = 'leader.district' | 'seal.district';

/** What the access test offers example builders. */
export interface AccessFixture {
  units: { city: number; district: number; ward: number; branch: number; otherDistrict: number };
  /** A draft issued by the district, created once per run. */
  districtDocument(): Promise<string>;
  /** A request as the city administrator (to set things up), answering status and JSON body. */
  asAdmin(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** A new person in the district without a password. */
  newPerson(): Promise<{ id: number; username: string }>;
  /** The id of a demo account. */
  personId(username: string): Promise<number>;
  /**
   * A new document of the district — signed by its Bí thư (leader.district), addressed
   * to the branches under it and to its members — brought to `state`, with the ETag of
   * its current version. `shared` returns one document per state for the whole run.
   */
  documentAt(state: FixtureDocumentState, shared?: boolean): Promise<{ id: string; etag: string }>;
  /** The delivery to the persona branch of a new district document, brought to `state`. */
  deliveryAt(state: FixtureDeliveryState, shared?: boolean): Promise<number>;
  /** A request as one of the personas. */
  as(
    persona: Persona,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }>;
  /** Base64 DER of a demo key's certificate and chain. */
  certificateOf(key: FixtureKey): Promise<{ certificate: string; chain: string[] }>;
  /** Signs base64 bytes with a demo key, as a token would; answers the base64 value. */
  signWith(key: FixtureKey, toBeSigned: string): Promise<string>;
  /** A report request of the district to its branches (one per run). */
  districtReportRequest(): Promise<string>;
  /** A district draft with an uploaded PDF attached (one per run). */
  documentWithAttachment(): Promise<{ id: string; sha256: string }>;
}

/**
 * Examples for a route that uses its target up (an edit, a signature): each caller who
 * must succeed gets a fresh target, the others share one — they are refused before
 * anything changes.
 */
export function examplesWithFreshTargets(
  allow: readonly Persona[],
  request: (fixture: AccessFixture, fresh: boolean, persona: Persona) => Promise<ExampleRequest>,
  notFoundFor?: readonly Persona[],
): AccessExamples {
  return {
    allow,
    ...(notFoundFor ? { notFoundFor } : {}),
    request: (fixture, persona) => request(fixture, allow.includes(persona), persona),
  };
}

/** Persona groups the examples use, by what they hold over the target district. */
export const ACCESS_GROUPS = {
  /** Roles that draft for the district: at the city or in the district (and its API token, a clerk). */
  drafters: [
    'clerk.city',
    'drafter.city',
    'leader.city',
    'clerk.district',
    'drafter.district',
    'leader.district',
    'token.district',
  ],
  /** The office of the district, or above it. */
  office: ['clerk.city', 'clerk.district', 'token.district'],
  /** Leaders and clerks of the district, or above it. */
  leadersAndClerks: ['clerk.city', 'leader.city', 'clerk.district', 'leader.district', 'token.district'],
  /** Everyone holding a role in the district or above it. */
  districtAndAbove: [
    'admin',
    'auditor.city',
    'clerk.city',
    'drafter.city',
    'leader.city',
    'clerk.district',
    'drafter.district',
    'leader.district',
    'auditor.district',
    'token.district',
  ],
  /** Below or beside the district: they must not learn its documents exist. */
  belowOrBeside: [
    'clerk.ward',
    'secretary.branch',
    'member.branch',
    'drafter.otherDistrict',
    'auditor.otherDistrict',
  ],
  /** Everyone in the district and under it (its members read what is addressed to them). */
  inDistrict: [
    'clerk.district',
    'drafter.district',
    'leader.district',
    'auditor.district',
    'token.district',
    'clerk.ward',
    'secretary.branch',
    'member.branch',
  ],
  /** Everyone with a role over the persona branch: the branch, its ward, its district, the city. */
  branchAndAbove: [
    'admin',
    'auditor.city',
    'clerk.city',
    'drafter.city',
    'leader.city',
    'clerk.district',
    'drafter.district',
    'leader.district',
    'auditor.district',
    'clerk.ward',
    'secretary.branch',
    'member.branch',
    'token.district',
  ],
  /** The office of the branch, or above it. */
  branchOffice: ['clerk.city', 'clerk.district', 'clerk.ward', 'secretary.branch', 'token.district'],
  /** Leaders over the branch. */
  branchLeaders: ['leader.city', 'leader.district', 'secretary.branch'],
  /** Office or leaders over the branch, and the member the work is assigned to. */
  branchHandlers: [
    'clerk.city',
    'leader.city',
    'clerk.district',
    'leader.district',
    'clerk.ward',
    'secretary.branch',
    'member.branch',
    'token.district',
  ],
  /** Beside the district. */
  beside: ['drafter.otherDistrict', 'auditor.otherDistrict'],
} as const satisfies Record<string, readonly Persona[]>;

export interface AccessExamples {
  /** Who must succeed (2xx); everyone else must be refused: 401 when anonymous, else 403 or 404. */
  allow: readonly Persona[];
  /** Refused callers who must get 404 rather than 403 (the thing is in another unit). */
  notFoundFor?: readonly Persona[];
  /** Builds the request, once per persona, so routes that use something up get a fresh one. */
  request(fixture: AccessFixture, persona: Persona): ExampleRequest | Promise<ExampleRequest>;
}

// ------------------------------------------------------------------ declarations

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
  /** Longer text for the reference (markdown). */
  description?: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
  /** The route demands If-Match (see api/etag.ts); documented in the reference. */
  ifMatch?: boolean;
  /** Only for routes that open a session (sign-in, activation): no CSRF token yet exists. */
  csrfExempt?: boolean;
  /** Examples the access test walks with every persona. */
  accessExamples?: AccessExamples;
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

function checkAccess(access: Access, req: Request): void {
  if (access.kind === 'public') return;
  const actor = req.actor;
  if (!actor) throw unauthenticated(req);
  if (access.kind === 'role' && !actor.roles.some((r) => access.roles.includes(r.role))) {
    throw new DomainError('forbidden', `this needs one of the roles: ${access.roles.join(', ')}`);
  }
}

/**
 * Writes the reply. JSON goes out directly rather than through Express's res.json, which
 * also hashes every body for a weak ETag: api answers are never cached (Cache-Control:
 * no-store), so nothing would ever be revalidated against it. Routes that need an ETag
 * (drafts, subscriptions) set their own.
 */
function send(res: Response, reply: Reply): void {
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  res.statusCode = reply.status;
  if (reply.body === undefined) {
    res.end();
    return;
  }
  const body = JSON.stringify(reply.body);
  if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/**
 * Mounts declared routes on an Express router, one sub-router per first path segment
 * (`/documents`, `/deliveries` …). Express tries a request against every layer in turn; so
 * it is matched against its own resource's routes, not against all seventy.
 */
export function mountRoutes(router: Router, routes: readonly RouteDefinition[], ctx: ApiContext): void {
  const resources = new Map<string, Router>();
  for (const route of routes) {
    const resource = route.path.split('/')[1]!;
    let resourceRouter = resources.get(resource);
    if (!resourceRouter) {
      resourceRouter = express.Router();
      resources.set(resource, resourceRouter);
      router.use(`/${resource}`, resourceRouter);
    }
    const path = route.path.slice(resource.length + 1) || '/';
    resourceRouter[route.method](path, async (req: Request, res: Response) => {
      checkAccess(route.access, req);
      if (!route.csrfExempt) checkCsrf(req);
      const key = isUnsafeMethod(req.method) ? idempotencyKeyOf(req) : undefined;
      if (key !== undefined) {
        const claim = await claimIdempotencyKey(
          ctx.sequelize,
          { caller: callerOf(req), key, method: req.method, path: req.originalUrl, body: req.body },
          ctx.idempotency ?? DEFAULT_IDEMPOTENCY,
        );
        if (claim.kind === 'replay') {
          replay(res, claim.response);
          return;
        }
        recordResponse(res, claim, (error) =>
          ctx.logger.error({ err: error, url: req.originalUrl }, 'storing the idempotent response failed'),
        );
      }
      route.before?.(req);
      const params = route.params ? parseWith(route.params, req.params, 'path') : {};
      const query = route.query ? parseWith(route.query, req.query, 'query') : {};
      const body = route.body ? jsonBody(req, route.body) : undefined;
      const reply = await route.handler({ req, res, actor: req.actor as Actor, params, query, body, ctx });
      if (!reply || res.headersSent) return;
      send(res, reply);
    });
  }
}

/** The sign-in policy in force for this context. */
export function signInPolicyOf(ctx: ApiContext): SignInPolicy {
  return ctx.signInPolicy ?? DEFAULT_SIGN_IN_POLICY;
}
