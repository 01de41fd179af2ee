/**
 * Keeping the registers: opening a new committee term in a unit's outgoing register (sổ
 * đi). The entries themselves are only written inside the issuing and receiving
 * transactions; reading them is in web-registers.ts.
 */
import { z } from 'zod';
import { appendAudit } from '../../db/audit';
import { openTerm, TERM_PATTERN } from '../../db/registers';
import { requireUnitRole } from '../authorization';
import { ACCESS_GROUPS, defineRoute } from '../route';
import { problem } from '../schemas';

/** A Party committee term (nhiệm kỳ) runs five years: 2025-2030. */
const term = z
  .string()
  .regex(TERM_PATTERN, 'must be a term such as 2030-2035')
  .refine((value) => {
    const years = TERM_PATTERN.exec(value);
    return !years || Number(years[2]) - Number(years[1]) === 5;
  }, 'a committee term runs five years, e.g. 2030-2035');

const termView = z
  .object({
    unitId: z.number(),
    direction: z.literal('outgoing'),
    term: z.string(),
    previousTerm: z.string(),
    changed: z.boolean().describe('False when the register was already in this term'),
  })
  .meta({ id: 'RegisterTerm' });

const openRegisterTerm = defineRoute({
  method: 'put',
  path: '/org-units/:id/registers/outgoing/term',
  operationId: 'openRegisterTerm',
  summary:
    'Open a new committee term (nhiệm kỳ) in the outgoing register: numbers of every type start again from 01',
  description:
    'For the unit’s clerk (văn thư) or an administrator, after the congress. Entries of the old term stay as they are; a term only moves forward, and repeating the current term changes nothing.',
  tag: 'registers',
  access: { kind: 'role', roles: ['admin', 'clerk'] },
  params: z.strictObject({ id: z.coerce.number().int().positive('must be a unit id') }),
  body: z.strictObject({ term }),
  responses: {
    200: { description: 'The register’s term', schema: termView },
    404: problem('No such unit'),
    409: problem('The register is already in a later term'),
  },
  accessExamples: {
    allow: ['admin', ...ACCESS_GROUPS.office],
    notFoundFor: ['clerk.ward'],
    request: (f) => ({
      path: `/org-units/${f.units.district}/registers/outgoing/term`,
      body: { term: '2030-2035' },
    }),
  },
  async handler({ req, actor, params, body, ctx }) {
    await requireUnitRole(ctx.sequelize, actor, params.id, ['admin', 'clerk'], 'params.id');
    const result = await ctx.sequelize.transaction(async (transaction) => {
      const opened = await openTerm(ctx.sequelize, transaction, params.id, body.term);
      if (opened.changed) {
        await appendAudit(ctx.sequelize, transaction, [
          {
            actorPersonId: actor.personId,
            actorUnitId: actor.homeUnitId,
            source: req.ip ?? 'unknown',
            action: 'register.term_opened',
            documentId: null,
            versionSha256: null,
            detail: { unitId: params.id, term: body.term, previousTerm: opened.previousTerm },
            idempotencyKey: null,
          },
        ]);
      }
      return opened;
    });
    return {
      status: 200,
      body: {
        unitId: params.id,
        direction: 'outgoing' as const,
        term: result.register.term,
        previousTerm: result.previousTerm,
        changed: result.changed,
      },
    };
  },
});

export const registerRoutes = [openRegisterTerm];
