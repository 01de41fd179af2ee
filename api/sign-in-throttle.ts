/**
 * Repeated failed sign-ins are slowed, then locked for a while: per account name (known
 * or not, so the answer reveals nothing) and per client address (password spraying across
 * accounts). Counters live in PostgreSQL so every api process sees the same ones.
 *
 * An account may fail `slowAfter` times freely; each further failure makes the next try
 * wait twice as long (from `baseDelayMs`, at most `maxDelayMs`); at `lockAfter` failures
 * the account is locked for `lockMs`, even for the right password. Failures older than
 * `windowMs` are forgotten. A successful sign-in clears the account's counter, not the
 * address's: one good account must not reset a spraying client.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { ApiProblem } from './problem';

export interface ThrottleLimits {
  slowAfter: number;
  lockAfter: number;
}

export interface SignInPolicy {
  account: ThrottleLimits;
  /** An office behind one address has many people: the address gets more room. */
  client: ThrottleLimits;
  baseDelayMs: number;
  maxDelayMs: number;
  lockMs: number;
  windowMs: number;
}

export const DEFAULT_SIGN_IN_POLICY: SignInPolicy = {
  account: { slowAfter: 3, lockAfter: 10 },
  client: { slowAfter: 20, lockAfter: 100 },
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  lockMs: 15 * 60_000,
  windowMs: 15 * 60_000,
};

export type ThrottleScope = 'account' | 'client';

export interface ThrottleSubject {
  scope: ThrottleScope;
  subject: string;
}

interface ThrottleRow {
  scope: ThrottleScope;
  locked_until: Date | null;
  next_allowed_at: Date;
}

function retryAfterSeconds(until: Date): string {
  return String(Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000)));
}

/** Refuses (429, Retry-After) when any subject is locked or must still wait. */
export async function checkThrottle(
  sequelize: Sequelize,
  subjects: readonly ThrottleSubject[],
): Promise<void> {
  const rows = await sequelize.query<ThrottleRow>(
    `SELECT scope, locked_until, next_allowed_at FROM sign_in_throttle
      WHERE (scope, subject) IN (SELECT * FROM unnest($1::text[], $2::text[]))
        AND (locked_until > now() OR next_allowed_at > now())`,
    {
      bind: [subjects.map((s) => s.scope), subjects.map((s) => s.subject)],
      type: QueryTypes.SELECT,
    },
  );
  const locked = rows.find((r) => r.locked_until && r.locked_until.getTime() > Date.now());
  if (locked) {
    throw new ApiProblem(
      429,
      'Tạm khóa đăng nhập (sign-in temporarily locked)',
      locked.scope === 'account'
        ? 'too many failed sign-ins for this account; it is locked for a while, try again later or ask an administrator'
        : 'too many failed sign-ins from this address; try again later',
      { headers: { 'Retry-After': retryAfterSeconds(locked.locked_until!) } },
    );
  }
  const slowed = rows.sort((a, b) => b.next_allowed_at.getTime() - a.next_allowed_at.getTime())[0];
  if (slowed) {
    throw new ApiProblem(
      429,
      'Thử lại sau (slow down)',
      'too many failed sign-ins; wait before trying again',
      { headers: { 'Retry-After': retryAfterSeconds(slowed.next_allowed_at) } },
    );
  }
}

/**
 * Counts one failure for each subject; returns the subjects this failure locked (so the
 * caller can audit the lock).
 */
export async function recordFailure(
  sequelize: Sequelize,
  subjects: readonly ThrottleSubject[],
  policy: SignInPolicy,
): Promise<ThrottleSubject[]> {
  const lockedNow: ThrottleSubject[] = [];
  for (const { scope, subject } of subjects) {
    const limits = policy[scope];
    // One statement, so parallel failures in several processes add up exactly: the new
    // count restarts after the window (or after a lock ran out); the wait and the lock
    // follow from it. $3 window, $4 slowAfter, $5 base delay, $6 max delay, $7 lockAfter, $8 lock (ms).
    const restart = `t.first_failure_at < now() - make_interval(secs => $3 / 1000.0)
                     OR (t.locked_until IS NOT NULL AND t.locked_until <= now())`;
    const count = `(CASE WHEN ${restart} THEN 1 ELSE t.failures + 1 END)`;
    const wait = (n: string) =>
      `CASE WHEN ${n} >= $4 THEN now() + make_interval(secs => least($6::float8, $5 * power(2, ${n} - $4)) / 1000.0)
            ELSE now() END`;
    const lock = (n: string, otherwise: string) =>
      `CASE WHEN ${n} >= $7 THEN now() + make_interval(secs => $8 / 1000.0) ELSE ${otherwise} END`;
    const [row] = await sequelize.query<{ failures: number; locked: boolean }>(
      `INSERT INTO sign_in_throttle AS t
              (scope, subject, failures, first_failure_at, last_failure_at, next_allowed_at, locked_until)
       VALUES ($1, $2, 1, now(), now(), ${wait('1')}, ${lock('1', 'NULL')})
       ON CONFLICT (scope, subject) DO UPDATE SET
         failures = ${count},
         first_failure_at = CASE WHEN ${restart} THEN now() ELSE t.first_failure_at END,
         last_failure_at = now(),
         next_allowed_at = ${wait(count)},
         locked_until = ${lock(count, 'CASE WHEN t.locked_until <= now() THEN NULL ELSE t.locked_until END')}
       RETURNING failures, coalesce(locked_until > now(), false) AS locked`,
      {
        bind: [
          scope,
          subject,
          policy.windowMs,
          limits.slowAfter,
          policy.baseDelayMs,
          policy.maxDelayMs,
          limits.lockAfter,
          policy.lockMs,
        ],
        type: QueryTypes.SELECT,
      },
    );
    if (row?.locked && row.failures === limits.lockAfter) lockedNow.push({ scope, subject });
  }
  return lockedNow;
}

/** Forgets the failures of a subject (after a successful sign-in, or an administrator's unlock). */
export async function clearThrottle(sequelize: Sequelize, subject: ThrottleSubject): Promise<void> {
  await sequelize.query('DELETE FROM sign_in_throttle WHERE scope = $1 AND subject = $2', {
    bind: [subject.scope, subject.subject],
  });
}
