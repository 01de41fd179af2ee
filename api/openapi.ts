/**
 * The OpenAPI 3.1 document, generated from API_ROUTES: the schemas that validate requests
 * (zod 4, converted with z.toJSONSchema) are the schemas it publishes, and schemas named
 * with `.meta({ id })` become shared components. What every route gets implicitly (401,
 * 403, validation 400, 413/415 for bodies, Idempotency-Key, CSRF, If-Match) is added
 * here from the route's declaration, so the reference says what the server does.
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { SESSION_COOKIE } from './auth';
import { CSRF_HEADER } from './csrf';
import { IF_MATCH } from './etag';
import { IDEMPOTENCY_HEADER, REPLAYED_HEADER } from './idempotency';
import type { RouteDefinition } from './route';
import { problemSchema } from './schemas';

type Json = Record<string, unknown>;
type Io = 'input' | 'output';

export const API_PREFIX = '/api/v1';

/** Collects named schemas; the same id with a different shape on the input side gets an `Input` suffix. */
class Components {
  readonly schemas: Record<string, Json> = {};

  /** Converts a zod schema; named parts move into components and are referenced. */
  convert(schema: z.ZodType, io: Io): Json {
    const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
    const defs = (json.$defs ?? {}) as Record<string, Json>;
    delete json.$defs;
    delete json.$schema;
    // Names settle when every def either matches the component of its name or takes a new
    // name; a renamed child changes its parents' refs, hence the loop.
    const names = new Map(Object.keys(defs).map((id) => [id, id]));
    for (let changed = true; changed; ) {
      changed = false;
      for (const [id, def] of Object.entries(defs)) {
        const name = names.get(id)!;
        const existing = this.schemas[name];
        if (existing && !isDeepStrictEqual(existing, rewriteRefs(def, names))) {
          names.set(id, `${name}${io === 'input' ? 'Input' : 'Output'}`);
          changed = true;
        }
      }
    }
    for (const [id, def] of Object.entries(defs))
      this.schemas[names.get(id)!] = rewriteRefs(def, names) as Json;
    return rewriteRefs(json, names) as Json;
  }
}

/** Points `#/$defs/X` references at the component X was placed under. */
function rewriteRefs(value: unknown, names: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, names));
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
        const id = v.slice('#/$defs/'.length);
        out[k] = `#/components/schemas/${names.get(id) ?? id}`;
      } else out[k] = rewriteRefs(v, names);
    }
    return out;
  }
  return value;
}

