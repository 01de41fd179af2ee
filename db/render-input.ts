/**
 * Gathers from the database everything a document's PDF is made of — the content, the
 * issuing unit and its đảng bộ, the signer and their title, the recipients by name — as the
 * renderer's plain input. The signing activity renders a stored version; the compose page's
 * live preview renders a draft not stored yet; both get the same header, signer block and
 * "Nơi nhận" lines from here.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { type DraftContent, SIGNING_AUTHORITY_LABELS, type Urgency } from '../domain/document';
import { DomainError } from '../domain/errors';
import { collectiveOf, documentHeader, type UnitKind } from '../domain/org';
import type { RecipientSpec } from '../domain/recipients';
import { branchMeetingParagraphs } from '../domain/reports';
import type { DirectiveInput } from '../render/input';

interface UnitRow {
  id: number;
  name: string;
  kind: UnitKind;
  abbreviation: string;
  path: string;
}

const KIND_PLURAL: Record<UnitKind, string> = {
  central: 'Trung ương',
  provincial: 'Các tỉnh ủy, thành ủy',
  district: 'Các quận ủy, huyện ủy, thị ủy',
  bloc: 'Các đảng ủy khối',
  grassroots: 'Các đảng ủy cơ sở',
  branch: 'Các chi bộ',
};

/** Stands in the QR code of a draft that has no id yet. */
const NO_DOCUMENT_YET = '00000000-0000-4000-8000-000000000000';

async function unitsByIds(sequelize: Sequelize, ids: number[]): Promise<Map<number, UnitRow>> {
  if (ids.length === 0) return new Map();
  const rows = await sequelize.query<UnitRow>(
    'SELECT id, name, kind, abbreviation, path FROM org_unit WHERE id = ANY($1::int[])',
    { bind: [ids], type: QueryTypes.SELECT },
  );
  return new Map(rows.map((r) => [r.id, r]));
}

/** "Nơi nhận" lines for the recipient entries, by name. */
export async function recipientLines(
  sequelize: Sequelize,
  specs: readonly RecipientSpec[],
): Promise<string[]> {
  const [lines] = await recipientLinesOf(sequelize, [specs]);
  return lines!;
}

/** The "Nơi nhận" lines of many documents at once, with one read of the units they name. */
export async function recipientLinesOf(
  sequelize: Sequelize,
  lists: readonly (readonly RecipientSpec[])[],
): Promise<string[][]> {
  const units = await unitsByIds(sequelize, [...new Set(lists.flat().map((s) => s.unitId))]);
  return lists.map((specs) =>
    specs.map((spec) => {
      const unit = units.get(spec.unitId);
      const name = unit?.name ?? `đơn vị ${spec.unitId}`;
      if (spec.kind === 'unit') return name;
      if (spec.kind === 'members_under') return `Đảng viên trong ${name}`;
      return `${KIND_PLURAL[spec.unitKind]} trực thuộc ${name}`;
    }),
  );
}

export interface DraftToRender {
  typeCode: string;
  urgency: Urgency;
  unitId: number;
  content: DraftContent;
  /** Absent for a draft not stored yet. */
  documentId?: string;
  publicUrl: string;
  /** Printed in place of the signer's name while none is chosen. */
  unnamedSigner?: string;
}

/** The extra "Nơi nhận" lines typed in the draft, one per line. */
export function noteLines(note: string | undefined): string[] {
  return note ? note.split('\n').filter((line) => line.trim()) : [];
}

/** The renderer's input for a document's content, stored or not. */
export async function draftRenderInput(sequelize: Sequelize, draft: DraftToRender): Promise<DirectiveInput> {
  const [type] = await sequelize.query<{ name: string; party: string | null }>(
    'SELECT name, party FROM document_type WHERE code = $1',
    { bind: [draft.typeCode], type: QueryTypes.SELECT },
  );
  if (!type) throw new DomainError('validation', `unknown document type "${draft.typeCode}"`, 'body.type');
  const unit = (await unitsByIds(sequelize, [draft.unitId])).get(draft.unitId);
  if (!unit) throw new DomainError('not_found', `no unit ${draft.unitId}`, 'body.unitId');
  const ancestorIds = unit.path.split('/').filter(Boolean).map(Number).slice(0, -1).reverse();
  const ancestors = await unitsByIds(sequelize, ancestorIds);
  const header = documentHeader(
    unit,
    ancestorIds.map((id) => ancestors.get(id)!),
  );

  const { content } = draft;
  const [signer] = content.signer
    ? await sequelize.query<{ full_name: string; title: string | null }>(
        `SELECT p.full_name, (SELECT r.title FROM role_assignment r
                               WHERE r.person_id = p.id AND r.unit_id = $2 AND r.role = 'signer' LIMIT 1) AS title
           FROM person p WHERE p.id = $1`,
        { bind: [content.signer.personId, unit.id], type: QueryTypes.SELECT },
      )
    : [];
  const authority = content.signer?.authority ?? 'TM';
  const authorityBody =
    content.signer?.authorityBody ?? (authority === 'KT' ? 'Bí thư' : collectiveOf(unit.kind));

  return {
    issuer: { superior: header.superior, name: header.issuer, abbreviation: unit.abbreviation },
    documentType: { name: type.name, abbreviation: type.party ?? '' },
    subject: content.subject,
    body: content.report ? [...branchMeetingParagraphs(content.report), ...content.body] : content.body,
    urgency: draft.urgency,
    signer: {
      authority: `${SIGNING_AUTHORITY_LABELS[authority]} ${authorityBody}`.toLocaleUpperCase('vi'),
      title: (signer?.title ?? 'Bí thư').toLocaleUpperCase('vi'),
      name: signer?.full_name ?? draft.unnamedSigner ?? '',
    },
    recipients: [
      ...(await recipientLines(sequelize, content.recipients ?? [])),
      ...noteLines(content.recipientsNote),
    ],
    place: header.place,
    verificationUrl: `${draft.publicUrl}/v/${draft.documentId ?? NO_DOCUMENT_YET}`,
  };
}

/** The renderer's input for a stored version of a document. */
export async function directiveInput(
  sequelize: Sequelize,
  documentId: string,
  version: number,
  publicUrl: string,
): Promise<DirectiveInput> {
  const [row] = await sequelize.query<{
    type_code: string;
    urgency: Urgency | null;
    issuing_unit_id: number;
    content: DraftContent;
  }>(
    `SELECT d.type_code, d.urgency, d.issuing_unit_id, v.content
       FROM document d JOIN document_version v ON v.document_id = d.id AND v.version = $2
      WHERE d.id = $1`,
    { bind: [documentId, version], type: QueryTypes.SELECT },
  );
  if (!row) throw new Error(`document ${documentId} version ${version} not found`);
  return draftRenderInput(sequelize, {
    typeCode: row.type_code,
    urgency: row.urgency ?? 'thuong',
    unitId: row.issuing_unit_id,
    content: row.content,
    documentId,
    publicUrl,
  });
}
