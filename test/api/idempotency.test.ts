/**
 * Idempotency-Key: a repeat returns the first response with no second effect, across api
 * processes; a reused key with another request is refused; a repeat while the first runs
 * gets 409; keys belong to their caller and expire.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { claimIdempotencyKey } from '../../api/idempotency';
import { DEMO_PASSWORD } from '../../db/seed';
import { ApiClient } from '../support/http';
import { type SecondApi, startSecondApi, type TestSystem, testSystem } from '../support/system';

interface Token {
  id: number;
  name: string;
  token: string;
}

describe('api: Idempotency-Key', () => {
  let system: TestSystem;
  let admin: ApiClient;
  let adminId: number;

  const count = async (sql: string, bind: unknown[]) => {
    const [row] = await system.sequelize.query<{ n: number }>(sql, { bind, type: QueryTypes.SELECT });
    return row!.n;
  };
  const tokensNamed = (name: string) =>
    count('SELECT count(*)::int AS n FROM api_token WHERE name = $1', [name]);

  before(async function () {
    this.timeout(300_000);
    system = await testSystem();
    admin = await new ApiClient(system.baseUrl).signIn('quantri');
    adminId = (await admin.get<{ person: { personId: number } }>('/api/v1/session')).body.person.personId;
  });

  it('answers a repeat with the first response and does nothing twice', async () => {
    const name = `idempotent ${randomUUID()}`;
    const key = randomUUID();
    const body = { name, unitId: 2, roles: ['clerk'] };
    const first = await admin.post<Token>('/api/v1/tokens', body, { 'idempotency-key': key });
    const again = await admin.post<Token>('/api/v1/tokens', body, { 'idempotency-key': key });
    expect(first.status).to.equal(201);
    expect(first.headers.get('idempotent-replayed')).to.equal(null);
    expect(again.status).to.equal(201);
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    expect(again.body).to.deep.equal(first.body);
    expect(again.headers.get('location')).to.equal(first.headers.get('location'));
    expect(await tokensNamed(name)).to.equal(1);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM audit_event WHERE action = 'api_token.created' AND detail->>'name' = $1`,
        [name],
      ),
    ).to.equal(1);
    // The stored response holds a token shown once: it is kept encrypted.
    const [stored] = await system.sequelize.query<{ response: Buffer }>(
      `SELECT response FROM idempotency_record WHERE caller = $1 AND state = 'done' ORDER BY created_at DESC LIMIT 1`,
      { bind: [`person:${adminId}`], type: QueryTypes.SELECT },
    );
    expect(stored!.response.includes(Buffer.from(first.body.token))).to.equal(false);
    expect(stored!.response.includes(Buffer.from('vt_'))).to.equal(false);
  });

  it('refuses the same key for a different request (422), and does nothing', async () => {
    const key = randomUUID();
    const name = `first ${randomUUID()}`;
    expect(
      (await admin.post('/api/v1/tokens', { name, unitId: 2, roles: ['clerk'] }, { 'idempotency-key': key }))
        .status,
    ).to.equal(201);
    const other = `other ${randomUUID()}`;
    const reused = await admin.post<{ field: string }>(
      '/api/v1/tokens',
      { name: other, unitId: 2, roles: ['clerk'] },
      { 'idempotency-key': key },
    );
    expect(reused.status).to.equal(422);
    expect(reused.body.field).to.equal('header.Idempotency-Key');
    expect(await tokensNamed(other)).to.equal(0);
    const otherPath = await admin.send<{ field: string }>('DELETE', '/api/v1/tokens/1', undefined, {
      'idempotency-key': key,
    });
    expect(otherPath.status).to.equal(422);
  });

  it('answers 409 to a repeat while the first request is still running, then the first response', async () => {
    const key = randomUUID();
    const body = { name: `running ${randomUUID()}`, unitId: 2, roles: ['clerk'] };
    // Another api process has claimed the key and is still working on it.
    const claim = await claimIdempotencyKey(system.sequelize, {
      caller: `person:${adminId}`,
      key,
      method: 'POST',
      path: '/api/v1/tokens',
      body,
    });
    expect(claim.kind).to.equal('first');
    const meanwhile = await admin.post('/api/v1/tokens', body, { 'idempotency-key': key });
    expect(meanwhile.status).to.equal(409);
    expect(meanwhile.headers.get('retry-after')).to.equal('1');
    if (claim.kind !== 'first') throw new Error('unreachable');
    await claim.complete({
      status: 201,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: Buffer.from('{"id":-1}').toString('base64'),
    });
    const after = await admin.post('/api/v1/tokens', body, { 'idempotency-key': key });
    expect(after.status).to.equal(201);
    expect(after.body).to.deep.equal({ id: -1 });
    expect(await tokensNamed(body.name)).to.equal(0);
  });

  describe('across api processes', () => {
    let other: SecondApi;

    before(async () => {
      other = await startSecondApi(system);
    });
    after(async () => {
      await other.stop();
    });

    it('replays on one process what another one answered', async () => {
      const key = randomUUID();
      const body = { name: `two processes ${randomUUID()}`, unitId: 2, roles: ['member'] };
      const first = await admin.post<Token>('/api/v1/tokens', body, { 'idempotency-key': key });
      // Same person, same session cookie and CSRF token, other process.
      const throughOther = new ApiClient(other.url).shareSession(admin);
      const again = await throughOther.post<Token>('/api/v1/tokens', body, { 'idempotency-key': key });
      expect(again.status).to.equal(201);
      expect(again.headers.get('idempotent-replayed')).to.equal('true');
      expect(again.body.token).to.equal(first.body.token);
      expect(await tokensNamed(body.name)).to.equal(1);
    });
  });

  it('keeps keys per caller: a sign-in replays its own session, another address gets its own', async () => {
    const key = randomUUID();
    const signIn = (from: string) =>
      new ApiClient(system.baseUrl).post(
        '/api/v1/session',
        { username: 'vanthu.kimma', password: DEMO_PASSWORD },
        { 'idempotency-key': key, 'x-forwarded-for': from },
      );
    const sessions = () =>
      count(
        `SELECT count(*)::int AS n FROM session s JOIN person p ON p.id = s.person_id WHERE p.username = $1`,
        ['vanthu.kimma'],
      );
    const before = await sessions();
    const first = await signIn('203.0.113.10');
    const again = await signIn('203.0.113.10');
    const elsewhere = await signIn('203.0.113.11');
    const cookie = (r: typeof first) => r.headers.getSetCookie().find((c) => c.startsWith('vanthu_session='));
    expect(first.status).to.equal(201);
    expect(cookie(again)).to.equal(cookie(first));
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    expect(cookie(elsewhere)).to.not.equal(cookie(first));
    expect(await sessions()).to.equal(before + 2);
    // The replayed cookie is a working session.
    const replayed = new ApiClient(system.baseUrl).useSession(again);
    expect((await replayed.get('/api/v1/session')).status).to.equal(200);
  });

  it('forgets keys once they expire', async () => {
    const key = randomUUID();
    const body = { name: `expiring ${randomUUID()}`, unitId: 2, roles: ['clerk'] };
    const first = await admin.post<Token>('/api/v1/tokens', body, { 'idempotency-key': key });
    await system.sequelize.query(
      `UPDATE idempotency_record SET expires_at = now() - interval '1 second' WHERE caller = $1 AND state = 'done'`,
      { bind: [`person:${adminId}`] },
    );
    const later = await admin.post<Token>('/api/v1/tokens', body, { 'idempotency-key': key });
    expect(later.status).to.equal(201);
    expect(later.headers.get('idempotent-replayed')).to.equal(null);
    expect(later.body.id).to.not.equal(first.body.id);
    expect(await tokensNamed(body.name)).to.equal(2);
  });

  it('refuses a malformed key with 400 before doing anything', async () => {
    const name = `malformed ${randomUUID()}`;
    for (const key of ['', 'x'.repeat(256), 'key with spaces', 'clé']) {
      const response = await admin.request<{ field: string }>('POST', '/api/v1/tokens', {
        body: JSON.stringify({ name, unitId: 2, roles: ['clerk'] }),
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
      });
      expect(response.status, key).to.equal(400);
      expect(response.body.field).to.equal('header.Idempotency-Key');
    }
    expect(await tokensNamed(name)).to.equal(0);
  });
});
