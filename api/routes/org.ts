/** The organisation tree: a unit and its direct children. */
import { Router } from 'express';
import type { Sequelize } from 'sequelize';
import { OrgUnit } from '../../db/models';
import { DomainError } from '../../domain/errors';
import { requireActor } from '../auth';
import { parseWith, unitIdParam } from '../validate';

export function orgRoutes(_deps: { sequelize: Sequelize }): Router {
  const router = Router();

  router.get('/org-units/:id', async (req, res) => {
    requireActor(req);
    const id = parseWith(unitIdParam, req.params.id, 'path.id');
    const unit = await OrgUnit.findByPk(id);
    if (!unit) throw new DomainError('not_found', `no unit ${id}`);
    const children = await OrgUnit.findAll({
      where: { parentId: id },
      attributes: ['id', 'code', 'name', 'abbreviation', 'kind'],
      order: [['code', 'ASC']],
    });
    res.json({
      id: unit.id,
      code: unit.code,
      name: unit.name,
      abbreviation: unit.abbreviation,
      kind: unit.kind,
      parentId: unit.parentId,
      children: children.map((c) => c.get({ plain: true })),
    });
  });

  return router;
}
