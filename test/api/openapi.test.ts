/**
 * The OpenAPI document and the reference page: generated from API_ROUTES, valid OpenAPI
 * 3.1 for an outside validator (openapi-spec-validator), every reference resolving, and
 * real answers of the running api matching the schemas it publishes. The reference page
 * loads nothing from anywhere.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { expect } from 'chai';
import { API_PREFIX } from '../../api/openapi';
import { API_ROUTES } from '../../api/routes';
import { ApiClient, type ApiResponse } from '../support/http';
import { type TestSystem, testSystem } from '../support/system';

type Json = Record<string, unknown>;

const execFileAsync = promisify(execFile);

function collectRefs(value: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const v of value) collectRefs(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.add(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

describe('api: OpenAPI document and reference page', () => {
  let system: TestSystem;
  let document: Json;
  let paths: Record<string, Record<string, Json>>;

  before(async function () {
    this.timeout(300_000);
    system = await testSystem();
    const response = await fetch(`${system.baseUrl}/openapi.json`);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^application\/json/);
    document = (await response.json()) as Json;
    paths = document.paths as typeof paths;
  });

  it('is valid OpenAPI 3.1 for an outside validator', async function () {
    this.timeout(60_000);
    expect(document.openapi).to.equal('3.1.0');
    const dir = mkdtempSync(path.join(tmpdir(), 'vanthu-openapi-'));
    try {
      const file = path.join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(document));
      const { stdout } = await execFileAsync('python3', [
        '-m',
        'openapi_spec_validator',
        '--schema',
        '3.1',
        file,
      ]);
      expect(stdout).to.match(/OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('describes every declared route once, with what every route implies', () => {
    const ids = new Set<string>();
    for (const route of API_ROUTES) {
      const p = `${API_PREFIX}${route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;
      const operation = paths[p]?.[route.method];
      expect(operation, `${route.method} ${p}`).to.be.an('object');
      expect(operation!.operationId).to.equal(route.operationId);
      expect(ids.has(route.operationId), route.operationId).to.equal(false);
      ids.add(route.operationId);
      const params = (operation!.parameters as Json[]).map((x) => `${x.in}:${x.name}`);
      for (const name of route.path.match(/:([A-Za-z0-9_]+)/g) ?? [])
        expect(params).to.include(`path:${name.slice(1)}`);
      if (route.method !== 'get') expect(params, route.operationId).to.include('header:Idempotency-Key');
      if (route.ifMatch) expect(params).to.include('header:If-Match');
      const responses = operation!.responses as Json;
      if (route.access.kind !== 'public') expect(responses, route.operationId).to.include.keys('401', '403');
      if (route.body) expect(responses).to.include.keys('413', '415');
      for (const [status, spec] of Object.entries(route.responses)) {
        if (!spec.contentType) continue;
        const content = (responses[status] as Json).content as Json | undefined;
        expect(content, `${route.operationId} ${status}`).to.have.property(spec.contentType);
      }
    }
    const declared = Object.values(paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    expect(declared).to.equal(API_ROUTES.length);
  });

  it('resolves every reference to a shared schema, and each shared schema is valid JSON Schema 2020-12', () => {
    const schemas = (document.components as Json).schemas as Record<string, Json>;
    for (const ref of collectRefs(document, new Set())) {
      expect(ref).to.match(/^#\/components\/schemas\//);
      expect(schemas, ref).to.have.property(ref.split('/').pop()!);
    }
    expect(schemas).to.include.keys(
      'Problem',
      'Session',
      'ApiToken',
      'WebhookSubscription',
      'AuditVerification',
    );
    const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
    for (const [name, schema] of Object.entries(schemas)) {
      expect(() => ajv.compile({ ...schema, components: document.components }), name).to.not.throw();
    }
  });

  it('publishes the schemas that the running api answers with', async () => {
    const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
    const check = (response: ApiResponse, method: string, route: string) => {
      const operation = paths[`${API_PREFIX}${route}`]![method]!;
      const spec = (operation.responses as Record<string, Json>)[String(response.status)];
      expect(spec, `${method} ${route} ${response.status} is documented`).to.be.an('object');
      const content = spec!.content as Record<string, { schema: Json }>;
      const [type, media] = Object.entries(content)[0]!;
      expect(response.headers.get('content-type')).to.include(type);
      const validate = ajv.compile({ ...media.schema, components: document.components });
      expect(validate(response.body), `${method} ${route}: ${ajv.errorsText(validate.errors)}`).to.equal(
        true,
      );
    };
    const anonymous = new ApiClient(system.baseUrl);
    const signIn = await anonymous.post('/api/v1/session', { username: 'quantri', password: 'vanthu-demo' });
    check(signIn, 'post', '/session');
    check(
      await anonymous.post(
        '/api/v1/session',
        { username: 'quantri', password: 'sai' },
        { 'x-forwarded-for': '192.0.2.78' },
      ),
      'post',
      '/session',
    );
    const admin = new ApiClient(system.baseUrl).useSession(signIn);
    check(await admin.get('/api/v1/session'), 'get', '/session');
    check(
      await admin.post('/api/v1/tokens', { name: 'openapi test', unitId: 2, roles: ['clerk'] }),
      'post',
      '/tokens',
    );
    check(await admin.get('/api/v1/tokens?limit=2'), 'get', '/tokens');
    check(await admin.post('/api/v1/tokens', { name: '', unitId: 2, roles: [] }), 'post', '/tokens');
    const auditor = await new ApiClient(system.baseUrl).signIn('kiemtra.tu');
    check(await auditor.get('/api/v1/audit/verify'), 'get', '/audit/verify');
    check(await auditor.get('/api/v1/audit/entries?limit=5'), 'get', '/audit/entries');
  });

  it('serves a readable reference page that loads nothing from anywhere', async () => {
    const response = await fetch(`${system.baseUrl}/api/docs`);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^text\/html/);
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).to.include("default-src 'none'").and.include("script-src 'none'");
    const html = await response.text();
    for (const route of API_ROUTES) expect(html, route.operationId).to.include(route.operationId);
    expect(html).to.include('X-Vanthu-Signature');
    expect(html).to.not.match(/<script|<link|<img|<iframe|@import|url\(/i);
    const links = [...html.matchAll(/(?:href|src)="([^"]*)"/g)].map((m) => m[1]!);
    for (const link of links) expect(link, link).to.match(/^(#|\/openapi\.json$)/);
  });
});
