/**
 * The api keeps each credential's principal between requests (api/principal-cache.ts).
 * These tests change what a principal was read from, in this process and in another one
 * on the same database, and check that the change holds from then on: a second api with a
 * database pool of its own stands for a second api process.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { PrincipalCache } from '../../api/principal-cache';
import { hashPassword } from '../../db/passwords';
import { eventually } from '../support/eventually';
import { ApiClient, type ApiResponse } from '../support/http';
import { type SecondApi, startSecondApi, type TestSystem, testSystem } from '../support/system';

const PASSWORD = 'một mật khẩu thử bộ nhớ đệm';
/** How the second api's connections show in pg_stat_activity. */
const OTHER_API = 'vanthu-other-api';

interface WhoAmI {
  person: { fullName: string; roles: Array<{ role: string; unitName: string }> };
}

describe('api: principals kept between requests', function () {
  this.timeout(120_000);
  let system: TestSystem;
  /** The second api process: its own pool, its own cache. */
  let other: SecondApi;

  before(async () => {
    system = await testSystem();
    other = await startSecondApi(system, OTHER_API);
  });
  after(async () => {
    await other.stop();
  });

  /** A person of their own with a drafter role in a unit of their own, so nothing else is touched. */
  async function newcomer(): Promise<{ personId: number; unitId: number; username: string }> {
    const sql = system.sequelize;
    const suffix = randomUUID().slice(0, 8);
    const [unit] = await sql.query<{ id: number }>(
      `INSERT INTO org_unit (id, code, name, abbreviation, kind, parent_id, path)
       SELECT top.m + 1, 'ZZ' || chr(65 + (top.m % 26)) || '.ZZ.' || lpad(upper(to_hex(top.m % 256)), 2, '0') || '.C01',
              'Chi bộ thử bộ nhớ ' || $1, 'CB', 'branch', p.id, p.path || (top.m + 1) || '/'
         FROM (SELECT max(id) AS m FROM org_unit) AS top, org_unit p WHERE p.parent_id IS NULL
       RETURNING id`,
      { bind: [suffix], type: QueryTypes.SELECT },
    );
    const username = `cache.${suffix}`;
    const [person] = await sql.query<{ id: number }>(
      `INSERT INTO person (username, full_name, home_unit_id, password_hash) VALUES ($1, 'Người Thử', $2, $3) RETURNING id`,
      { bind: [username, unit!.id, await hashPassword(PASSWORD)], type: QueryTypes.SELECT },
    );
    await sql.query(`INSERT INTO role_assignment (person_id, unit_id, role) VALUES ($1, $2, 'drafter')`, {
      bind: [person!.id, unit!.id],
    });
    return { personId: person!.id, unitId: unit!.id, username };
  }

  /** Signed in through this process's api; the same cookie works on the other one. */
  async function signedIn(username: string): Promise<{ here: ApiClient; there: ApiClient }> {
    const here = await new ApiClient(system.baseUrl).signIn(username, PASSWORD);
    const there = new ApiClient(other.url).shareSession(here);
    for (const client of [here, there]) expect((await client.get('/api/v1/session')).status).to.equal(200);
    return { here, there };
  }

  const whoAmI = (client: ApiClient) => () => client.get<WhoAmI>('/api/v1/session');

  /** Renames the person with the trigger off, so that nobody hears of it, while `during` runs. */
  async function renamedUnheard(username: string, during: () => Promise<void>): Promise<void> {
    const sql = system.sequelize;
    await sql.query('ALTER TABLE person DISABLE TRIGGER person_changed');
    try {
      await sql.query(`UPDATE person SET full_name = 'Tên Không Báo' WHERE username = $1`, {
        bind: [username],
      });
      await during();
    } finally {
      await sql.query('ALTER TABLE person ENABLE TRIGGER person_changed');
    }
  }

  it('answers from the cache: a change that tells nobody (its trigger off) goes unseen', async () => {
    const { username } = await newcomer();
    const { here } = await signedIn(username);
    await renamedUnheard(username, async () => {
      const cached = await here.get<WhoAmI>('/api/v1/session');
      expect(cached.body.person.fullName).to.equal('Người Thử');
    });
    // With the trigger on, the next change reaches the cache.
    await system.sequelize.query(`UPDATE person SET full_name = 'Tên Mới' WHERE username = $1`, {
      bind: [username],
    });
    await eventually(whoAmI(here), (r) => (r.body as WhoAmI).person.fullName === 'Tên Mới', 'the new name');
  });

  it('hears, in another process, roles granted and revoked, units renamed and people deactivated', async () => {
    const { personId, unitId, username } = await newcomer();
    const { there } = await signedIn(username);
    const sql = system.sequelize;
    const roles = (r: ApiResponse) => (r.body as WhoAmI).person.roles.map((x) => `${x.role}@${x.unitName}`);

    await sql.query(`INSERT INTO role_assignment (person_id, unit_id, role) VALUES ($1, $2, 'member')`, {
      bind: [personId, unitId],
    });
    await eventually(whoAmI(there), (r) => roles(r).some((x) => x.startsWith('member@')), 'the granted role');

    await sql.query(`DELETE FROM role_assignment WHERE person_id = $1 AND role = 'drafter'`, {
      bind: [personId],
    });
    await eventually(
      whoAmI(there),
      (r) => !roles(r).some((x) => x.startsWith('drafter@')),
      'the revoked role',
    );

    await sql.query(`UPDATE org_unit SET name = 'Chi bộ đổi tên' WHERE id = $1`, { bind: [unitId] });
    await eventually(whoAmI(there), (r) => roles(r).includes('member@Chi bộ đổi tên'), 'the renamed unit');

    await sql.query('UPDATE person SET active = false WHERE id = $1', { bind: [personId] });
    const refused = await eventually(whoAmI(there), (r) => r.status === 401, 'the deactivated person');
    expect(JSON.stringify(refused.body)).to.contain('not known');
  });

  it('ends a session at once in the process that signed it out, and in moments in the others', async () => {
    const { username } = await newcomer();
    const { here, there } = await signedIn(username);
    expect((await here.delete('/api/v1/session')).status).to.equal(204);
    // The cookie as it was before sign-out, replayed.
    const replayed = new ApiClient(system.baseUrl).shareSession(there);
    expect((await replayed.get('/api/v1/session')).status).to.equal(401);
    await eventually(whoAmI(there), (r) => r.status === 401, 'the ended session, elsewhere');
  });

  it('keeps nothing once the connections it listened on are lost, since a change may have gone unheard', async () => {
    const { username } = await newcomer();
    const { there } = await signedIn(username);
    await renamedUnheard(username, async () => {
      expect((await there.get<WhoAmI>('/api/v1/session')).body.person.fullName).to.equal('Người Thử');
      // Every connection of the other api's pool is cut, as a database restart would.
      await system.sequelize.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        { bind: [OTHER_API] },
      );
      await eventually(
        whoAmI(there),
        (r) => (r.body as WhoAmI).person?.fullName === 'Tên Không Báo',
        'a fresh read after the lost connections',
      );
    });
  });

  it('keeps a read only while a connection listens and nothing changed during it', async () => {
    const cache = new PrincipalCache();
    cache.store('session:x', [{ id: 1 }], 1, 0);
    expect(cache.get('session:x'), 'nobody listening').to.equal(undefined);
  });
});
