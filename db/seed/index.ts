/** Seeding an organisation: plan it, hash the staff password once, write it. */
import { hashPassword } from '../passwords';
import { type OrganisationPlan, planOrganisation, type SeedScale } from './plan';
import { writePlan } from './write';

/** The password of every demo account; printed at start-up and in the README. */
export const DEMO_PASSWORD = 'vanthu-demo';

export interface SeedResult {
  scale: SeedScale;
  units: number;
  people: number;
  roles: number;
  seconds: number;
}

export async function seedOrganisation(
  databaseUrl: string,
  scale: SeedScale,
  staffPassword: string | null = scale === 'demo' ? DEMO_PASSWORD : null,
): Promise<SeedResult> {
  const started = performance.now();
  const plan: OrganisationPlan = planOrganisation(scale);
  // One hash for all staff: the same password, hashed once (argon2id is slow on purpose).
  const hash = staffPassword ? await hashPassword(staffPassword) : null;
  await writePlan(databaseUrl, plan, hash);
  return {
    scale,
    units: plan.units.length,
    people: plan.people.length,
    roles: plan.roles.length,
    seconds: (performance.now() - started) / 1000,
  };
}
