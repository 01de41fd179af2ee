/**
 * Who you are: session cookies with CSRF tokens, expired and malformed credentials,
 * sign-in throttling per account and per address, first sign-in with an activation code,
 * and API tokens for other systems.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { createApp } from '../../api/app';
import { warmUpPasswordCheck } from '../../api/auth';
import type { SignInPolicy } from '../../api/sign-in-throttle';
import { verifyPassword } from '../../db/passwords';
import { DEMO_PASSWORD } from '../../db/seed';
import { close, listen } from '../../runtime/http-server';
import { eventually } from '../support/eventually';
import { ApiClient, type ApiResponse } from '../support/http';
import { localUrl } from '../support/ports';
import { type TestSystem, testSystem } from '../support/system';

interface Problem {
  status: number;
  title: string;
  detail: string;
  field?: string;
}

/**
 * Deliberate failures come from an address of their own, so they do not use up the
 * budget of 127.0.0.1, from which every suite signs in.
 */
const ELSEWHERE = { 'x-forwarded-for': '192.0.2.77' };

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Every problem: JSON of the problem kind, a sentence, never a stack trace. */
function expectProblem(response: ApiResponse, status: number, detail?: string | RegExp): void {
  expect(response.status, JSON.stringify(response.body)).to.equal(status);
  expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
  const body = response.body as Problem;
  expect(body.status).to.equal(status);
  expect(JSON.stringify(body)).to.not.match(/\n\s+at |Error:|node_modules/);
  if (typeof detail === 'string') expect(body.detail).to.include(detail);
  else if (detail) expect(body.detail).to.match(detail);
}

