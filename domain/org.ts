/**
 * The Party organisation tree and the roles people hold in it.
 */

/** Levels of the tree, top to bottom. A bloc committee sits at the district level. */
export const UNIT_KINDS = ['central', 'provincial', 'district', 'bloc', 'grassroots', 'branch'] as const;
export type UnitKind = (typeof UNIT_KINDS)[number];

export const UNIT_KIND_LABELS: Record<UnitKind, { vi: string; en: string }> = {
  central: { vi: 'Trung ương', en: 'Central Committee' },
  provincial: { vi: 'Tỉnh ủy, Thành ủy', en: 'Provincial or city committee' },
  district: { vi: 'Huyện ủy, Quận ủy, Thị ủy', en: 'District committee' },
  bloc: { vi: 'Đảng ủy khối', en: 'Bloc committee' },
  grassroots: { vi: 'Đảng ủy cơ sở', en: 'Grassroots committee' },
  branch: { vi: 'Chi bộ', en: 'Party branch' },
};

/** Which kinds may sit directly under which. */
const PARENT_KINDS: Record<UnitKind, readonly UnitKind[]> = {
  central: [],
  provincial: ['central'],
  district: ['provincial'],
  bloc: ['provincial'],
  grassroots: ['district', 'bloc'],
  branch: ['grassroots', 'district', 'bloc'],
};

export function mayHaveParent(kind: UnitKind, parentKind: UnitKind | null): boolean {
  return parentKind === null
    ? kind === 'central' || kind === 'provincial'
    : PARENT_KINDS[kind].includes(parentKind);
}

/**
 * Unit identifiers follow the national agency code style (Quyết định 20/2020/QĐ-TTg):
 * 13 characters, four dot-separated parts of 3, 2, 2 and 3 characters, for example
 * `000.00.12.A01` — read from the most specific level on the left to the top on the right.
 */
export const UNIT_CODE_PATTERN = /^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[0-9A-Z]{3}$/;

export function isUnitCode(value: string): boolean {
  return UNIT_CODE_PATTERN.test(value);
}

export const ROLES = [
  'clerk',
  'drafter',
  'leader',
  'signer',
  'branch_secretary',
  'member',
  'auditor',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, { vi: string; en: string }> = {
  clerk: { vi: 'Văn thư', en: 'Clerk' },
  drafter: { vi: 'Chuyên viên', en: 'Drafter' },
  leader: { vi: 'Lãnh đạo', en: 'Leader' },
  signer: { vi: 'Người ký', en: 'Signer' },
  branch_secretary: { vi: 'Bí thư chi bộ', en: 'Branch secretary' },
  member: { vi: 'Đảng viên', en: 'Party member' },
  auditor: { vi: 'Kiểm tra', en: 'Auditor' },
  admin: { vi: 'Quản trị', en: 'Administrator' },
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/**
 * A unit's place in the tree as a materialised path of ids, `/1/5/123/`, so that
 * "everything under X" is one indexed prefix match.
 */
export function childPath(parentPath: string | null, id: number): string {
  return `${parentPath ?? '/'}${id}/`;
}

export function isWithin(path: string, ancestorPath: string): boolean {
  return path.startsWith(ancestorPath);
}

/**
 * How a unit appears in a Party document's header: the line above it names the Party
 * organisation (đảng bộ) it belongs to, the line below is the issuing body itself
 * (Hướng dẫn 36-HD/VPTW): "ĐẢNG BỘ THÀNH PHỐ HÀ NỘI / QUẬN ỦY BA ĐÌNH". A provincial
 * committee names its own đảng bộ above and only its kind below ("THÀNH ỦY").
 */
const COMMITTEE_TO_PARTY_BODY: ReadonlyArray<[RegExp, string]> = [
  [/^Thành ủy (.+)$/u, 'Đảng bộ thành phố $1'],
  [/^Tỉnh ủy (.+)$/u, 'Đảng bộ tỉnh $1'],
  [/^Quận ủy (.+)$/u, 'Đảng bộ quận $1'],
  [/^Huyện ủy (.+)$/u, 'Đảng bộ huyện $1'],
  [/^Thị ủy (.+)$/u, 'Đảng bộ thị xã $1'],
  [/^Đảng ủy (.+)$/u, 'Đảng bộ $1'],
];

export function partyBodyOf(unitName: string): string {
  for (const [pattern, replacement] of COMMITTEE_TO_PARTY_BODY) {
    if (pattern.test(unitName)) return unitName.replace(pattern, replacement);
  }
  return unitName;
}

/** The locality a unit is named after ("Quận ủy Ba Đình" → "Ba Đình"), or null for a branch. */
export function localityOf(unitName: string): string | null {
  const match = /^(?:Thành ủy|Tỉnh ủy|Quận ủy|Huyện ủy|Thị ủy|Đảng ủy (?:phường|xã|thị trấn)) (.+)$/u.exec(
    unitName,
  );
  return match?.[1] ?? null;
}

export interface HeaderUnit {
  name: string;
  kind: UnitKind;
}

/** The two header lines and the place name of a document issued by `unit` (ancestors nearest first). */
export function documentHeader(
  unit: HeaderUnit,
  ancestors: readonly HeaderUnit[],
): { superior: string; issuer: string; place: string } {
  const parent = ancestors[0];
  const locality = localityOf(unit.name);
  const issuer =
    unit.kind === 'provincial' && locality ? unit.name.slice(0, -locality.length).trim() : unit.name;
  const superior = unit.kind === 'provincial' || !parent ? partyBodyOf(unit.name) : partyBodyOf(parent.name);
  const place =
    [unit, ...ancestors]
      .map((u) => (u.kind === 'bloc' ? null : localityOf(u.name)))
      .find((p) => p !== null) ?? '';
  return { superior, issuer, place };
}

/** The body signed for under T/M: the standing committee, the committee, or the branch. */
export function collectiveOf(kind: UnitKind): string {
  if (kind === 'grassroots') return 'Đảng ủy';
  if (kind === 'branch') return 'Chi bộ';
  return 'Ban Thường vụ';
}