function openApiPath(path: string): string {
  return `${API_PREFIX}${path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
}

function accessText(route: RouteDefinition): string {
  switch (route.access.kind) {
    case 'public':
      return 'Anyone.';
    case 'signed_in':
      return 'Anyone signed in (session or API token); what they see depends on the units where they hold roles.';
    case 'role':
      return `Callers holding one of the roles ${route.access.roles.join(', ')} in some unit; which units they may act on is checked per request (roles reach down the tree).`;
  }
}

function parameters(components: Components, route: RouteDefinition): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const json = components.convert(schema, 'input');
    const properties = (json.properties ?? {}) as Record<string, Json>;
    const required = new Set((json.required ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      const { description, ...rest } = property;
      out.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  }
  const unsafe = route.method !== 'get';
  if (unsafe) {
    out.push({
      name: IDEMPOTENCY_HEADER,
      in: 'header',
      required: false,
      description:
        'Any unique string (a UUID): a repeat with the same key returns the first response without a second effect; the same key with another request is refused (422); a repeat while the first runs gets 409. Keys expire after 24 hours.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    });
    if (!route.csrfExempt && route.access.kind !== 'public') {
      out.push({
        name: CSRF_HEADER,
        in: 'header',
        required: false,
        description:
          'Required with a session cookie (not with an API token): the csrfToken from the sign-in response or GET /api/v1/session.',
        schema: { type: 'string' },
      });
    }
  }
  if (route.ifMatch) {
    out.push({
      name: IF_MATCH,
      in: 'header',
      required: true,
      description: 'The ETag of the version being edited, from a previous read. Missing: 428; stale: 412.',
      schema: { type: 'string' },
    });
  }
  return out;
}

function problemResponse(description: string): Json {
  return {
    description,
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

function responses(components: Components, route: RouteDefinition): Json {
  const out: Record<string, Json> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const contentType = spec.contentType ?? 'application/json';
    out[status] = {
      description: spec.description,
      ...(spec.schema
        ? { content: { [contentType]: { schema: components.convert(spec.schema, 'output') } } }
        : spec.contentType
          ? // Files (PDF, zip): OpenAPI 3.1 names the media type and leaves the bytes unschemed.
            { content: { [contentType]: {} } }
          : {}),
      ...(route.method !== 'get' && Number(status) < 300
        ? {
            headers: {
              [REPLAYED_HEADER]: {
                description: `"true" when this is the stored response to an earlier request with the same ${IDEMPOTENCY_HEADER}`,
                schema: { type: 'string' },
              },
            },
          }
        : {}),
    };
  }
  const implied: Array<[number, string, boolean]> = [
    [400, 'Invalid request; `field` names what is wrong', Boolean(route.params || route.query || route.body)],
    [
      401,
      'Not signed in, or the session or token is expired, revoked or malformed',
      route.access.kind !== 'public',
    ],
    [403, 'Not allowed (a role is missing, or the CSRF token is missing)', route.access.kind !== 'public'],
    [409, `The first request with this ${IDEMPOTENCY_HEADER} is still running`, route.method !== 'get'],
    [412, `${IF_MATCH} names a version that is no longer current`, Boolean(route.ifMatch)],
    [413, 'The body is larger than allowed (1 MB)', Boolean(route.body)],
    [415, 'The body is not application/json', Boolean(route.body)],
    [422, `This ${IDEMPOTENCY_HEADER} was used for a different request`, route.method !== 'get'],
    [428, `${IF_MATCH} is missing`, Boolean(route.ifMatch)],
  ];
  for (const [status, description, applies] of implied) {
    if (applies && !out[status]) out[status] = problemResponse(description);
  }
  return out;
}

function security(route: RouteDefinition): Json[] | undefined {
  if (route.access.kind === 'public') return [];
  const unsafe = route.method !== 'get';
  return [unsafe ? { sessionCookie: [], csrfToken: [] } : { sessionCookie: [] }, { apiToken: [] }];
}

export interface OpenApiOptions {
  version?: string;
  /** Base URL for the servers list, e.g. the public URL. */
  serverUrl?: string;
}

/** The OpenAPI 3.1 document for `routes`. */
export function openApiDocument(routes: readonly RouteDefinition[], options: OpenApiOptions = {}): Json {
  const components = new Components();
  components.convert(problemSchema, 'output');
  const paths: Record<string, Record<string, Json>> = {};
  const tags: string[] = [];
  for (const route of routes) {
    if (!tags.includes(route.tag)) tags.push(route.tag);
    const path = openApiPath(route.path);
    paths[path] ??= {};
    const operation: Json = {
      operationId: route.operationId,
      summary: route.summary,
      description: [route.description, `**Who may call it:** ${accessText(route)}`]
        .filter(Boolean)
        .join('\n\n'),
      tags: [route.tag],
      'x-access': route.access,
      parameters: parameters(components, route),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: components.convert(route.body, 'input') } },
            },
          }
        : {}),
      responses: responses(components, route),
      security: security(route),
    };
    paths[path][route.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'vanthu API',
      version: options.version ?? '1',
      summary: 'Văn thư điện tử: document workflow and digital signatures for Party committee offices',
      description: [
        'JSON over HTTPS under `/api/v1`. Errors are `application/problem+json` (RFC 9457) with a human `detail` and, for invalid input, the `field` at fault.',
        `People sign in with POST /api/v1/session and get the HttpOnly cookie \`${SESSION_COOKIE}\`; every unsafe request with that cookie must carry the session's CSRF token in \`${CSRF_HEADER}\`. Other systems use an API token: \`Authorization: Bearer vt_…\`.`,
        `Every unsafe request accepts \`${IDEMPOTENCY_HEADER}\`. Lists are paginated with an opaque \`cursor\` and a \`limit\`. Edits that must not overwrite someone else's send \`${IF_MATCH}\`.`,
        'Webhook deliveries are signed: `X-Vanthu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the subscription secret>`.',
      ].join('\n\n'),
    },
    servers: [{ url: options.serverUrl ?? '/' }],
    tags: tags.map((name) => ({ name })),
    paths,
    components: {
      schemas: components.schemas,
      securitySchemes: {
        sessionCookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        csrfToken: { type: 'apiKey', in: 'header', name: CSRF_HEADER },
        apiToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token (vt_…) created by an administrator',
        },
      },
    },
  };
}
