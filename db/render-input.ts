/**
 * Gathers from the database everything a document's PDF is made of — the approved
 * content, the issuing unit and its đảng bộ, the signer and their title, the recipients
 * by name — as the renderer's plain input.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import type { DraftContent } from '../../domain/document';
import { SIGNING_AUTHORITY_LABELS } from '../../domain/document';
import { collectiveOf, documentHeader, type UnitKind } from '../../domain/org';
import type { RecipientSpec } from '../../domain/recipients';
import { branchMeetingParagraphs } from '../../domain/reports';
import type { DirectiveInput } from '../../render/input';

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
  const units = await unitsByIds(sequelize, [...new Set(specs.map((s) => s.unitId))]);
  return specs.map((spec) => {
    const unit = units.get(spec.unitId);
    const name = unit?.name ?? `đơn vị ${spec.unitId}`;
    if (spec.kind === 'unit') return name;
    if (spec.kind === 'members_under') return `Đảng viên trong ${name}`;
    return `${KIND_PLURAL[spec.unitKind]} trực thuộc ${name}`;
  });
}

export async function directiveInput(
  sequelize: Sequelize,
  documentId: string,
  version: number,
  publicUrl: string,
): Promise<DirectiveInput> {
  const [row] = await sequelize.query<{
    type_name: string;
    party: string | null;
    urgency: DirectiveInput['urgency'];
    issuing_unit_id: number;
    content: DraftContent;
  }>(
    `SELECT t.name AS type_name, t.party, d.urgency, d.issuing_unit_id, v.content
       FROM document d JOIN document_type t ON t.code = d.type_code
       JOIN document_version v ON v.document_id = d.id AND v.version = $2
      WHERE d.id = $1`,
    { bind: [documentId, version], type: QueryTypes.SELECT },
  );
  if (!row) throw new Error(`document ${documentId} version ${version} not found`);
  const { content } = row;
  const [unit] = (await unitsByIds(sequelize, [row.issuing_unit_id])).values();
  const ancestorIds = unit!.path.split('/').filter(Boolean).map(Number).slice(0, -1).reverse();
  const ancestors = await unitsByIds(sequelize, ancestorIds);
  const header = documentHeader(
    unit!,
    ancestorIds.map((id) => ancestors.get(id)!),
  );

  const signerId = content.signer?.personId;
  const [signer] = signerId
    ? await sequelize.query<{ full_name: string; title: string | null }>(
        `SELECT p.full_name, (SELECT r.title FROM role_assignment r
                               WHERE r.person_id = p.id AND r.unit_id = $2 AND r.role = 'signer' LIMIT 1) AS title
           FROM person p WHERE p.id = $1`,
        { bind: [signerId, row.issuing_unit_id], type: QueryTypes.SELECT },
      )
    : [];
  const authority = content.signer?.authority ?? 'TM';
  const authorityBody =
    content.signer?.authorityBody ?? (authority === 'KT' ? 'Bí thư' : collectiveOf(unit!.kind));

  return {
    issuer: { superior: header.superior, name: header.issuer, abbreviation: unit!.abbreviation },
    documentType: { name: row.type_name, abbreviation: row.party ?? '' },
    subject: content.subject,
    body: content.report ? [...branchMeetingParagraphs(content.report), ...content.body] : content.body,
    urgency: row.urgency ?? 'thuong',
    signer: {
      authority: `${SIGNING_AUTHORITY_LABELS[authority]} ${authorityBody}`.toLocaleUpperCase('vi'),
      title: (signer?.title ?? 'Bí thư').toLocaleUpperCase('vi'),
      name: signer?.full_name ?? '',
    },
    recipients: [
      ...(await recipientLines(sequelize, content.recipients ?? [])),
      ...(content.recipientsNote ? content.recipientsNote.split('\n').filter((l) => l.trim()) : []),
    ],
    place: header.place,
    verificationUrl: `${publicUrl}/v/${documentId}`,
  };
}