describe('api: who you are', () => {
  let system: TestSystem;
  let admin: ApiClient;

  before(async function () {
    this.timeout(300_000);
    system = await testSystem();
    admin = await new ApiClient(system.baseUrl).signIn('quantri');
  });

  describe('sessions', () => {
    it('sets an HttpOnly, SameSite=Strict session cookie and a readable CSRF cookie, storing only a digest', async () => {
      const response = await new ApiClient(system.baseUrl).post<{ csrfToken: string }>('/api/v1/session', {
        username: 'chuyenvien.badinh',
        password: DEMO_PASSWORD,
      });
      expect(response.status).to.equal(201);
      const cookies = response.headers.getSetCookie();
      const session = cookies.find((c) => c.startsWith('vanthu_session='))!;
      const csrf = cookies.find((c) => c.startsWith('vanthu_csrf='))!;
      expect(session)
        .to.match(/HttpOnly/i)
        .and.match(/SameSite=Strict/i)
        .and.match(/Path=\//);
      expect(csrf)
        .to.match(/SameSite=Strict/i)
        .and.not.match(/HttpOnly/i);
      expect(csrf).to.include(`vanthu_csrf=${response.body.csrfToken}`);
      const token = session.split(';')[0]!.split('=')[1]!;
      const [stored] = await system.sequelize.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM session WHERE token_sha256 = $1',
        { bind: [sha256(token)], type: QueryTypes.SELECT },
      );
      expect(stored!.n).to.equal(1);
      const [plain] = await system.sequelize.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM session WHERE token_sha256 = $1 OR client = $1`,
        { bind: [token], type: QueryTypes.SELECT },
      );
      expect(plain!.n).to.equal(0);
    });

    it('refuses an unsafe request with the session cookie but without the CSRF token, and keeps the session', async () => {
      const person = await new ApiClient(system.baseUrl).signIn('vanthu.badinh');
      const cookie = person.sessionCookie!;
      const missing = await new ApiClient(system.baseUrl).request('DELETE', '/api/v1/session', {
        headers: { cookie },
      });
      expectProblem(missing, 403, 'X-CSRF-Token');
      expect((missing.body as Problem).field).to.equal('header.X-CSRF-Token');
      const wrong = await new ApiClient(system.baseUrl).request('DELETE', '/api/v1/session', {
        headers: { cookie, 'x-csrf-token': 'A'.repeat(43) },
      });
      expectProblem(wrong, 403, 'X-CSRF-Token');
      expect((await person.get('/api/v1/session')).status).to.equal(200);

      const right = await person.delete('/api/v1/session');
      expect(right.status).to.equal(204);
      expect(right.headers.getSetCookie().join('\n')).to.match(/vanthu_session=;.*Max-Age=0/);
      expectProblem(await person.get('/api/v1/session'), 401, 'not known');
    });

    it('answers 401 for an expired session, yet lets its holder sign in again', async () => {
      const person = await new ApiClient(system.baseUrl).signIn('chuyenvien.phucxa');
      const token = person.sessionCookie!.split('=')[1]!;
      await system.sequelize.query(
        `UPDATE session SET expires_at = now() - interval '1 minute' WHERE token_sha256 = $1`,
        { bind: [sha256(token)] },
      );
      expectProblem(await person.get('/api/v1/session'), 401, 'your session has expired; sign in again');
      const again = await person.post('/api/v1/session', {
        username: 'chuyenvien.phucxa',
        password: DEMO_PASSWORD,
      });
      expect(again.status).to.equal(201);
    });

    it('refuses malformed cookies and Authorization headers with a 401 problem, never a stack trace', async () => {
      const client = new ApiClient(system.baseUrl);
      const cases: Array<[Record<string, string>, string]> = [
        [{ cookie: 'vanthu_session=<script>alert(1)</script>' }, 'session cookie is malformed'],
        [{ cookie: `vanthu_session=${'x'.repeat(5000)}` }, 'session cookie is malformed'],
        [{ cookie: 'vanthu_session=%E0%A4%A' }, 'session cookie is malformed'],
        [{ cookie: `vanthu_session=${'A'.repeat(43)}` }, 'not known'],
        [{ authorization: 'Bearer abc' }, 'Authorization header must be'],
        [{ authorization: 'Basic dXNlcjpwYXNz' }, 'Authorization header must be'],
        [{ authorization: `Bearer vt_${'A'.repeat(43)}` }, 'API token is not known'],
        [{ authorization: "Bearer vt_' OR 1=1 --" }, 'Authorization header must be'],
      ];
      for (const [headers, detail] of cases) {
        expectProblem(await client.get('/api/v1/session', headers), 401, detail);
      }
    });
  });

  describe('sign-in throttling', () => {
    const policy: SignInPolicy = {
      account: { slowAfter: 2, lockAfter: 4 },
      client: { slowAfter: 6, lockAfter: 8 },
      // Waits long enough that an immediate retry is always refused; the test moves the clock.
      baseDelayMs: 60_000,
      maxDelayMs: 120_000,
      lockMs: 600_000,
      windowMs: 900_000,
    };
    let server: Server;
    let baseUrl: string;

    before(async () => {
      const app = createApp({
        sequelize: system.sequelize,
        temporal: system.temporal,
        taskQueue: system.taskQueue,
        logger: system.logger,
        publicUrl: 'http://127.0.0.1',
        pki: system.pki,
        signInPolicy: policy,
      });
      server = await listen(app, 0, '127.0.0.1');
      baseUrl = localUrl(server);
    });
    after(async () => {
      await close(server, 1_000);
    });

    /** A client address of its own (the api trusts X-Forwarded-For from loopback). */
    const address = () => `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const attempt = (username: string, password: string, from: string) =>
      new ApiClient(baseUrl).post<Problem>(
        '/api/v1/session',
        { username, password },
        { 'x-forwarded-for': from },
      );
    /** Lets the waiting time pass, without waiting. */
    const passTime = (subject: string) =>
      system.sequelize.query('UPDATE sign_in_throttle SET next_allowed_at = now() WHERE subject = $1', {
        bind: [subject],
      });
    const forget = (subjects: string[]) =>
      system.sequelize.query('DELETE FROM sign_in_throttle WHERE subject = ANY($1::text[])', {
        bind: [subjects],
      });

    it('slows an account down after repeated failures, then locks it even for the right password', async () => {
      const username = 'phobithu.kimma';
      const from = address();
      try {
        expect((await attempt(username, 'sai 1', from)).status).to.equal(401);
        expect((await attempt(username, 'sai 2', from)).status).to.equal(401);
        const slowed = await attempt(username, DEMO_PASSWORD, from);
        expectProblem(slowed, 429, 'wait before trying again');
        expect(Number(slowed.headers.get('retry-after'))).to.be.greaterThan(0);

        await passTime(username);
        expect((await attempt(username, 'sai 3', from)).status).to.equal(401);
        expectProblem(await attempt(username, 'sai 4', from), 429);
        await passTime(username);
        expect((await attempt(username, 'sai 4', from)).status).to.equal(401);
        await passTime(username);
        const locked = await attempt(username, DEMO_PASSWORD, from);
        expectProblem(locked, 429, 'locked');
        expect(Number(locked.headers.get('retry-after'))).to.be.greaterThan(60);
        const [audited] = await system.sequelize.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM audit_event WHERE action = 'auth.sign_in_locked' AND detail->>'subject' = $1`,
          { bind: [username], type: QueryTypes.SELECT },
        );
        expect(audited!.n).to.equal(1);

        // An administrator lifts the lock; the account signs in and its counter is clear.
        expect((await admin.delete(`/api/v1/admin/sign-in-locks/${username}`)).status).to.equal(204);
        expect((await attempt(username, DEMO_PASSWORD, from)).status).to.equal(201);
      } finally {
        await forget([username, from]);
      }
    });

    it('checks unknown users against an argon2id hash nobody knows, costing what a wrong password costs', async () => {
      const dummy = await warmUpPasswordCheck();
      expect(dummy).to.match(/^\$argon2id\$/);
      expect(await warmUpPasswordCheck()).to.equal(dummy);
      expect(await verifyPassword(dummy, DEMO_PASSWORD)).to.equal(false);
    });

    it('treats an unknown user name exactly like a known one', async () => {
      const username = `khongco.${randomUUID().slice(0, 8)}`;
      const from = address();
      try {
        const first = await attempt(username, 'x', from);
        expectProblem(first, 401, 'wrong user name or password');
        expectProblem(await attempt(username, 'x', from), 401, 'wrong user name or password');
        expectProblem(await attempt(username, 'x', from), 429, 'wait before trying again');
      } finally {
        await forget([username, from]);
      }
    });

    it('slows down an address that sprays passwords over many accounts', async () => {
      const from = address();
      const accounts = Array.from({ length: 7 }, (_, i) => `spray.${i}.${randomUUID().slice(0, 6)}`);
      try {
        for (const username of accounts.slice(0, 6)) {
          expect((await attempt(username, 'x', from)).status).to.equal(401);
        }
        expectProblem(await attempt(accounts[6]!, 'x', from), 429, 'wait before trying again');
        // Another address is not affected.
        expect((await attempt('chuyenvien.kimma', DEMO_PASSWORD, address())).status).to.equal(201);
      } finally {
        await forget([...accounts, from]);
      }
    });

    it('forgets an account’s failures after a successful sign-in', async () => {
      const username = 'chuyenvien.kimma';
      const from = address();
      try {
        expect((await attempt(username, 'sai', from)).status).to.equal(401);
        expect((await attempt(username, DEMO_PASSWORD, from)).status).to.equal(201);
        const rows = await system.sequelize.query(
          `SELECT 1 FROM sign_in_throttle WHERE scope = 'account' AND subject = $1`,
          {
            bind: [username],
            type: QueryTypes.SELECT,
          },
        );
        expect(rows).to.have.length(0);
      } finally {
        await forget([username, from]);
      }
    });
  });

  describe('first sign-in with an activation code', () => {
    async function newPerson(): Promise<{ id: number; username: string }> {
      const username = `moi.${randomUUID().slice(0, 8)}`;
      const [row] = await system.sequelize.query<{ id: number }>(
        `INSERT INTO person (username, full_name, home_unit_id) VALUES ($1, 'Người Mới', 2) RETURNING id`,
        { bind: [username], type: QueryTypes.SELECT },
      );
      return { id: row!.id, username };
    }

    it('lets a person without a password set one with a one-time code from an administrator', async () => {
      const person = await newPerson();
      const anonymous = new ApiClient(system.baseUrl);
      expectProblem(
        await anonymous.post(
          '/api/v1/session',
          { username: person.username, password: 'anything at all' },
          ELSEWHERE,
        ),
        401,
      );

      const issued = await admin.post<{ code: string; expiresAt: string; username: string }>(
        `/api/v1/admin/people/${person.id}/activation-code`,
        undefined,
      );
      expect(issued.status).to.equal(201);
      expect(issued.body.code).to.match(/^[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
      const [stored] = await system.sequelize.query<{ code_sha256: string }>(
        'SELECT code_sha256 FROM activation_code WHERE person_id = $1',
        { bind: [person.id], type: QueryTypes.SELECT },
      );
      expect(stored!.code_sha256).to.equal(sha256(issued.body.code.replace(/-/g, '')));

      const activate = (code: string, password: string) =>
        anonymous.post<Problem>(
          '/api/v1/session/activation',
          { username: person.username, code, password },
          ELSEWHERE,
        );
      expectProblem(
        await activate('AAAAA-BBBBB-CCCCC', 'một mật khẩu đủ dài'),
        401,
        'activation code is wrong',
      );
      const short = await activate(issued.body.code, 'ngan');
      expectProblem(short, 400, 'at least 10 characters');
      expect(short.body.field).to.equal('body.password');
      const named = await activate(issued.body.code, `${person.username}-2026`);
      expectProblem(named, 400, 'must not contain the user name');

      // Codes are read back over the phone: lower case and dashes do not matter.
      const done = await activate(issued.body.code.toLowerCase().replace(/-/g, ' '), 'một mật khẩu đủ dài');
      expect(done.status, JSON.stringify(done.body)).to.equal(201);
      const signedIn = new ApiClient(system.baseUrl).useSession(done);
      expect(
        (await signedIn.get<{ person: { username: string } }>('/api/v1/session')).body.person.username,
      ).to.equal(person.username);
      expectProblem(await activate(issued.body.code, 'một mật khẩu khác nữa'), 401);
      expect(
        (await new ApiClient(system.baseUrl).signIn(person.username, 'một mật khẩu đủ dài')).csrf,
      ).to.be.a('string');
    });

    it('refuses an expired code', async () => {
      const person = await newPerson();
      const issued = await admin.post<{ code: string }>(
        `/api/v1/admin/people/${person.id}/activation-code`,
        undefined,
      );
      await system.sequelize.query(
        `UPDATE activation_code SET expires_at = now() - interval '1 second' WHERE person_id = $1`,
        {
          bind: [person.id],
        },
      );
      const response = await new ApiClient(system.baseUrl).post(
        '/api/v1/session/activation',
        { username: person.username, code: issued.body.code, password: 'một mật khẩu đủ dài' },
        ELSEWHERE,
      );
      expectProblem(response, 401, 'wrong or expired');
      await system.sequelize.query('DELETE FROM sign_in_throttle WHERE subject = $1', {
        bind: [person.username],
      });
    });
  });

  describe('API tokens', () => {
    interface Created {
      id: number;
      token: string;
      roles: string[];
      unitId: number;
    }

    it('shows a token once, stores its digest only, and lets the system act with its roles', async () => {
      const created = await admin.post<Created>('/api/v1/tokens', {
        name: 'Cổng thông tin Quận Ba Đình',
        unitId: 2,
        roles: ['clerk', 'clerk'],
      });
      expect(created.status).to.equal(201);
      expect(created.body.token).to.match(/^vt_[A-Za-z0-9_-]{43}$/);
      expect(created.body.roles).to.deep.equal(['clerk']);
      const [row] = await system.sequelize.query<{ token_sha256: string }>(
        'SELECT token_sha256 FROM api_token WHERE id = $1',
        { bind: [created.body.id], type: QueryTypes.SELECT },
      );
      expect(row!.token_sha256).to.equal(sha256(created.body.token));

      const listed = await admin.get<{ items: Array<Record<string, unknown>> }>('/api/v1/tokens?limit=200');
      const item = listed.body.items.find((t) => t.id === created.body.id)!;
      expect(item).to.not.have.property('token');
      expect(JSON.stringify(listed.body)).to.not.include(created.body.token);

      const portal = ApiClient.withToken(system.baseUrl, created.body.token);
      const me = await portal.get<{
        via: string;
        person: { roles: Array<{ unitId: number; role: string }> };
      }>('/api/v1/session');
      expect(me.status).to.equal(200);
      expect(me.body.via).to.equal('token');
      expect(me.body.person.roles.map((r) => [r.unitId, r.role])).to.deep.equal([[2, 'clerk']]);
      // No CSRF token is needed: a bearer token is not sent by browsers on their own.
      expect(
        (await portal.post('/api/v1/tokens', { name: 'x', unitId: 2, roles: ['clerk'] })).status,
      ).to.equal(403);

      const revoked = await admin.delete(`/api/v1/tokens/${created.body.id}`);
      expect(revoked.status).to.equal(204);
      expectProblem(await portal.get('/api/v1/session'), 401, 'revoked');
    });

    it('refuses the admin role, units outside the administrator’s reach, and past expiry dates', async () => {
      const adminRole = await admin.post<Problem>('/api/v1/tokens', {
        name: 'x',
        unitId: 2,
        roles: ['admin'],
      });
      expectProblem(adminRole, 400);
      expect(adminRole.body.field).to.equal('body.roles.0');
      expectProblem(
        await admin.post('/api/v1/tokens', { name: 'x', unitId: 999_999, roles: ['clerk'] }),
        404,
      );
      const past = await admin.post<Problem>('/api/v1/tokens', {
        name: 'x',
        unitId: 2,
        roles: ['clerk'],
        expiresAt: '2020-01-01T00:00:00Z',
      });
      expectProblem(past, 400, 'in the future');
    });

    it('answers 401 once a token has expired', async () => {
      const created = await admin.post<Created>('/api/v1/tokens', {
        name: 'short-lived',
        unitId: 2,
        roles: ['member'],
      });
      const client = ApiClient.withToken(system.baseUrl, created.body.token);
      expect((await client.get('/api/v1/session')).status).to.equal(200);
      await system.sequelize.query(
        `UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = $1`,
        {
          bind: [created.body.id],
        },
      );
      // Changed behind the api's back, so heard of through the trigger's NOTIFY.
      const refused = await eventually(
        () => client.get('/api/v1/session'),
        (r) => r.status === 401,
        'the expired token',
      );
      expectProblem(refused, 401, 'expired');
    });
  });
});
