/**
 * Checks a draft's references against the database before its workflow sees it: every
 * recipient unit exists and every selector reaches at least one unit, the signer signs for
 * the issuing unit itself, attachments were uploaded, the deadline is in the future.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import type { DraftContent } from '../domain/document';
import { DomainError } from '../domain/errors';
import { checkRecipients } from '../domain/recipients';

export async function checkDraftReferences(
  sequelize: Sequelize,
  issuingUnitPath: string,
  content: DraftContent,
  now = new Date(),
): Promise<void> {
  const recipients = content.recipients ?? [];
  checkRecipients(recipients, 'body.recipients');
  for (const [i, spec] of recipients.entries()) {
    const field = `body.recipients.${i}`;
    const [row] = await sequelize.query<{ exists: boolean; reach: number }>(
      spec.kind === 'units_under'
        ? `SELECT EXISTS (SELECT 1 FROM org_unit WHERE id = $1) AS exists,
                  (SELECT count(*)::int FROM org_unit u, org_unit top
                    WHERE top.id = $1 AND u.path LIKE top.path || '%' AND u.id <> top.id AND u.kind = $2) AS reach`
        : 'SELECT EXISTS (SELECT 1 FROM org_unit WHERE id = $1) AS exists, 1 AS reach',
      {
        bind: spec.kind === 'units_under' ? [spec.unitId, spec.unitKind] : [spec.unitId],
        type: QueryTypes.SELECT,
      },
    );
    if (!row?.exists)
      throw new DomainError('validation', `unit ${spec.unitId} does not exist`, `${field}.unitId`);
    if (row.reach === 0) {
      throw new DomainError(
        'validation',
        `no ${spec.kind === 'units_under' ? spec.unitKind : ''} unit under unit ${spec.unitId}: this recipient reaches nobody`,
        field,
      );
    }
  }
  if (content.signer) {
    const [row] = await sequelize.query<{ may: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM role_assignment r JOIN org_unit u ON u.id = r.unit_id
                       WHERE r.person_id = $1 AND r.role IN ('signer', 'branch_secretary') AND u.path = $2) AS may`,
      { bind: [content.signer.personId, issuingUnitPath], type: QueryTypes.SELECT },
    );
    if (!row?.may) {
      throw new DomainError(
        'validation',
        `person ${content.signer.personId} may not sign for this unit`,
        'body.signer.personId',
      );
    }
  }
  for (const [i, attachment] of (content.attachments ?? []).entries()) {
    const [row] = await sequelize.query<{ media_type: string }>(
      'SELECT media_type FROM blob WHERE sha256 = $1',
      {
        bind: [attachment.sha256],
        type: QueryTypes.SELECT,
      },
    );
    if (row?.media_type !== 'application/pdf') {
      throw new DomainError('validation', 'no uploaded PDF has this SHA-256', `body.attachments.${i}.sha256`);
    }
  }
  if (content.responseDue && Date.parse(content.responseDue) <= now.getTime()) {
    throw new DomainError('validation', 'the response deadline must be in the future', 'body.responseDue');
  }
}
