/**
 * Walks every route in API_ROUTES with every role. Each route declares `accessExamples`
 * next to its `access` (who must succeed, how to build the request); every other caller
 * must be refused — 401 when anonymous, otherwise 403, or 404 where the thing belongs to
 * another unit. A route without examples fails the first test here, so a route added
 * later cannot slip through unchecked.
 *
 * The callers (personas) stand around one target, the district committee Quận ủy Ba Đình
 * of the demo organisation: above it (the city committee), in it, below it (a ward, a
 * branch), and beside it (another district), plus an API token of the district.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { API_PREFIX } from '../../api/openapi';
import {
  type AccessExamples,
  type AccessFixture,
  PERSONAS,
  type Persona,
  type RouteDefinition,
} from '../../api/route';
import { API_ROUTES } from '../../api/routes';
import { ROLES } from '../../domain/org';
import { lifecycleFixture } from '../support/access-fixture';
import { ApiClient, type ApiResponse } from '../support/http';
import { type TestSystem, testSystem } from '../support/system';

const USERS: Record<Exclude<Persona, 'anonymous' | 'token.district'>, string> = {
  admin: 'quantri',
  'auditor.city': 'kiemtra.tu',
  'clerk.city': 'vanthu.tu',
  'drafter.city': 'chuyenvien.tu',
  'leader.city': 'bithu.tu',
  'clerk.district': 'vanthu.badinh',
  'drafter.district': 'chuyenvien.badinh',
  'leader.district': 'bithu.badinh',
  'auditor.district': 'kiemtra.badinh',
  'clerk.ward': 'vanthu.phucxa',
  'secretary.branch': 'dangvien.phucxa1.1',
  'member.branch': 'dangvien.phucxa1.2',
  'drafter.otherDistrict': 'chuyenvien.hoankiem',
  'auditor.otherDistrict': 'kiemtra.hoankiem',
};

function examplesOf(route: RouteDefinition): AccessExamples | undefined {
  return route.accessExamples;
}

function pathPattern(route: RouteDefinition): RegExp {
  return new RegExp(
    `^${route.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`,
  );
}

describe('api: every route, every role', () => {
  let system: TestSystem;
  const clients = new Map<Persona, ApiClient>();
  let fixture: AccessFixture;

  before(async function () {
    this.timeout(300_000);
    system = await testSystem();
    for (const [persona, username] of Object.entries(USERS)) {
      clients.set(persona as Persona, await new ApiClient(system.baseUrl).signIn(username));
    }
    clients.set('anonymous', new ApiClient(system.baseUrl));
    const admin = clients.get('admin')!;
    const homeOf = async (username: string) => {
      const [row] = await system.sequelize.query<{ home_unit_id: number }>(
        'SELECT home_unit_id FROM person WHERE username = $1',
        { bind: [username], type: QueryTypes.SELECT },
      );
      return row!.home_unit_id;
    };
    const units = {
      city: await homeOf('quantri'),
      district: await homeOf('vanthu.badinh'),
      ward: await homeOf('vanthu.phucxa'),
      branch: await homeOf('dangvien.phucxa1.1'),
      otherDistrict: await homeOf('vanthu.hoankiem'),
    };
    const token = await admin.post<{ token: string }>('/api/v1/tokens', {
      name: 'Hệ thống của quận (access test)',
      unitId: units.district,
      roles: ['clerk'],
    });
    clients.set('token.district', ApiClient.withToken(system.baseUrl, token.body.token));

    let document: Promise<string> | undefined;
    fixture = {
      units,
      districtDocument: () => {
        document ??= clients
          .get('drafter.district')!
          .post<{ id: string }>('/api/v1/documents', {
            type: 'CT',
            subject: 'Văn bản của quận (access test)',
            body: ['Nội dung.'],
          })
          .then((r) => {
            if (r.status !== 201)
              throw new Error(`could not create the district's document: ${JSON.stringify(r.body)}`);
            return r.body.id;
          });
        return document;
      },
      asAdmin: async (method, path, body) => {
        const response = await admin.send(method.toUpperCase(), `${API_PREFIX}${path}`, body);
        return { status: response.status, body: response.body };
      },
      newPerson: async () => {
        const username = `truycap.${randomUUID().slice(0, 8)}`;
        const [row] = await system.sequelize.query<{ id: number }>(
          `INSERT INTO person (username, full_name, home_unit_id) VALUES ($1, 'Người Kiểm Tra', $2) RETURNING id`,
          { bind: [username, units.district], type: QueryTypes.SELECT },
        );
        return { id: row!.id, username };
      },
      ...lifecycleFixture(system, clients, units),
      personId: async (username) => {
        const [row] = await system.sequelize.query<{ id: number }>(
          'SELECT id FROM person WHERE username = $1',
          {
            bind: [username],
            type: QueryTypes.SELECT,
          },
        );
        if (!row) throw new Error(`no person ${username}`);
        return row.id;
      },
    };
  });

  it('has access examples for every route', () => {
    const missing = API_ROUTES.filter((r) => !examplesOf(r)).map(
      (r) => `${r.method.toUpperCase()} ${r.path} (${r.operationId})`,
    );
    expect(missing, `routes without accessExamples:\n  ${missing.join('\n  ')}`).to.deep.equal([]);
  });

  it('plays every role of the organisation', async () => {
    const held = new Set<string>();
    for (const [persona, client] of clients) {
      if (persona === 'anonymous') continue;
      const me = await client.get<{ person: { roles: Array<{ role: string }> } }>('/api/v1/session');
      expect(me.status, persona).to.equal(200);
      for (const r of me.body.person.roles) held.add(r.role);
    }
    expect([...held].sort()).to.deep.equal([...ROLES].sort());
  });

  for (const route of API_ROUTES) {
    const examples = examplesOf(route);
    if (!examples) continue;
    it(`${route.method.toUpperCase()} ${route.path}: allows ${examples.allow.length} of ${PERSONAS.length} callers, refuses the others`, async function () {
      this.timeout(120_000);
      const wrong: string[] = [];
      for (const persona of PERSONAS) {
        const example = await examples.request(fixture, persona);
        expect(example.path, `${route.operationId}: example path`).to.match(pathPattern(route));
        let client = clients.get(persona)!;
        if (example.freshSession && persona in USERS) {
          client = await new ApiClient(system.baseUrl).signIn(USERS[persona as keyof typeof USERS]);
        }
        const query = example.query ? `?${new URLSearchParams(example.query)}` : '';
        const response: ApiResponse = example.raw
          ? await client.request(route.method.toUpperCase(), `${API_PREFIX}${example.path}${query}`, {
              body: example.raw.body,
              headers: { 'content-type': example.raw.contentType, ...example.headers },
            })
          : await client.send(
              route.method.toUpperCase(),
              `${API_PREFIX}${example.path}${query}`,
              route.body ? example.body : undefined,
              example.headers ?? {},
            );
        const allowed = examples.allow.includes(persona);
        const expected = allowed
          ? '2xx'
          : persona === 'anonymous'
            ? '401'
            : examples.notFoundFor?.includes(persona)
              ? '404'
              : '403 or 404';
        const ok = allowed
          ? response.status >= 200 && response.status < 300
          : persona === 'anonymous'
            ? response.status === 401
            : examples.notFoundFor?.includes(persona)
              ? response.status === 404
              : response.status === 403 || response.status === 404;
        if (!ok) {
          const detail = (response.body as { detail?: string } | undefined)?.detail ?? '';
          wrong.push(`${persona}: expected ${expected}, got ${response.status} ${detail}`.trim());
        }
      }
      expect(wrong, `${route.operationId}:\n  ${wrong.join('\n  ')}`).to.deep.equal([]);
    });
  }
});
