/** Account administration: activation codes for first sign-in, and lifting a sign-in lock. */
import { QueryTypes, type Sequelize } from 'sequelize';
import { z } from 'zod';
import { appendAudit } from '../../db/audit';
import type { Actor } from '../../db/people';
import { DomainError } from '../../domain/errors';
import { issueActivationCode } from '../auth';
import { canAdminister, canSeeUnit } from '../authorization';
import { defineRoute } from '../route';
import { problem } from '../schemas';
import { clearThrottle } from '../sign-in-throttle';

const personIdParams = z.strictObject({ id: z.coerce.number().int().positive('must be a person id') });
const usernameParams = z.strictObject({ username: z.string().min(1).max(64) });

const activationCodeView = z
  .object({
    personId: z.number(),
    username: z.string(),
    code: z.string().describe('Shown once: hand it to the person, who sets a password with it'),
    expiresAt: z.string(),
  })
  .meta({ id: 'ActivationCode' });

interface PersonRow {
  id: number;
  username: string;
  path: string;
  is_token: boolean;
}

/** The person if the administrator reaches their home unit; another unit's people are "not found". */
async function administeredPerson(
  sequelize: Sequelize,
  actor: Actor,
  where: { id: number } | { username: string },
): Promise<PersonRow> {
  const [person] = await sequelize.query<PersonRow>(
    `SELECT p.id, p.username, u.path, EXISTS (SELECT 1 FROM api_token t WHERE t.person_id = p.id) AS is_token
       FROM person p JOIN org_unit u ON u.id = p.home_unit_id
      WHERE ${'id' in where ? 'p.id = $1' : 'p.username = $1'} AND p.active`,
    { bind: ['id' in where ? where.id : where.username.trim().toLowerCase()], type: QueryTypes.SELECT },
  );
  const label = 'id' in where ? `person ${where.id}` : `user ${where.username}`;
  if (!person || !canSeeUnit(actor, person.path)) throw new DomainError('not_found', `no ${label}`);
  if (!canAdminister(actor, person.path)) {
    throw new DomainError('forbidden', `you do not administer the unit of ${label}`);
  }
  return person;
}

const issueCode = defineRoute({
  method: 'post',
  path: '/admin/people/:id/activation-code',
  operationId: 'issueActivationCode',
  summary: 'Issue a one-time activation code with which a person sets their password',
  description:
    'For people seeded without a password, or who forgot theirs. A new code replaces the previous one; it is valid for 72 hours and used with POST /session/activation.',
  tag: 'administration',
  access: { kind: 'role', roles: ['admin'] },
  params: personIdParams,
  responses: {
    201: { description: 'The code, shown once', schema: activationCodeView },
    404: problem('No such person in the units you administer'),
    409: problem('The account belongs to an API token'),
  },
  accessExamples: {
    allow: ['admin'],
    async request(fixture) {
      return { path: `/admin/people/${(await fixture.newPerson()).id}/activation-code` };
    },
  },
  async handler({ req, actor, params, ctx }) {
    const person = await administeredPerson(ctx.sequelize, actor, { id: params.id });
    if (person.is_token) {
      throw new DomainError('conflict', 'this account belongs to an API token and has no password');
    }
    const { code, expiresAt } = await issueActivationCode(ctx.sequelize, person.id, {
      personId: actor.personId,
      unitId: actor.homeUnitId,
      source: req.ip ?? 'unknown',
    });
    return { status: 201, body: { personId: person.id, username: person.username, code, expiresAt } };
  },
});

const unlock = defineRoute({
  method: 'delete',
  path: '/admin/sign-in-locks/:username',
  operationId: 'liftSignInLock',
  summary: "Lift a sign-in lock: forget an account's failed sign-ins",
  tag: 'administration',
  access: { kind: 'role', roles: ['admin'] },
  params: usernameParams,
  responses: { 204: { description: 'The account may sign in again' }, 404: problem('No such user') },
  accessExamples: {
    allow: ['admin'],
    request: () => ({ path: '/admin/sign-in-locks/vanthu.phucxa' }),
  },
  async handler({ req, actor, params, ctx }) {
    const person = await administeredPerson(ctx.sequelize, actor, { username: params.username });
    await ctx.sequelize.transaction(async (transaction) => {
      await clearThrottle(ctx.sequelize, { scope: 'account', subject: person.username });
      await appendAudit(ctx.sequelize, transaction, [
        {
          actorPersonId: actor.personId,
          actorUnitId: actor.homeUnitId,
          source: req.ip ?? 'unknown',
          action: 'auth.sign_in_lock_lifted',
          documentId: null,
          versionSha256: null,
          detail: { personId: person.id },
          idempotencyKey: null,
        },
      ]);
    });
    return { status: 204 };
  },
});

export const adminRoutes = [issueCode, unlock];
