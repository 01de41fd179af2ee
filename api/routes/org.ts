/** The organisation tree: a unit and its direct children. */
import { z } from 'zod';
import { OrgUnit } from '../../db/models';
import { DomainError } from '../../domain/errors';
import { UNIT_KINDS } from '../../domain/org';
import { defineRoute, SIGNED_IN_PERSONAS } from '../route';
import { problem, unitIdParams } from '../schemas';

const unitSummary = z.object({
  id: z.number(),
  code: z.string(),
  name: z.string(),
  abbreviation: z.string(),
  kind: z.enum(UNIT_KINDS),
});
const unitView = unitSummary
  .extend({ parentId: z.number().nullable(), children: z.array(unitSummary) })
  .meta({ id: 'OrgUnit' });

const getUnit = defineRoute({
  method: 'get',
  path: '/org-units/:id',
  operationId: 'getOrgUnit',
  summary: 'An organisation unit and its direct children',
  tag: 'organisation',
  access: { kind: 'signed_in' },
  params: unitIdParams,
  responses: { 200: { description: 'The unit', schema: unitView }, 404: problem('No such unit') },
  accessExamples: { allow: SIGNED_IN_PERSONAS, request: (f) => ({ path: `/org-units/${f.units.district}` }) },
  async handler({ params }) {
    const unit = await OrgUnit.findByPk(params.id);
    if (!unit) throw new DomainError('not_found', `no unit ${params.id}`);
    const children = await OrgUnit.findAll({
      where: { parentId: params.id },
      attributes: ['id', 'code', 'name', 'abbreviation', 'kind'],
      order: [['code', 'ASC']],
    });
    return {
      status: 200,
      body: {
        id: unit.id,
        code: unit.code,
        name: unit.name,
        abbreviation: unit.abbreviation,
        kind: unit.kind,
        parentId: unit.parentId,
        children: children.map((c) => c.get({ plain: true })),
      },
    };
  },
});

export const orgRoutes = [getUnit];
