/**
 * The acknowledgment batch on its own: many recipients' actions in one transaction, each
 * decided in arrival order on the locked rows, each answered on its own. Real PostgreSQL.
 */
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { verifyAuditLog } from '../../db/audit-verify';
import { type ActionInput, type ActionResult, DeliveryActionBatcher } from '../../db/deliveries';
import { DomainError } from '../../domain/errors';
import { ApiClient } from '../support/http';
import { personId } from '../support/lifecycle';
import { type TestSystem, testSystem } from '../support/system';

const UNITS = 6;

describe('db: a batch of recipient actions', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let clerk: number;
  let deliveries: Array<{ id: number; unit: number }>;
  /** One more issued document, delivered to every test unit. */
  let deliver: (number: string) => Promise<Array<{ id: number; unit: number }>>;

  before(async () => {
    system = await testSystem();
    const sql = system.sequelize;
    clerk = await personId(system, 'vanthu.badinh');
    const drafter = await new ApiClient(system.baseUrl).signIn('chuyenvien.badinh');
    const created = await drafter.post<{ id: string }>('/api/v1/documents', {
      type: 'CV',
      subject: 'Về thử lô tiếp nhận',
      body: ['Nội dung.'],
    });
    expect(created.status).to.equal(201);
    // Fresh units with no register yet, and one issued document delivered to each.
    const [ward] = await sql.query<{ id: number; path: string }>(
      "SELECT id, path FROM org_unit WHERE name = 'Đảng ủy phường Phúc Xá'",
      { type: QueryTypes.SELECT },
    );
    const units = await sql.query<{ id: number }>(
      `INSERT INTO org_unit (id, code, name, abbreviation, kind, parent_id, path)
       SELECT m + g, 'ZZB.01.01.' || lpad(g::text, 3, '0'), 'Chi bộ thử lô ' || (m + g), 'CB', 'branch', $1, $2 || (m + g) || '/'
         FROM generate_series(1, $3) AS g, (SELECT max(id) AS m FROM org_unit) AS top RETURNING id`,
      { bind: [ward!.id, ward!.path, UNITS], type: QueryTypes.SELECT },
    );
    deliver = async (number) => {
      const [copy] = await sql.query<{ id: string }>(
        `INSERT INTO document (id, type_code, subject, status, urgency, issuing_unit_id, created_by, current_version,
                               workflow_id, number, issued_at, created_at, updated_at)
         SELECT gen_random_uuid(), type_code, subject, 'dispatched', urgency, issuing_unit_id, created_by, 1,
                'batch-' || gen_random_uuid(), $2, now(), now(), now()
           FROM document WHERE id = $1 RETURNING id`,
        { bind: [created.body.id, number], type: QueryTypes.SELECT },
      );
      return (
        await sql.query<{ id: string; recipient_unit_id: number }>(
          `INSERT INTO delivery (document_id, recipient_unit_id, status, delivered_at)
           SELECT $1, u, 'delivered', now() FROM unnest($2::int[]) AS u RETURNING id, recipient_unit_id`,
          { bind: [copy!.id, units.map((u) => u.id)], type: QueryTypes.SELECT },
        )
      )
        .map((r) => ({ id: Number(r.id), unit: r.recipient_unit_id }))
        .sort((a, b) => a.unit - b.unit);
    };
    deliveries = await deliver('07/QU-VP');
  });

  /**
   * Acts on the i-th of `targets` through one batcher whose long wait puts every action of
   * a test into the same batch; answers the result or the refusal.
   */
  const actingOn = (targets: ReadonlyArray<{ id: number }>) => {
    const batcher = new DeliveryActionBatcher(system.sequelize, {
      maxBatch: 100,
      maxWaitMs: 200,
      maxInFlight: 1,
    });
    return (i: number, action: ActionInput['action'], extra: Partial<ActionInput> = {}) =>
      batcher
        .submit({
          deliveryId: targets[i]!.id,
          action,
          personId: clerk,
          source: 'test',
          at: new Date(),
          ...extra,
        })
        .then(
          (result): ActionResult | Error => result,
          (error: Error) => error,
        );
  };

  // Other suites count the branches of Phúc Xá and its incoming register: leave nothing behind
  // but the audit entries (append-only by design).
  after(async () => {
    const units = [...new Set(deliveries.map((d) => d.unit))];
    const sql = system.sequelize;
    const bind = { bind: [units] };
    await sql.query(
      'DELETE FROM register_entry WHERE register_id IN (SELECT id FROM register WHERE unit_id = ANY($1::int[]))',
      bind,
    );
    await sql.query(
      'DELETE FROM register_counter WHERE register_id IN (SELECT id FROM register WHERE unit_id = ANY($1::int[]))',
      bind,
    );
    await sql.query('DELETE FROM register WHERE unit_id = ANY($1::int[])', bind);
    const copies = await sql.query<{ document_id: string }>(
      'DELETE FROM delivery WHERE recipient_unit_id = ANY($1::int[]) RETURNING document_id',
      { ...bind, type: QueryTypes.SELECT },
    );
    await sql.query('DELETE FROM document WHERE id = ANY($1::uuid[])', {
      bind: [[...new Set(copies.map((c) => c.document_id))]],
    });
    await sql.query('DELETE FROM org_unit WHERE id = ANY($1::int[])', bind);
  });

  it('decides each action in order on the locked rows and writes them all in one transaction', async () => {
    const act = actingOn([...deliveries, { id: 987_654_321 }]);
    const outcomes = await Promise.all([
      act(0, 'read'), // read, then received in the same batch: read_at stays the first
      act(0, 'receive'),
      act(1, 'receive'), // received, then completed in the same batch: keeps its number
      act(1, 'complete'),
      act(2, 'receive'),
      act(2, 'receive'), // a repeat: answered unchanged
      act(3, 'start'), // not possible from delivered
      act(4, 'return', { reason: 'Gửi nhầm đơn vị' }),
      act(5, 'receive', { authorize: () => new DomainError('forbidden', 'not your unit') }),
      act(UNITS, 'receive'), // no such delivery
    ]);
    const ok = (i: number) => outcomes[i] as ActionResult;
    const refused = (i: number) => outcomes[i] as DomainError;

    expect(ok(1).delivery.status).to.equal('received');
    expect(ok(1).delivery.read_at!.getTime()).to.equal(ok(0).delivery.read_at!.getTime());
    expect(ok(3).delivery).to.include({
      status: 'completed',
      incoming_number: ok(2).delivery.incoming_number,
    });
    expect(ok(4).changed).to.equal(true);
    expect(ok(5).changed).to.equal(false);
    expect(ok(5).delivery.incoming_number).to.equal(ok(4).delivery.incoming_number);
    expect(refused(6)).to.be.instanceOf(DomainError).with.property('code', 'invalid_transition');
    expect(ok(7).delivery).to.include({ status: 'returned', returned_reason: 'Gửi nhầm đơn vị' });
    expect(refused(8)).to.be.instanceOf(DomainError).with.property('code', 'forbidden');
    expect(refused(9)).to.be.instanceOf(DomainError).with.property('code', 'not_found');

    // What the database holds is what was answered.
    const rows = await system.sequelize.query<{
      id: string;
      status: string;
      incoming_number: string | null;
      received_by: number | null;
      completed_by: number | null;
      returned_at: Date | null;
    }>('SELECT * FROM delivery WHERE id = ANY($1::bigint[]) ORDER BY recipient_unit_id', {
      bind: [deliveries.map((d) => d.id)],
      type: QueryTypes.SELECT,
    });
    expect(rows.map((r) => r.status)).to.deep.equal([
      'received',
      'completed',
      'received',
      'delivered',
      'returned',
      'delivered',
    ]);
    // Each receiving unit opened its sổ đến with number 1; the completed one kept its number.
    expect(rows.map((r) => r.incoming_number)).to.deep.equal(['1', '1', '1', null, null, null]);
    expect(rows[1]).to.include({ received_by: clerk, completed_by: clerk });
    expect(rows[4]!.returned_at).to.be.instanceOf(Date);
    const entries = await system.sequelize.query<{
      delivery_id: string;
      number: string;
      details: { documentNumber: string };
    }>(
      'SELECT delivery_id, number, details FROM register_entry WHERE delivery_id = ANY($1::bigint[]) ORDER BY delivery_id',
      { bind: [deliveries.map((d) => d.id)], type: QueryTypes.SELECT },
    );
    expect(entries).to.have.length(3);
    expect(entries.every((e) => e.number === '1' && e.details.documentNumber === '07/QU-VP')).to.equal(true);
    const [audit] = await system.sequelize.query<{ actions: string[]; chains: number[]; seqs: string[] }>(
      `SELECT array_agg(action ORDER BY id) AS actions, array_agg(DISTINCT chain) AS chains,
              array_agg(seq ORDER BY seq) AS seqs
         FROM audit_event WHERE (detail->>'deliveryId')::bigint = ANY($1::bigint[])`,
      { bind: [deliveries.map((d) => d.id)], type: QueryTypes.SELECT },
    );
    // The batch appended to one chain, one entry after another: one head locked, not six.
    expect(audit!.chains).to.have.length(1);
    const seqs = audit!.seqs.map(Number);
    expect(seqs).to.deep.equal(seqs.map((_, i) => seqs[0]! + i));
    expect([...audit!.actions].sort()).to.deep.equal(
      [
        'delivery.read',
        'delivery.receive',
        'delivery.receive',
        'delivery.complete',
        'delivery.receive',
        'delivery.return',
      ].sort(),
    );
    const verification = await verifyAuditLog(system.sequelize);
    expect(verification.findings).to.deep.equal([]);
    expect(verification.intact).to.equal(true);
  });

  it('gives back the numbers it reserved for receipts it refused, so the sổ đến stays gapless', async () => {
    // Units 0–2 have their registers from the test above (number 1 each).
    const second = await deliver('08/QU-VP');
    const act = actingOn(second);
    const outcomes = await Promise.all([
      act(0, 'receive', { authorize: () => new DomainError('forbidden', 'not your unit') }),
      act(1, 'return', { reason: 'Gửi nhầm đơn vị' }),
      act(1, 'receive'), // returned first: no longer receivable
      act(2, 'receive'),
    ]);
    expect(outcomes[0]).to.be.instanceOf(DomainError).with.property('code', 'forbidden');
    expect(outcomes[2]).to.be.instanceOf(DomainError).with.property('code', 'invalid_transition');
    expect((outcomes[3] as ActionResult).delivery.incoming_number).to.equal('2');

    const counters = async () =>
      (
        await system.sequelize.query<{ unit_id: number; last_sequence: number }>(
          `SELECT r.unit_id, c.last_sequence FROM register_counter c JOIN register r ON r.id = c.register_id
            WHERE r.unit_id = ANY($1::int[]) ORDER BY r.unit_id`,
          { bind: [second.slice(0, 3).map((d) => d.unit)], type: QueryTypes.SELECT },
        )
      ).map((c) => c.last_sequence);
    // The refused receipts of units 0 and 1 took nothing.
    expect(await counters()).to.deep.equal([1, 1, 2]);
    // And the next receipt of unit 0 is its number 2.
    const next = (await act(0, 'receive')) as ActionResult;
    expect(next.delivery.incoming_number).to.equal('2');
    expect(await counters()).to.deep.equal([2, 1, 2]);
  });
});
