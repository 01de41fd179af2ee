/**
 * The registers of a unit as the office keeps them on paper: the outgoing register (sổ
 * đăng ký văn bản đi) and the incoming register (sổ đăng ký văn bản đến), with the
 * columns of Nghị định 30/2020/NĐ-CP, Phụ lục IV. Read-only over `register_entry`: the
 * numbers themselves are only ever taken inside the issuing or receiving transaction.
 */
import { z } from 'zod';
import { recipientLines } from '../../db/render-input';
import type { DraftContent } from '../../domain/document';
import { requireUnitRole, STAFF_ROLES } from '../authorization';
import { keysetPage, pageOf, pageQuery } from '../pagination';
import { ACCESS_GROUPS, defineRoute } from '../route';
import { problem } from '../schemas';

const iso = (value: Date | string | null): string | null =>
  value === null ? null : new Date(value).toISOString();

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

/** A Vietnamese calendar date, YYYY-MM-DD, of a moment. */
const VN_DATE = (column: string) => `to_char(${column} AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD')`;

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
    const yearFilter = `($2::int IS NULL OR extract(year FROM e.recorded_at AT TIME ZONE 'Asia/Ho_Chi_Minh') = $2)`;
    if (params.direction === 'outgoing') {
      const page = await keysetPage<{
        id: string;
        document_id: string;
        status: 'reserved' | 'issued' | 'received' | 'cancelled';
        number: string;
        document_date: string | null;
        type_name: string;
        subject: string;
        signer: string | null;
        content: DraftContent | null;
        copies: number;
        cancel_reason: string | null;
        recorded_at: Date;
      }>(ctx.sequelize, {
        sql: `SELECT e.id, e.document_id, e.status, e.number,
                     coalesce(e.details->>'issueDate', ${VN_DATE('d.issued_at')}) AS document_date,
                     t.name AS type_name, d.subject, s.full_name AS signer, v.content,
                     (SELECT count(*)::int FROM delivery dl WHERE dl.document_id = d.id) AS copies,
                     e.cancel_reason, e.recorded_at
                FROM register_entry e JOIN register r ON r.id = e.register_id
                JOIN document d ON d.id = e.document_id JOIN document_type t ON t.code = d.type_code
                LEFT JOIN person s ON s.id = d.signer_person_id
                LEFT JOIN document_version v ON v.document_id = d.id
                                            AND v.version = coalesce(d.approved_version, d.current_version)
               WHERE r.unit_id = $1 AND r.direction = 'outgoing' AND ${yearFilter}`,
        bind: [params.id, query.year ?? null],
        keys: [{ field: 'id', direction: 'desc' }],
        page: query,
      });
      const items = await Promise.all(
        page.rows.map(async (r) => ({
          entryId: Number(r.id),
          documentId: r.document_id,
          status: r.status,
          number: r.number,
          documentDate: r.status === 'cancelled' ? null : r.document_date,
          typeName: r.type_name,
          subject: r.subject,
          signer: r.signer,
          recipients: [
            ...(await recipientLines(ctx.sequelize, r.content?.recipients ?? [])),
            ...(r.content?.recipientsNote
              ? r.content.recipientsNote.split('\n').filter((l) => l.trim())
              : []),
          ],
          keptBy: `Lưu: Văn phòng ${unit.name}`,
          copies: r.copies,
          note:
            r.status === 'cancelled'
              ? `Số đã hủy${r.cancel_reason ? `: ${r.cancel_reason}` : ''}`
              : r.status === 'reserved'
                ? 'Số đã lấy, đang phát hành'
                : null,
          recordedAt: iso(r.recorded_at)!,
        })),
      );
      return { status: 200, body: { direction: 'outgoing', items, nextCursor: page.nextCursor } };
    }
    const page = await keysetPage<{
      id: string;
      document_id: string;
      delivery_id: string | null;
      recorded_at: Date;
      number: string;
      issuer: string;
      document_number: string | null;
      document_date: string | null;
      type_name: string;
      subject: string;
      handler: string | null;
      received_by: string | null;
      delivery_status: string | null;
    }>(ctx.sequelize, {
      sql: `SELECT e.id, e.document_id, e.delivery_id, e.recorded_at, e.number, iu.name AS issuer,
                   d.number AS document_number, ${VN_DATE('d.issued_at')} AS document_date,
                   t.name AS type_name, d.subject, a.full_name AS handler, rb.full_name AS received_by,
                   dl.status AS delivery_status
              FROM register_entry e JOIN register r ON r.id = e.register_id
              JOIN document d ON d.id = e.document_id JOIN document_type t ON t.code = d.type_code
              JOIN org_unit iu ON iu.id = d.issuing_unit_id
              LEFT JOIN delivery dl ON dl.id = e.delivery_id
              LEFT JOIN person a ON a.id = dl.assignee_id
              LEFT JOIN person rb ON rb.id = coalesce(dl.received_by, e.recorded_by)
             WHERE r.unit_id = $1 AND r.direction = 'incoming' AND ${yearFilter}`,
      bind: [params.id, query.year ?? null],
      keys: [{ field: 'id', direction: 'desc' }],
      page: query,
    });
    return {
      status: 200,
      body: {
        direction: 'incoming',
        items: page.rows.map((r) => ({
          entryId: Number(r.id),
          documentId: r.document_id,
          deliveryId: r.delivery_id === null ? null : Number(r.delivery_id),
          receivedAt: iso(r.recorded_at)!,
          incomingNumber: r.number,
          issuer: r.issuer,
          documentNumber: r.document_number,
          documentDate: r.document_date,
          typeName: r.type_name,
          subject: r.subject,
          handler: r.handler,
          receivedBy: r.received_by,
          note: r.delivery_status,
        })),
        nextCursor: page.nextCursor,
      },
    };
  },
});

export const webRegisterRoutes = [registers];
