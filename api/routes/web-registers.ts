/**
 * The registers of a unit (api/register-book.ts): a page at a time for the register page,
 * and whole, oldest first, as CSV for spreadsheets or as a PDF to print and keep.
 */
import { z } from 'zod';
import { renderRegisterBook } from '../../render/register-book';
import { requireUnitRole, STAFF_ROLES } from '../authorization';
import { CSV_BOM, csvLine } from '../csv';
import { pageOf, pageQuery } from '../pagination';
import {
  columnWidths,
  REGISTER_TITLES,
  type RegisterDirection,
  registerPage,
  registerTable,
  wholeRegister,
} from '../register-book';
import { ACCESS_GROUPS, defineRoute } from '../route';
import { problem } from '../schemas';

const outgoingEntry = z
  .object({
    entryId: z.number(),
    documentId: z.string(),
    status: z.enum(['reserved', 'issued', 'received', 'cancelled']),
    number: z.string().describe('(1) Số, ký hiệu văn bản'),
    documentDate: z.string().nullable().describe('(2) Ngày tháng văn bản, YYYY-MM-DD in Vietnam'),
    typeName: z.string().describe('(3) Tên loại …'),
    subject: z.string().describe('(3) … và trích yếu nội dung'),
    signer: z.string().nullable().describe('(4) Người ký'),
    recipients: z.array(z.string()).describe('(5) Nơi nhận văn bản'),
    keptBy: z.string().describe('(6) Đơn vị, người nhận bản lưu'),
    copies: z.number().describe('(7) Số lượng bản: the recipient units it was delivered to'),
    note: z.string().nullable().describe('(8) Ghi chú: cancellation and its reason'),
    recordedAt: z.string(),
  })
  .meta({ id: 'OutgoingRegisterEntry' });

const incomingEntry = z
  .object({
    entryId: z.number(),
    documentId: z.string(),
    deliveryId: z.number().nullable(),
    receivedAt: z.string().describe('(1) Ngày đến'),
    incomingNumber: z.string().describe('(2) Số đến'),
    issuer: z.string().describe('(3) Tác giả: the issuing body'),
    documentNumber: z.string().nullable().describe('(4) Số, ký hiệu'),
    documentDate: z.string().nullable().describe('(5) Ngày tháng văn bản'),
    typeName: z.string().describe('(6) Tên loại …'),
    subject: z.string().describe('(6) … và trích yếu nội dung'),
    handler: z.string().nullable().describe('(7) Đơn vị hoặc người nhận (xử lý)'),
    receivedBy: z.string().nullable().describe('(8) Ký nhận: who received it'),
    note: z.string().nullable().describe('(9) Ghi chú: the delivery status'),
  })
  .meta({ id: 'IncomingRegisterEntry' });

const registerParams = z.strictObject({
  id: z.coerce.number().int().positive('must be a unit id'),
  direction: z.enum(['outgoing', 'incoming']),
});

const registerQuery = pageQuery({ defaultLimit: 50, maxLimit: 200 }).extend({
  year: z.coerce
    .number()
    .int()
    .min(2000)
    .max(2100)
    .optional()
    .describe('Only entries of this year (Vietnam time)'),
});

const registers = defineRoute({
  method: 'get',
  path: '/org-units/:id/registers/:direction',
  operationId: 'registerEntries',
  summary:
    'A unit’s outgoing (sổ đi) or incoming (sổ đến) register, newest first, with the columns of Nghị định 30/2020, Phụ lục IV',
  description:
    'The answer is `{ direction, items, nextCursor }`; items are OutgoingRegisterEntry or IncomingRegisterEntry. For the staff of the unit or above it (not plain members).',
  tag: 'web',
  access: { kind: 'signed_in' },
  params: registerParams,
  query: registerQuery,
  responses: {
    200: {
      description: 'A page of the register',
      schema: z.union([
        pageOf(outgoingEntry, 'OutgoingRegisterPage').extend({ direction: z.literal('outgoing') }),
        pageOf(incomingEntry, 'IncomingRegisterPage').extend({ direction: z.literal('incoming') }),
      ]),
    },
    403: problem('Members do not read the registers'),
    404: problem('No such unit'),
  },
  accessExamples: {
    allow: ACCESS_GROUPS.districtAndAbove,
    notFoundFor: ACCESS_GROUPS.belowOrBeside,
    request: (f) => ({ path: `/org-units/${f.units.district}/registers/outgoing` }),
  },
  async handler({ actor, params, query, ctx }) {
    const unit = await requireUnitRole(ctx.sequelize, actor, params.id, STAFF_ROLES);
    const body = await registerPage(ctx.sequelize, {
      unit,
      direction: params.direction,
      year: query.year,
      page: query,
      order: 'newest',
    });
    return { status: 200, body };
  },
});

