/**
 * The hot path's own transactions (pipelined: BEGIN with the first statement, the final
 * write with COMMIT) and the webhook wake-up, on real PostgreSQL.
 */
import { expect } from 'chai';
import { Client, type Notification } from 'pg';
import { QueryTypes } from 'sequelize';
import { rawTransaction } from '../../db/sql';
import { type TestSystem, testSystem } from '../support/system';

describe('db: pipelined transactions', function () {
  this.timeout(60_000);
  let system: TestSystem;

  before(async () => {
    system = await testSystem();
    await system.sequelize.query('CREATE TABLE IF NOT EXISTS test_pipeline (id int PRIMARY KEY, note text)');
  });

  after(async () => {
    await system.sequelize.query('DROP TABLE IF EXISTS test_pipeline');
  });

  const refused = () => {
    throw new Error('the transaction should have been refused');
  };
  const rows = () =>
    system.sequelize.query<{ id: number; note: string }>('SELECT id, note FROM test_pipeline ORDER BY id', {
      type: QueryTypes.SELECT,
    });

  it('commits the steps and the final write together, and answers what the work answered', async () => {
    await system.sequelize.query('TRUNCATE test_pipeline');
    const answer = await rawTransaction(system.sequelize, async (sql) => {
      await sql('INSERT INTO test_pipeline VALUES ($1, $2)', [1, 'first step']);
      const [seen] = await sql<{ n: number }>('SELECT count(*)::int AS n FROM test_pipeline');
      return {
        result: seen!.n,
        finalWrite: { text: 'INSERT INTO test_pipeline VALUES ($1, $2)', values: [2, 'sent with COMMIT'] },
      };
    });
    expect(answer).to.equal(1);
    expect(await rows()).to.deep.equal([
      { id: 1, note: 'first step' },
      { id: 2, note: 'sent with COMMIT' },
    ]);
  });

  it('writes nothing when the final write fails, and says why (COMMIT alone would report a rollback)', async () => {
    await system.sequelize.query('TRUNCATE test_pipeline');
    const failure = await rawTransaction(system.sequelize, async (sql) => {
      await sql('INSERT INTO test_pipeline VALUES ($1, $2)', [1, 'kept only if all commit']);
      // A duplicate key: fails on the server after COMMIT is already on its way.
      return {
        result: null,
        finalWrite: { text: 'INSERT INTO test_pipeline VALUES ($1, $2)', values: [1, 'again'] },
      };
    }).then(refused, (error: unknown) => error);
    expect((failure as { code?: string }).code).to.equal('23505');
    expect(await rows()).to.deep.equal([]);
  });

  it('writes nothing when a step fails and the work gives up', async () => {
    await system.sequelize.query('TRUNCATE test_pipeline');
    const failure = await rawTransaction(system.sequelize, async (sql) => {
      await sql('INSERT INTO test_pipeline VALUES ($1, $2)', [1, 'first']);
      await sql('INSERT INTO test_pipeline VALUES ($1, $2)', [1, 'duplicate']);
      return { result: null };
    }).then(refused, (error: unknown) => error);
    expect((failure as { code?: string }).code).to.equal('23505');
    expect(await rows()).to.deep.equal([]);
    // The connection went back to the pool clean: the next transaction works.
    await rawTransaction(system.sequelize, async (sql) => {
      await sql('INSERT INTO test_pipeline VALUES ($1, $2)', [3, 'after a failure']);
      return { result: null };
    });
    expect(await rows()).to.deep.equal([{ id: 3, note: 'after a failure' }]);
  });
});

describe('db: the webhook dispatcher is woken only for deliveries', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let listener: Client;
  let wakes = 0;

  before(async () => {
    system = await testSystem();
    listener = new Client({ connectionString: system.databaseUrl });
    await listener.connect();
    listener.on('notification', (message: Notification) => {
      if (message.channel === 'vanthu_webhooks') wakes += 1;
    });
    await listener.query('LISTEN vanthu_webhooks');
  });

  after(async () => {
    await listener.end();
  });

  /** Notifications arrive on commit; a round trip on the listener lets them in. */
  const settle = async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    await listener.query('SELECT 1');
  };

  it('does not wake it when a statement offered events to no subscription', async () => {
    await settle();
    wakes = 0;
    await system.sequelize.query(
      `INSERT INTO webhook_delivery (event_id, subscription_id)
       SELECT e.id, s.id FROM webhook_event e JOIN webhook_subscription s ON false`,
    );
    await settle();
    expect(wakes).to.equal(0);
  });

  it('wakes it when deliveries were inserted', async () => {
    const [unit] = await system.sequelize.query<{ id: number }>('SELECT min(id) AS id FROM org_unit', {
      type: QueryTypes.SELECT,
    });
    const [person] = await system.sequelize.query<{ id: number }>('SELECT min(id) AS id FROM person', {
      type: QueryTypes.SELECT,
    });
    await settle();
    wakes = 0;
    await system.sequelize.transaction(async (transaction) => {
      const [subscription] = await system.sequelize.query<{ id: number }>(
        `INSERT INTO webhook_subscription (unit_id, url, events, secret, created_by, active)
         VALUES ($1, 'http://127.0.0.1:9/never', '{delivery.received}', repeat('s', 32), $2, false) RETURNING id`,
        { bind: [unit!.id, person!.id], type: QueryTypes.SELECT, transaction },
      );
      const [event] = await system.sequelize.query<{ id: string }>(
        `INSERT INTO webhook_event (id, type, occurred_at, unit_ids, data)
         VALUES (gen_random_uuid(), 'delivery.received', now(), ARRAY[$1]::int[], '{}') RETURNING id`,
        { bind: [unit!.id], type: QueryTypes.SELECT, transaction },
      );
      await system.sequelize.query(
        `INSERT INTO webhook_delivery (event_id, subscription_id, state) VALUES ($1, $2, 'cancelled')`,
        { bind: [event!.id, subscription!.id], transaction },
      );
    });
    await settle();
    expect(wakes).to.equal(1);
  });
});
