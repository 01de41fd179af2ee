import { expect } from 'chai';
import { planOrganisation } from '../../db/seed/plan';
import { isUnitCode, mayHaveParent, type UnitKind } from '../../domain/org';

describe('db/seed/plan', () => {
  it('plans the city at the scale the offices described', () => {
    const plan = planOrganisation('city');
    const count = (kind: UnitKind) => plan.units.filter((u) => u.kind === kind).length;
    expect(count('provincial')).to.equal(1);
    expect(count('district')).to.equal(30);
    expect(count('bloc')).to.equal(2);
    expect(count('grassroots')).to.equal(579);
    expect(count('branch')).to.equal(16_000);
    const members = plan.roles.filter((r) => r.role === 'member').length;
    expect(members).to.equal(470_000);
    expect(plan.roles.filter((r) => r.role === 'branch_secretary').length).to.equal(16_000);
    for (const role of ['clerk', 'drafter', 'leader', 'signer', 'auditor', 'admin'] as const) {
      expect(
        plan.roles.some((r) => r.role === role),
        role,
      ).to.equal(true);
    }
  });

  it('builds a well-formed tree: unique codes and user names, valid parents and paths', () => {
    const plan = planOrganisation('city');
    const byId = new Map(plan.units.map((u) => [u.id, u]));
    expect(new Set(plan.units.map((u) => u.code)).size).to.equal(plan.units.length);
    expect(new Set(plan.people.map((p) => p.username)).size).to.equal(plan.people.length);
    for (const unit of plan.units) {
      expect(isUnitCode(unit.code), unit.code).to.equal(true);
      const parent = unit.parentId === null ? null : byId.get(unit.parentId)!;
      expect(mayHaveParent(unit.kind, parent?.kind ?? null), `${unit.kind} under ${parent?.kind}`).to.equal(
        true,
      );
      expect(unit.path).to.equal(`${parent?.path ?? '/'}${unit.id}/`);
    }
  });

  it('is deterministic', () => {
    const a = planOrganisation('demo');
    const b = planOrganisation('demo');
    expect(b).to.deep.equal(a);
    expect(a.people.find((p) => p.username === 'vanthu.tu')).to.include({ staff: true });
  });
});