const exportQuery = z.strictObject({
  year: registerQuery.shape.year.describe('Only entries of this year (Vietnam time); every year without it'),
});

const exportAccess = {
  allow: ACCESS_GROUPS.districtAndAbove,
  notFoundFor: ACCESS_GROUPS.belowOrBeside,
} as const;

/** "so-di-2026.csv": ASCII, so every browser keeps the name. */
function fileName(direction: RegisterDirection, year: number | undefined, extension: string): string {
  return `so-${direction === 'outgoing' ? 'di' : 'den'}-${year ?? 'tat-ca'}.${extension}`;
}

const registerCsv = defineRoute({
  method: 'get',
  path: '/org-units/:id/registers/:direction/csv',
  operationId: 'exportRegisterCsv',
  summary: 'A register as CSV (UTF-8 with BOM, for spreadsheets), oldest entry first, columns of Phụ lục IV',
  tag: 'web',
  access: { kind: 'signed_in' },
  params: registerParams,
  query: exportQuery,
  responses: {
    200: { description: 'The register as CSV', contentType: 'text/csv' },
    403: problem('Members do not read the registers'),
    404: problem('No such unit'),
  },
  accessExamples: {
    ...exportAccess,
    request: (f) => ({ path: `/org-units/${f.units.district}/registers/incoming/csv` }),
  },
  async handler({ actor, params, query, ctx, res }) {
    const unit = await requireUnitRole(ctx.sequelize, actor, params.id, STAFF_ROLES);
    const pages = wholeRegister(ctx.sequelize, { unit, direction: params.direction, year: query.year });
    // The first page is read before anything is sent, so a failure there is still a clean error.
    let page = await pages.next();
    res
      .status(200)
      .type('text/csv; charset=utf-8')
      .set('Content-Disposition', `attachment; filename="${fileName(params.direction, query.year, 'csv')}"`);
    let first = true;
    for (; !page.done; page = await pages.next()) {
      const table = registerTable(page.value);
      if (first) res.write(CSV_BOM + csvLine(table.headings));
      first = false;
      res.write(table.rows.map(csvLine).join(''));
    }
    res.end();
    return undefined;
  },
});

const registerPdf = defineRoute({
  method: 'get',
  path: '/org-units/:id/registers/:direction/pdf',
  operationId: 'exportRegisterPdf',
  summary: 'A register printed as PDF (A4 landscape, headings on every page), oldest entry first',
  tag: 'web',
  access: { kind: 'signed_in' },
  params: registerParams,
  query: exportQuery,
  responses: {
    200: { description: 'The register as PDF', contentType: 'application/pdf' },
    403: problem('Members do not read the registers'),
    404: problem('No such unit'),
  },
  accessExamples: {
    ...exportAccess,
    request: (f) => ({ path: `/org-units/${f.units.district}/registers/outgoing/pdf` }),
  },
  async handler({ actor, params, query, ctx, res }) {
    const unit = await requireUnitRole(ctx.sequelize, actor, params.id, STAFF_ROLES);
    const rows: string[][] = [];
    let headings: string[] = [];
    for await (const page of wholeRegister(ctx.sequelize, {
      unit,
      direction: params.direction,
      year: query.year,
    })) {
      const table = registerTable(page);
      headings = table.headings;
      rows.push(...table.rows);
    }
    const pdf = await renderRegisterBook({
      title: REGISTER_TITLES[params.direction],
      unitName: unit.name,
      period: query.year ? `Năm ${query.year}` : 'Tất cả các năm',
      headings,
      widths: columnWidths(params.direction),
      rows,
    });
    res
      .status(200)
      .type('application/pdf')
      .set('Content-Disposition', `attachment; filename="${fileName(params.direction, query.year, 'pdf')}"`)
      .send(Buffer.from(pdf));
    return undefined;
  },
});

export const webRegisterRoutes = [registers, registerCsv, registerPdf];
