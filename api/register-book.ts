/**
 * A unit's registers as the office keeps them on paper: the outgoing register (sổ đăng ký
 * văn bản đi) and the incoming register (sổ đăng ký văn bản đến), with the columns of Nghị
 * định 30/2020/NĐ-CP, Phụ lục IV. Read-only over `register_entry`: the numbers themselves
 * are only ever taken inside the issuing or receiving transaction. The register page reads
 * it newest first a page at a time; the CSV and PDF exports read it oldest first, whole.
 */
import type { Sequelize } from 'sequelize';
import { noteLines, recipientLinesOf } from '../db/render-input';
import type { DraftContent } from '../domain/document';
import { vietnamDate } from '../domain/time';
import { keysetPage, type PageRequest } from './pagination';

export type RegisterDirection = 'outgoing' | 'incoming';

export interface OutgoingEntry {
  entryId: number;
  documentId: string;
  status: 'reserved' | 'issued' | 'received' | 'cancelled';
  number: string;
  documentDate: string | null;
  typeName: string;
  subject: string;
  signer: string | null;
  recipients: string[];
  keptBy: string;
  copies: number;
  note: string | null;
  recordedAt: string;
}

export interface IncomingEntry {
  entryId: number;
  documentId: string;
  deliveryId: number | null;
  receivedAt: string;
  incomingNumber: string;
  issuer: string;
  documentNumber: string | null;
  documentDate: string | null;
  typeName: string;
  subject: string;
  handler: string | null;
  receivedBy: string | null;
  note: string | null;
}

export type RegisterPage =
  | { direction: 'outgoing'; items: OutgoingEntry[]; nextCursor: string | null }
  | { direction: 'incoming'; items: IncomingEntry[]; nextCursor: string | null };

export interface RegisterQuery {
  unit: { id: number; name: string };
  direction: RegisterDirection;
  /** Only entries recorded in this year (Vietnam time). */
  year?: number | undefined;
  page: PageRequest;
  order: 'newest' | 'oldest';
}

const iso = (value: Date | string): string => new Date(value).toISOString();

/** A Vietnamese calendar date, YYYY-MM-DD, of a moment. */
const VN_DATE = (column: string) => `to_char(${column} AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD')`;
const YEAR_FILTER = `($2::int IS NULL OR extract(year FROM e.recorded_at AT TIME ZONE 'Asia/Ho_Chi_Minh') = $2)`;

const DELIVERY_STATUS_VI: Record<string, string> = {
  delivered: 'Đã đến',
  received: 'Đã tiếp nhận',
  assigned: 'Đã giao xử lý',
  in_progress: 'Đang xử lý',
  completed: 'Hoàn thành',
  returned: 'Đã trả lại',
  recalled: 'Đã thu hồi',
};

