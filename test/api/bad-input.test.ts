/**
 * Bad input at the api's door: SQL and script injection stored and answered inert,
 * oversized bodies (413), wrong content types (415), malformed JSON, hostile paths and
 * headers — each refused with a problem, never a stack trace, and nothing half-written.
 */
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { ApiClient, type ApiResponse } from '../support/http';
import { type TestSystem, testSystem } from '../support/system';

const HOSTILE = [
  `'); DROP TABLE person; --`,
  `" OR 1=1 --`,
  `<script>alert('x')</script>`,
  `<img src=x onerror=alert(1)>`,
  `\u0000\u202e ${'\\'}x' ; SELECT pg_sleep(5); --`,
  `{{constructor.constructor('return 1')()}}`,
];

describe('api: bad input', () => {
  let system: TestSystem;
  let admin: ApiClient;

  const counts = async () => {
    const [row] = await system.sequelize.query<Record<string, number>>(
      `SELECT (SELECT count(*)::int FROM person) AS person, (SELECT count(*)::int FROM role_assignment) AS roles,
              (SELECT count(*)::int FROM api_token) AS tokens, (SELECT count(*)::int FROM webhook_subscription) AS hooks,
              (SELECT count(*)::int FROM audit_event) AS audit, (SELECT count(*)::int FROM idempotency_record) AS keys`,
      { type: QueryTypes.SELECT },
    );
    return row!;
  };

  function expectProblem(response: ApiResponse, status: number): void {
    expect(response.status, JSON.stringify(response.body)).to.equal(status);
    expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
    expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(JSON.stringify(response.body)).to.not.match(/\n\s+at |node_modules|Error:/);
  }

  before(async function () {
    this.timeout(300_000);
    system = await testSystem();
    admin = await new ApiClient(system.baseUrl).signIn('quantri');
  });

  it('stores SQL and script injection as plain text and answers it inert, as JSON', async () => {
    for (const text of HOSTILE.map((t) => t.replaceAll(String.fromCharCode(0), ''))) {
      const created = await admin.post<{ id: number; description: string }>('/api/v1/webhooks', {
        unitId: 2,
        url: 'http://127.0.0.1:9/hook?q=%27%3B--',
        events: ['document.issued'],
        description: text,
      });
      expect(created.status, text).to.equal(201);
      expect(created.headers.get('content-type')).to.match(/^application\/json/);
      expect(created.headers.get('x-content-type-options')).to.equal('nosniff');
      const read = await admin.get<{ description: string }>(`/api/v1/webhooks/${created.body.id}`);
      expect(read.body.description).to.equal(text);
      const [stored] = await system.sequelize.query<{ description: string }>(
        'SELECT description FROM webhook_subscription WHERE id = $1',
        { bind: [created.body.id], type: QueryTypes.SELECT },
      );
      expect(stored!.description).to.equal(text);
      const token = await admin.post<{ name: string }>('/api/v1/tokens', {
        name: text.slice(0, 100),
        unitId: 2,
        roles: ['member'],
      });
      expect(token.status, text).to.equal(201);
      expect(token.body.name).to.equal(text.slice(0, 100).trim());
    }
    const [tables] = await system.sequelize.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM person WHERE username = 'quantri'",
      {
        type: QueryTypes.SELECT,
      },
    );
    expect(tables!.n).to.equal(1);
    // A NUL byte cannot be stored in PostgreSQL text: refused cleanly, not a 500.
    const nul = await admin.post('/api/v1/webhooks', {
      unitId: 2,
      url: 'http://127.0.0.1:9/hook',
      events: ['document.issued'],
      description: 'a\u0000b',
    });
    expectProblem(nul, 400);
    expect((nul.body as { field: string }).field).to.equal('body.description');
  });

  it('answers a hostile path with JSON that reflects it only as data', async () => {
    const response = await admin.get<{ detail: string }>(
      `/api/v1/${encodeURIComponent('<script>alert(1)</script>')}`,
    );
    expectProblem(response, 404);
    expect(response.headers.get('content-security-policy')).to.include("default-src 'none'");
    const traversal = await admin.get('/api/v1/webhooks/..%2F..%2Fetc%2Fpasswd');
    expectProblem(traversal, 400);
  });

  it('refuses bodies that are too large (413), of the wrong type (415) or malformed (400), writing nothing', async () => {
    const before = await counts();
    const huge = { name: 'x', unitId: 2, roles: ['clerk'], padding: 'x'.repeat(2 * 1024 * 1024) };
    expectProblem(await admin.post('/api/v1/tokens', huge), 413);
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const response = await admin.request('POST', '/api/v1/tokens', {
        body: 'name=x&unitId=2&roles=clerk',
        headers: { 'content-type': type },
      });
      expectProblem(response, 415);
    }
    expectProblem(
      await admin.request('POST', '/api/v1/tokens', {
        body: '{"name": ',
        headers: { 'content-type': 'application/json' },
      }),
      400,
    );
    expectProblem(
      await admin.request('POST', '/api/v1/tokens', {
        body: '{"name":"x"}',
        headers: { 'content-type': 'application/json; charset=latin-9' },
      }),
      415,
    );
    expectProblem(await admin.post('/api/v1/tokens', ['not', 'an', 'object']), 400);
    expectProblem(
      await admin.post('/api/v1/tokens', { name: 'x', unitId: '2; DROP TABLE api_token', roles: ['clerk'] }),
      400,
    );
    expectProblem(
      await admin.request('POST', '/api/v1/tokens', {
        body: '{"name":"x","unitId":2,"roles":["clerk"],"__proto__":{"admin":true}}',
        headers: { 'content-type': 'application/json' },
      }),
      400,
    );
    expect(await counts()).to.deep.equal(before);
  });

  it('refuses what the caller may not do, and what refers to units it cannot see, writing nothing', async () => {
    const clerk = await new ApiClient(system.baseUrl).signIn('vanthu.phucxa');
    const before = await counts();
    expectProblem(await clerk.post('/api/v1/tokens', { name: 'x', unitId: 2, roles: ['clerk'] }), 403);
    expectProblem(
      await clerk.post('/api/v1/webhooks', {
        unitId: 3,
        url: 'http://127.0.0.1:9/',
        events: ['document.issued'],
      }),
      403,
    );
    expectProblem(
      await admin.post('/api/v1/webhooks', {
        unitId: 999_999,
        url: 'http://127.0.0.1:9/',
        events: ['document.issued'],
      }),
      404,
    );
    expectProblem(
      await admin.post('/api/v1/webhooks', {
        unitId: 2,
        url: 'file:///etc/passwd',
        events: ['document.issued'],
      }),
      400,
    );
    expectProblem(
      await admin.post('/api/v1/webhooks', {
        unitId: 2,
        url: 'http://user:pw@127.0.0.1/',
        events: ['document.issued'],
      }),
      400,
    );
    expectProblem(
      await admin.post('/api/v1/webhooks', { unitId: 2, url: 'http://127.0.0.1/', events: ['everything'] }),
      400,
    );
    expectProblem(
      await admin.post('/api/v1/webhooks', {
        unitId: 2,
        url: 'http://127.0.0.1/',
        events: ['document.issued'],
        secret: 'short',
      }),
      400,
    );
    // The body limit and type checks come before identification: an anonymous flood is refused as cheaply.
    expectProblem(
      await new ApiClient(system.baseUrl).post('/api/v1/tokens', { name: 'x', unitId: 2, roles: ['clerk'] }),
      401,
    );
    expect(await counts()).to.deep.equal(before);
  });
});
