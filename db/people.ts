/** Reading people with the roles they hold and where those units sit in the tree. */
import type { Role } from '../domain/org';

export interface HeldRole {
  unitId: number;
  unitPath: string;
  unitName: string;
  role: Role;
  title: string | null;
}

export interface Actor {
  personId: number;
  username: string;
  fullName: string;
  homeUnitId: number;
  roles: HeldRole[];
}

/** One row per role a person holds (unit columns null when they hold none), as read for an actor. */
export interface PrincipalRow {
  id: number;
  username: string;
  full_name: string;
  home_unit_id: number;
  unit_id: number | null;
  path: string | null;
  unit_name: string | null;
  role: Role | null;
  title: string | null;
}

/** The columns and joins that read PrincipalRows from `person p`. */
export const ACTOR_COLUMNS = `p.id, p.username, p.full_name, p.home_unit_id, r.unit_id, u.path, u.name AS unit_name, r.role, r.title`;
export const ACTOR_JOINS = `LEFT JOIN role_assignment r ON r.person_id = p.id LEFT JOIN org_unit u ON u.id = r.unit_id`;

/** The actor those rows describe; null when there are none. */
export function actorFromRows(rows: readonly PrincipalRow[]): Actor | null {
  const first = rows[0];
  if (!first) return null;
  return {
    personId: first.id,
    username: first.username,
    fullName: first.full_name,
    homeUnitId: first.home_unit_id,
    roles: rows
      .filter((r) => r.unit_id !== null)
      .map((r) => ({
        unitId: r.unit_id!,
        unitPath: r.path!,
        unitName: r.unit_name!,
        role: r.role!,
        title: r.title,
      })),
  };
}
