import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { ApiClient } from '../support/http';
import { expectOk, issueDocument, officeOf, unitId } from '../support/lifecycle';
import { type TestSystem, testSystem } from '../support/system';

describe('registers: a new committee term starts the outgoing numbers again from 01', function () {
  this.timeout(120_000);
  let system: TestSystem;

  before(async () => {
    system = await testSystem();
  });

  it('opens the term once, forward only, for the unit’s clerk; numbers of the old term stay', async () => {
    const bloc = await unitId(system, 'Đảng ủy Khối các cơ quan Thành phố');
    const office = await officeOf(system, 'khoicoquan');
    const recipients = [{ kind: 'units_under' as const, unitId: bloc, unitKind: 'branch' as const }];
    const sequenceOf = (number: string | undefined) => Number(/^(\d+)-TB\/ĐU$/.exec(number ?? '')?.[1]);

    const before = await issueDocument(office, { subject: 'Thông báo cuối nhiệm kỳ', recipients });
    const lastOfTerm = sequenceOf(before.number);
    expect(lastOfTerm).to.be.at.least(1);

    const path = `/api/v1/org-units/${bloc}/registers/outgoing/term`;
    // Who may: the unit's clerk; a drafter may not; another district's clerk does not see the unit.
    expect((await office.drafter.put(path, { term: '2030-2035' })).status).to.equal(403);
    const elsewhere = await new ApiClient(system.baseUrl).signIn('vanthu.badinh');
    expect((await elsewhere.put(path, { term: '2030-2035' })).status).to.equal(404);
    // What: a five-year term, and only forward.
    const sixYears = await office.clerk.put<{ field: string }>(path, { term: '2030-2036' });
    expect(sixYears.status).to.equal(400);
    expect(sixYears.body.field).to.equal('body.term');
    expect((await office.clerk.put(path, { term: 'nhiệm kỳ mới' })).status).to.equal(400);

    const opened = expectOk(
      await office.clerk.put<{ term: string; previousTerm: string; changed: boolean }>(path, {
        term: '2030-2035',
      }),
      'open term',
    );
    expect(opened).to.deep.include({ term: '2030-2035', previousTerm: '2025-2030', changed: true });
    const again = expectOk(
      await office.clerk.put<{ changed: boolean }>(path, { term: '2030-2035' }),
      'again',
    );
    expect(again.changed).to.equal(false);
    const backwards = await office.clerk.put<{ detail: string }>(path, { term: '2025-2030' });
    expect(backwards.status).to.equal(409);
    expect(backwards.body.detail).to.include('only moves forward');

    const first = await issueDocument(office, { subject: 'Thông báo đầu nhiệm kỳ', recipients });
    const second = await issueDocument(office, { subject: 'Thông báo thứ hai của nhiệm kỳ', recipients });
    expect(first.number).to.equal('01-TB/ĐU');
    expect(second.number).to.equal('02-TB/ĐU');

    const entries = await system.sequelize.query<{ period: string; sequence: number; status: string }>(
      `SELECT e.period, e.sequence, e.status FROM register_entry e JOIN register r ON r.id = e.register_id
        WHERE r.unit_id = $1 AND r.direction = 'outgoing' AND e.series = 'TB' ORDER BY e.id`,
      { bind: [bloc], type: QueryTypes.SELECT },
    );
    const old = entries.filter((e) => e.period === 'term:2025-2030');
    expect(old.map((e) => e.sequence)).to.deep.equal(Array.from({ length: lastOfTerm }, (_, i) => i + 1));
    expect(entries.filter((e) => e.period === 'term:2030-2035').map((e) => e.sequence)).to.deep.equal([1, 2]);
    const [audit] = await system.sequelize.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_event WHERE action = 'register.term_opened'
          AND detail->>'unitId' = $1::text`,
      { bind: [bloc], type: QueryTypes.SELECT },
    );
    expect(audit!.n).to.equal(1);
  });
});
