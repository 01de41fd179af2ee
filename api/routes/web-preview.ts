/**
 * For the compose and issuing pages: a live PDF preview of the draft being written
 * (rendered by render/ in `printed` mode, number and date left blank, nothing stored),
 * and the number the register would give a signed document if it were issued now.
 */
import { QueryTypes } from 'sequelize';
import { z } from 'zod';
import { CURRENT_TERM } from '../../db/registers';
import { draftRenderInput } from '../../db/render-input';
import { refuseSecret } from '../../domain/document';
import { DomainError } from '../../domain/errors';
import { partyNumber, sequenceKey } from '../../domain/numbering';
import { vietnamDate } from '../../domain/time';
import { renderDirective } from '../../render';
import { DRAFTING_ROLES, documentForRole, OFFICE_ROLES, requireUnitRole } from '../authorization';
import { ACCESS_GROUPS, defineRoute } from '../route';
import { documentIdParams, problem } from '../schemas';
import { createDocumentBody } from './documents';

const preview = defineRoute({
  method: 'post',
  path: '/documents/preview',
  operationId: 'previewDraft',
  summary:
    'Live preview: the PDF of a draft as written so far (same body as creating one); nothing is stored',
  description:
    'Rendered in `printed` mode with the number and date left blank, exactly as the approved PDF will be laid out. `id` (when the draft exists) only puts the right address in the QR code. Errors name the field, like creating a draft.',
  tag: 'web',
  access: { kind: 'role', roles: DRAFTING_ROLES },
  body: createDocumentBody,
  before: (req) => refuseSecret(typeof req.body?.secrecy === 'string' ? req.body.secrecy : undefined),
  responses: {
    200: { description: 'The PDF', contentType: 'application/pdf' },
    400: problem('Invalid draft, naming the field'),
    404: problem('No such unit'),
    422: problem('Secret documents are refused'),
  },
  accessExamples: {
    allow: ACCESS_GROUPS.drafters,
    request: (f) => ({
      path: '/documents/preview',
      body: {
        type: 'CT',
        subject: 'Về xem trước văn bản (access test)',
        body: ['Nội dung xem trước.'],
        issuingUnitId: f.units.district,
      },
    }),
  },
  async handler({ actor, body, ctx, res }) {
    const unitId = body.issuingUnitId ?? actor.roles.find((r) => DRAFTING_ROLES.includes(r.role))?.unitId;
    if (unitId === undefined)
      throw new DomainError('validation', 'say which unit issues it', 'body.issuingUnitId');
    await requireUnitRole(ctx.sequelize, actor, unitId, DRAFTING_ROLES, 'body.issuingUnitId');
    const {
      id,
      type,
      urgency,
      secrecy: _secrecy,
      issuingUnitId: _unit,
      replacesDocumentId: _replaces,
      reportRequestId: _request,
      ...content
    } = body;
    const directive = await draftRenderInput(ctx.sequelize, {
      typeCode: type,
      urgency,
      unitId,
      content,
      documentId: id,
      publicUrl: ctx.publicUrl,
      // A draft may not have its signer yet; the preview keeps the place for the name.
      unnamedSigner: '(Người ký)',
    });
    const rendered = await renderDirective(directive, { mode: 'printed' }).catch((error: unknown) => {
      // The renderer names fields of its own input (body.3, subject); they are the draft's too.
      if (error instanceof DomainError && error.field && !error.field.startsWith('body.')) {
        throw new DomainError(error.code, error.message, `body.${error.field}`);
      }
      throw error;
    });
    res
      .status(200)
      .type('application/pdf')
      .set('Content-Disposition', 'inline; filename="du-thao.pdf"')
      .set('X-Page-Count', String(rendered.pageCount))
      .send(Buffer.from(rendered.pdf));
    return undefined;
  },
});

const nextNumber = defineRoute({
  method: 'get',
  path: '/documents/:id/next-number',
  operationId: 'nextNumber',
  summary: 'For the clerk: the number the outgoing register (sổ đi) would give this document if issued now',
  description:
    'A forecast, not a reservation: the number is taken when the document is issued, inside the issuing transaction, and may be higher if another document of the same type is issued first.',
  tag: 'web',
  access: { kind: 'role', roles: OFFICE_ROLES },
  params: documentIdParams,
  responses: {
    200: {
      description: 'The forecast',
      schema: z.object({
        number: z.string(),
        sequence: z.number(),
        series: z.string(),
        period: z.string(),
        term: z.string(),
      }),
    },
    403: problem('Not the office of the issuing unit'),
    404: problem('No such document'),
  },
  accessExamples: {
    // The role gate answers first (403); then another unit's document is not found (404).
    allow: ACCESS_GROUPS.office,
    request: async (f) => ({ path: `/documents/${(await f.documentAt('signed', true)).id}/next-number` }),
  },
  async handler({ actor, params, ctx }) {
    const document = await documentForRole(ctx.sequelize, actor, params.id, OFFICE_ROLES, 'issue it');
    const [row] = await ctx.sequelize.query<{
      type_code: string;
      party: string | null;
      abbreviation: string;
      register_id: number | null;
      sequence_policy: 'per_type' | 'shared' | null;
      reset_policy: 'term' | 'year' | null;
      term: string | null;
    }>(
      `SELECT d.type_code, t.party, u.abbreviation, r.id AS register_id, r.sequence_policy, r.reset_policy, r.term
         FROM document d JOIN document_type t ON t.code = d.type_code JOIN org_unit u ON u.id = d.issuing_unit_id
         LEFT JOIN register r ON r.unit_id = d.issuing_unit_id AND r.direction = 'outgoing'
        WHERE d.id = $1`,
      { bind: [document.id], type: QueryTypes.SELECT },
    );
    // A unit's register is created on its first issue with the Party default (per type, per term).
    const policy = {
      scheme: 'party' as const,
      sequence: row!.sequence_policy ?? ('per_type' as const),
      reset: row!.reset_policy ?? ('term' as const),
    };
    const term = row!.term ?? CURRENT_TERM;
    const key = sequenceKey(policy, row!.type_code, { term, year: vietnamDate(new Date()).year });
    const [counter] = row!.register_id
      ? await ctx.sequelize.query<{ last_sequence: number }>(
          'SELECT last_sequence FROM register_counter WHERE register_id = $1 AND series = $2 AND period = $3',
          { bind: [row!.register_id, key.series, key.period], type: QueryTypes.SELECT },
        )
      : [];
    const sequence = (counter?.last_sequence ?? 0) + 1;
    return {
      status: 200,
      body: {
        number: partyNumber(sequence, row!.party, row!.abbreviation),
        sequence,
        series: key.series,
        period: key.period,
        term,
      },
    };
  },
});

export const webPreviewRoutes = [preview, nextNumber];