/** One page of a register. */
export async function registerPage(sequelize: Sequelize, query: RegisterQuery): Promise<RegisterPage> {
  const keys = [{ field: 'id', direction: query.order === 'newest' ? 'desc' : 'asc' } as const];
  const bind = [query.unit.id, query.year ?? null];
  if (query.direction === 'outgoing') {
    const page = await keysetPage<{
      id: string;
      document_id: string;
      status: OutgoingEntry['status'];
      number: string;
      document_date: string | null;
      type_name: string;
      subject: string;
      signer: string | null;
      content: DraftContent | null;
      copies: number;
      cancel_reason: string | null;
      recorded_at: Date;
    }>(sequelize, {
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
             WHERE r.unit_id = $1 AND r.direction = 'outgoing' AND ${YEAR_FILTER}`,
      bind,
      keys,
      page: query.page,
    });
    const recipients = await recipientLinesOf(
      sequelize,
      page.rows.map((r) => r.content?.recipients ?? []),
    );
    const items = page.rows.map((r, i) => ({
      entryId: Number(r.id),
      documentId: r.document_id,
      status: r.status,
      number: r.number,
      documentDate: r.status === 'cancelled' ? null : r.document_date,
      typeName: r.type_name,
      subject: r.subject,
      signer: r.signer,
      recipients: [...recipients[i]!, ...noteLines(r.content?.recipientsNote)],
      keptBy: `Lưu: Văn phòng ${query.unit.name}`,
      copies: r.copies,
      note:
        r.status === 'cancelled'
          ? `Số đã hủy${r.cancel_reason ? `: ${r.cancel_reason}` : ''}`
          : r.status === 'reserved'
            ? 'Số đã lấy, đang phát hành'
            : null,
      recordedAt: iso(r.recorded_at),
    }));
    return { direction: 'outgoing', items, nextCursor: page.nextCursor };
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
  }>(sequelize, {
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
           WHERE r.unit_id = $1 AND r.direction = 'incoming' AND ${YEAR_FILTER}`,
    bind,
    keys,
    page: query.page,
  });
  return {
    direction: 'incoming',
    items: page.rows.map((r) => ({
      entryId: Number(r.id),
      documentId: r.document_id,
      deliveryId: r.delivery_id === null ? null : Number(r.delivery_id),
      receivedAt: iso(r.recorded_at),
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
  };
}

/** The whole register (or one year of it), oldest first, a page at a time. */
export async function* wholeRegister(
  sequelize: Sequelize,
  query: Omit<RegisterQuery, 'page' | 'order'>,
): AsyncGenerator<RegisterPage> {
  let cursor: string | undefined;
  do {
    const page = await registerPage(sequelize, { ...query, order: 'oldest', page: { limit: 500, cursor } });
    yield page;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/** A column of the paper register: its heading and what one entry shows in it. */
export interface RegisterColumn<Entry> {
  heading: string;
  /** Share of the printed table's width. */
  width: number;
  cell: (entry: Entry) => string;
}

/** dd/mm/yyyy, as dates are written in Vietnam. */
function ddmmyyyy(date: string | null): string {
  if (!date) return '';
  const [y, m, d] = date.split('-');
  return `${d}/${m}/${y}`;
}

function vietnamDay(at: string): string {
  const { year, month, day } = vietnamDate(at);
  return `${String(day).padStart(2, '0')}/${String(month).padStart(2, '0')}/${year}`;
}

/** Nghị định 30/2020/NĐ-CP, Phụ lục IV: mẫu sổ đăng ký văn bản đi. */
export const OUTGOING_COLUMNS: readonly RegisterColumn<OutgoingEntry>[] = [
  { heading: 'Số, ký hiệu văn bản', width: 1.3, cell: (e) => e.number },
  { heading: 'Ngày tháng văn bản', width: 1, cell: (e) => ddmmyyyy(e.documentDate) },
  {
    heading: 'Tên loại và trích yếu nội dung văn bản',
    width: 3.2,
    cell: (e) => `${e.typeName} ${e.subject}`,
  },
  { heading: 'Người ký', width: 1.3, cell: (e) => e.signer ?? '' },
  { heading: 'Nơi nhận văn bản', width: 2.4, cell: (e) => e.recipients.join('\n') },
  { heading: 'Đơn vị, người nhận bản lưu', width: 1.4, cell: (e) => e.keptBy },
  { heading: 'Số lượng bản', width: 0.7, cell: (e) => String(e.copies) },
  { heading: 'Ghi chú', width: 1.1, cell: (e) => e.note ?? '' },
];

/** Nghị định 30/2020/NĐ-CP, Phụ lục IV: mẫu sổ đăng ký văn bản đến. */
export const INCOMING_COLUMNS: readonly RegisterColumn<IncomingEntry>[] = [
  { heading: 'Ngày đến', width: 0.9, cell: (e) => vietnamDay(e.receivedAt) },
  { heading: 'Số đến', width: 0.6, cell: (e) => e.incomingNumber },
  { heading: 'Tác giả', width: 1.6, cell: (e) => e.issuer },
  { heading: 'Số, ký hiệu', width: 1.2, cell: (e) => e.documentNumber ?? '' },
  { heading: 'Ngày tháng', width: 0.9, cell: (e) => ddmmyyyy(e.documentDate) },
  { heading: 'Tên loại và trích yếu nội dung', width: 3.2, cell: (e) => `${e.typeName} ${e.subject}` },
  { heading: 'Đơn vị hoặc người nhận', width: 1.4, cell: (e) => e.handler ?? '' },
  { heading: 'Ký nhận', width: 1.2, cell: (e) => e.receivedBy ?? '' },
  { heading: 'Ghi chú', width: 1, cell: (e) => (e.note ? (DELIVERY_STATUS_VI[e.note] ?? e.note) : '') },
];

/** The headings and the cells of a page, whichever register it is from. */
export function registerTable(page: RegisterPage): { headings: string[]; rows: string[][] } {
  const table = <E>(columns: readonly RegisterColumn<E>[], items: E[]) => ({
    headings: columns.map((c) => c.heading),
    rows: items.map((item) => columns.map((c) => c.cell(item))),
  });
  return page.direction === 'outgoing'
    ? table(OUTGOING_COLUMNS, page.items)
    : table(INCOMING_COLUMNS, page.items);
}

export const REGISTER_TITLES: Record<RegisterDirection, string> = {
  outgoing: 'SỔ ĐĂNG KÝ VĂN BẢN ĐI',
  incoming: 'SỔ ĐĂNG KÝ VĂN BẢN ĐẾN',
};

export function columnWidths(direction: RegisterDirection): number[] {
  return (direction === 'outgoing' ? OUTGOING_COLUMNS : INCOMING_COLUMNS).map((c) => c.width);
}
