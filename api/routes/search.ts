/**
 * Search over every document the caller may see: by number, type, issuer, date range,
 * status and words of the subject — with or without diacritics ("chi thi" finds "chỉ
 * thị"), because the subject is kept folded beside itself (domain/search.ts).
 */
import { z } from 'zod';
import { likeLiteral } from '../../db/sql';
import { DOCUMENT_STATUSES } from '../../domain/lifecycle';
import { foldForSearch } from '../../domain/search';
import { reachablePathPatterns } from '../authorization';
import { keysetPage, pageOf, pageQuery } from '../pagination';
import { defineRoute, SIGNED_IN_PERSONAS } from '../route';
import { problem } from '../schemas';

const hit = z
  .object({
    id: z.string(),
    number: z.string().nullable(),
    type: z.string(),
    subject: z.string(),
    status: z.enum(DOCUMENT_STATUSES),
    issuer: z.object({ id: z.number(), name: z.string() }),
    issuedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'SearchHit' });

const day = z.iso.date('a date, YYYY-MM-DD');

const search = defineRoute({
  method: 'get',
  path: '/documents',
  operationId: 'searchDocuments',
  summary:
    'Search documents I may see: number, type, issuer, dates, status, subject words (diacritics optional)',
  tag: 'documents',
  access: { kind: 'signed_in' },
  query: pageQuery({ defaultLimit: 30, maxLimit: 100 }).extend({
    q: z.string().trim().max(200).optional().describe('Words of the subject, with or without diacritics'),
    number: z.string().trim().max(50).optional().describe('Số, ký hiệu, e.g. 12-CT/TU (prefix)'),
    type: z.string().max(10).optional(),
    issuerId: z.coerce
      .number()
      .int()
      .positive()
      .optional()
      .describe('The issuing unit, and the units under it'),
    status: z.enum(DOCUMENT_STATUSES).optional(),
    from: day.optional().describe('Issued (or created, for drafts) on or after this day, Vietnam time'),
    to: day.optional().describe('… on or before this day'),
  }),
  responses: {
    200: { description: 'A page of documents, newest first', schema: pageOf(hit, 'SearchPage') },
    400: problem('Invalid filter'),
  },
  accessExamples: {
    allow: SIGNED_IN_PERSONAS,
    request: (f) => ({ path: '/documents', query: { q: 'thong bao', issuerId: String(f.units.district) } }),
  },
  async handler({ actor, query, ctx }) {
    const words = query.q ? foldForSearch(query.q).split(' ').filter(Boolean) : [];
    const page = await keysetPage<{
      id: string;
      number: string | null;
      type_code: string;
      subject: string;
      status: (typeof DOCUMENT_STATUSES)[number];
      issuer_id: number;
      issuer: string;
      issued_at: Date | null;
      created_at: Date;
      sort_at: string;
    }>(ctx.sequelize, {
      // Visible: issued by a unit the caller reaches, or delivered to one (the common cases;
      // the document page itself applies the full rule).
      sql: `SELECT d.id, d.number, d.type_code, d.subject, d.status, u.id AS issuer_id, u.name AS issuer,
                   d.issued_at, d.created_at,
                   (extract(epoch FROM coalesce(d.issued_at, d.created_at)) * 1000000)::bigint AS sort_at
              FROM document d JOIN org_unit u ON u.id = d.issuing_unit_id
             WHERE (u.path LIKE ANY ($1::text[])
                    OR EXISTS (SELECT 1 FROM delivery v JOIN org_unit r ON r.id = v.recipient_unit_id
                                WHERE v.document_id = d.id AND r.path LIKE ANY ($1::text[])))
               AND ($2::text[] IS NULL OR d.subject_folded LIKE ALL ($2::text[]))
               AND ($3::text IS NULL OR d.number ILIKE $3)
               AND ($4::text IS NULL OR d.type_code = $4)
               AND ($5::int IS NULL OR u.path LIKE (SELECT path FROM org_unit WHERE id = $5) || '%')
               AND ($6::text IS NULL OR d.status = $6)
               AND ($7::date IS NULL OR (coalesce(d.issued_at, d.created_at) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date >= $7)
               AND ($8::date IS NULL OR (coalesce(d.issued_at, d.created_at) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date <= $8)`,
      bind: [
        reachablePathPatterns(actor),
        words.length ? words.map((w) => `%${likeLiteral(w)}%`) : null,
        query.number ? `${likeLiteral(query.number)}%` : null,
        query.type ?? null,
        query.issuerId ?? null,
        query.status ?? null,
        query.from ?? null,
        query.to ?? null,
      ],
      keys: [
        { field: 'sort_at', direction: 'desc' },
        { field: 'id', direction: 'desc' },
      ],
      page: query,
    });
    return {
      status: 200,
      body: {
        items: page.rows.map((r) => ({
          id: r.id,
          number: r.number,
          type: r.type_code,
          subject: r.subject,
          status: r.status,
          issuer: { id: r.issuer_id, name: r.issuer },
          issuedAt: r.issued_at ? new Date(r.issued_at).toISOString() : null,
          createdAt: new Date(r.created_at).toISOString(),
        })),
        nextCursor: page.nextCursor,
      },
    };
  },
});

export const searchRoutes = [search];
