/**
 * Who is signed in, and the unit they are working for right now: a person may hold roles
 * in several units (a ward clerk who is also a branch member), and the inbox, registers
 * and reports pages show one unit at a time. The choice is remembered on this device.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { HeldRole, Person } from './types';

export interface Session {
  person: Person | null;
  setPerson(person: Person | null): void;
  signOut(): Promise<void>;
}

export const SessionContext = createContext<Session>({
  person: null,
  setPerson: () => undefined,
  signOut: async () => undefined,
});

export function useSession(): Session {
  return useContext(SessionContext);
}

export interface WorkUnit {
  id: number;
  name: string;
  roles: string[];
}

/** The units the person holds roles in, staff roles first. */
export function workUnits(person: Person): WorkUnit[] {
  const units = new Map<number, WorkUnit>();
  const ordered = [...person.roles].sort((a, b) => rank(a) - rank(b));
  for (const role of ordered) {
    const unit = units.get(role.unitId) ?? { id: role.unitId, name: role.unitName, roles: [] };
    unit.roles.push(role.role);
    units.set(role.unitId, unit);
  }
  return [...units.values()];
}

function rank(role: HeldRole): number {
  return role.role === 'member' ? 1 : 0;
}

const UNIT_KEY = 'vanthu.unit';

export function preferredUnit(person: Person, wanted?: number): WorkUnit | undefined {
  const units = workUnits(person);
  const stored = (() => {
    try {
      return Number(localStorage.getItem(`${UNIT_KEY}.${person.personId}`));
    } catch {
      return 0;
    }
  })();
  return units.find((u) => u.id === wanted) ?? units.find((u) => u.id === stored) ?? units[0];
}

export function rememberUnit(person: Person, unitId: number): void {
  try {
    localStorage.setItem(`${UNIT_KEY}.${person.personId}`, String(unitId));
  } catch {
    // not remembered: the first unit is shown next time
  }
}

export function holds(person: Person | null, ...roles: string[]): boolean {
  return !!person?.roles.some((r) => roles.includes(r.role));
}

/** True when the person holds one of `roles` in the unit at `path` or above it. */
export function holdsOver(person: Person | null, unitPath: string | undefined, ...roles: string[]): boolean {
  if (!person || !unitPath) return false;
  return person.roles.some((r) => unitPath.startsWith(r.unitPath) && roles.includes(r.role));
}
