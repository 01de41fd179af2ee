/**
 * A deterministic plan of an organisation: units, people and the roles they hold.
 * The same scale always yields the same rows (a seeded PRNG, no clock, no randomness),
 * so a seeded city can be rebuilt and compared.
 *
 * `city` mirrors the Hà Nội Party organisation the offices described: 1 city committee,
 * 30 district committees and 2 bloc committees, 579 grassroots committees, 16,000
 * branches and about 470,000 members. `demo` is a small tree with readable user names.
 */
import type { Role, UnitKind } from '../../domain/org';

export interface PlannedUnit {
  id: number;
  code: string;
  name: string;
  abbreviation: string;
  kind: UnitKind;
  parentId: number | null;
  path: string;
  /** ASCII slug used in staff user names. */
  slug: string;
}

export interface PlannedPerson {
  id: number;
  username: string;
  fullName: string;
  homeUnitId: number;
  /** Staff in the demo get the demo password; everyone else signs in first time later. */
  staff: boolean;
}

export interface PlannedRole {
  personId: number;
  unitId: number;
  role: Role;
  title: string | null;
}

export interface OrganisationPlan {
  units: PlannedUnit[];
  people: PlannedPerson[];
  roles: PlannedRole[];
}

export type SeedScale = 'demo' | 'city';

/** Mulberry32: tiny, fast, and the same sequence on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAMILY = [
  'Nguyễn',
  'Trần',
  'Lê',
  'Phạm',
  'Hoàng',
  'Huỳnh',
  'Phan',
  'Vũ',
  'Võ',
  'Đặng',
  'Bùi',
  'Đỗ',
  'Hồ',
  'Ngô',
  'Dương',
  'Lý',
  'Đinh',
  'Trịnh',
  'Lương',
  'Mai',
];
const MIDDLE = [
  'Văn',
  'Thị',
  'Đức',
  'Minh',
  'Thu',
  'Ngọc',
  'Hữu',
  'Quang',
  'Thanh',
  'Xuân',
  'Hồng',
  'Kim',
  'Thế',
  'Anh',
  'Bảo',
  'Diệu',
  'Gia',
  'Khánh',
];
const GIVEN = [
  'An',
  'Bình',
  'Cường',
  'Dũng',
  'Giang',
  'Hà',
  'Hải',
  'Hạnh',
  'Hòa',
  'Hùng',
  'Hương',
  'Huyền',
  'Khoa',
  'Lan',
  'Linh',
  'Long',
  'Mai',
  'Minh',
  'Nam',
  'Nga',
  'Nghĩa',
  'Ngọc',
  'Nhung',
  'Phúc',
  'Phương',
  'Quân',
  'Quý',
  'Sơn',
  'Tâm',
  'Thảo',
  'Thắng',
  'Thủy',
  'Trang',
  'Trung',
  'Tuấn',
  'Tùng',
  'Vân',
  'Việt',
  'Yến',
  'Ánh',
  'Đạt',
  'Ước',
];

/** Hà Nội's 30 district-level units: [name, kind word, abbreviation]. */
const HANOI_DISTRICTS: ReadonlyArray<[string, 'Quận ủy' | 'Huyện ủy' | 'Thị ủy', string]> = [
  ['Ba Đình', 'Quận ủy', 'QU'],
  ['Hoàn Kiếm', 'Quận ủy', 'QU'],
  ['Tây Hồ', 'Quận ủy', 'QU'],
  ['Long Biên', 'Quận ủy', 'QU'],
  ['Cầu Giấy', 'Quận ủy', 'QU'],
  ['Đống Đa', 'Quận ủy', 'QU'],
  ['Hai Bà Trưng', 'Quận ủy', 'QU'],
  ['Hoàng Mai', 'Quận ủy', 'QU'],
  ['Thanh Xuân', 'Quận ủy', 'QU'],
  ['Nam Từ Liêm', 'Quận ủy', 'QU'],
  ['Bắc Từ Liêm', 'Quận ủy', 'QU'],
  ['Hà Đông', 'Quận ủy', 'QU'],
  ['Sơn Tây', 'Thị ủy', 'TU'],
  ['Ba Vì', 'Huyện ủy', 'HU'],
  ['Phúc Thọ', 'Huyện ủy', 'HU'],
  ['Đan Phượng', 'Huyện ủy', 'HU'],
  ['Hoài Đức', 'Huyện ủy', 'HU'],
  ['Quốc Oai', 'Huyện ủy', 'HU'],
  ['Thạch Thất', 'Huyện ủy', 'HU'],
  ['Chương Mỹ', 'Huyện ủy', 'HU'],
  ['Thanh Oai', 'Huyện ủy', 'HU'],
  ['Thường Tín', 'Huyện ủy', 'HU'],
  ['Phú Xuyên', 'Huyện ủy', 'HU'],
  ['Ứng Hòa', 'Huyện ủy', 'HU'],
  ['Mỹ Đức', 'Huyện ủy', 'HU'],
  ['Sóc Sơn', 'Huyện ủy', 'HU'],
  ['Đông Anh', 'Huyện ủy', 'HU'],
  ['Gia Lâm', 'Huyện ủy', 'HU'],
  ['Mê Linh', 'Huyện ủy', 'HU'],
  ['Thanh Trì', 'Huyện ủy', 'HU'],
];
const BLOCS = ['Khối các cơ quan Thành phố', 'Khối Doanh nghiệp Thành phố'];
const PLACE_NAMES = [
  'Phúc Xá',
  'Trúc Bạch',
  'Vĩnh Phúc',
  'Cống Vị',
  'Liễu Giai',
  'Ngọc Hà',
  'Đội Cấn',
  'Quán Thánh',
  'Kim Mã',
  'Giảng Võ',
  'Thành Công',
  'Điện Biên',
  'Ngọc Khánh',
  'Hàng Bạc',
  'Tràng Tiền',
  'Yên Phụ',
  'Nhật Tân',
  'Bồ Đề',
  'Gia Thụy',
  'Dịch Vọng',
  'Mai Dịch',
  'Quan Hoa',
  'Láng Hạ',
  'Ô Chợ Dừa',
  'Văn Miếu',
  'Bạch Mai',
  'Minh Khai',
  'Tương Mai',
  'Định Công',
  'Khương Trung',
  'Mỹ Đình',
  'Cổ Nhuế',
  'Xuân Đỉnh',
  'Văn Quán',
  'Yết Kiêu',
  'Trung Hưng',
  'Tản Lĩnh',
  'Vân Hà',
  'Liên Hà',
  'Kim Chung',
  'Tiên Dương',
  'Bát Tràng',
  'Đa Tốn',
  'Tam Hiệp',
  'Tứ Hiệp',
  'Minh Phú',
  'Phù Linh',
  'Đại Thịnh',
  'Tiền Phong',
  'Hữu Văn',
  'Phú Nghĩa',
  'Bình Minh',
  'Cự Khê',
  'Hồng Vân',
  'Tân Minh',
  'Phượng Dực',
  'Viên An',
  'Hương Sơn',
  'An Khánh',
  'Sài Sơn',
];

const CITY = { districts: 30, blocs: 2, grassroots: 579, branches: 16_000, members: 470_000 };

function slugify(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

/** 13-character unit code, read right to left: city, district, grassroots, branch. */
function unitCode(district: number, grassroots: number, branch: number): string {
  const b36 = (n: number, width: number) => n.toString(36).toUpperCase().padStart(width, '0');
  return `${b36(branch, 3)}.${b36(grassroots, 2)}.${b36(district, 2)}.H01`;
}

/** Splits `total` into `parts` whole numbers that differ by at most one. */
function spread(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0));
}

interface ScaleShape {
  districts: number;
  blocs: number;
  grassrootsPerDistrict: number[];
  branchesPerGrassroots: (grassrootsIndex: number) => number;
  branchesPerBloc: number;
  membersPerBranch: (branchIndex: number) => number;
  prettyNames: boolean;
}

function shapeFor(scale: SeedScale): ScaleShape {
  if (scale === 'demo') {
    return {
      districts: 2,
      blocs: 1,
      grassrootsPerDistrict: [2, 2],
      branchesPerGrassroots: () => 3,
      branchesPerBloc: 2,
      membersPerBranch: () => 5,
      prettyNames: true,
    };
  }
  const blocBranches = 200;
  const geographicBranches = spread(CITY.branches - CITY.blocs * blocBranches, CITY.grassroots);
  const members = spread(CITY.members, CITY.branches);
  return {
    districts: CITY.districts,
    blocs: CITY.blocs,
    grassrootsPerDistrict: spread(CITY.grassroots, CITY.districts),
    branchesPerGrassroots: (i) => geographicBranches[i]!,
    branchesPerBloc: blocBranches,
    // Even spread, then a deterministic wobble that keeps the total exact: pairs of
    // neighbouring branches trade members.
    membersPerBranch: (i) => {
      const wobble = Math.floor(prng(i >> 1)() * 12);
      return members[i]! + (i % 2 === 0 ? wobble : -wobble);
    },
    prettyNames: false,
  };
}

export function planOrganisation(scale: SeedScale): OrganisationPlan {
  const shape = shapeFor(scale);
  const random = prng(scale === 'city' ? 470_000 : 2026);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const fullName = (): string => `${pick(FAMILY)} ${pick(MIDDLE)} ${pick(GIVEN)}`;

  const units: PlannedUnit[] = [];
  const people: PlannedPerson[] = [];
  const roles: PlannedRole[] = [];
  let nextPerson = 1;

  const addUnit = (unit: Omit<PlannedUnit, 'id' | 'path'>, parent: PlannedUnit | null): PlannedUnit => {
    const id = units.length + 1;
    const planned = { ...unit, id, path: `${parent?.path ?? '/'}${id}/` };
    units.push(planned);
    return planned;
  };
  const addPerson = (username: string, homeUnitId: number, staff: boolean): number => {
    const id = nextPerson++;
    people.push({ id, username, fullName: fullName(), homeUnitId, staff });
    return id;
  };
  const slugFor = (unit: PlannedUnit): string => (shape.prettyNames ? unit.slug : `u${unit.id}`);
  /** The office of a committee: clerk, drafter, secretary and deputy (both sign). */
  const staffCommittee = (unit: PlannedUnit, full: boolean): void => {
    const slug = slugFor(unit);
    const clerk = addPerson(`vanthu.${slug}`, unit.id, true);
    roles.push({ personId: clerk, unitId: unit.id, role: 'clerk', title: 'Văn thư' });
    const drafter = addPerson(`chuyenvien.${slug}`, unit.id, true);
    roles.push({ personId: drafter, unitId: unit.id, role: 'drafter', title: 'Chuyên viên' });
    const secretary = addPerson(`bithu.${slug}`, unit.id, true);
    roles.push({ personId: secretary, unitId: unit.id, role: 'leader', title: 'Bí thư' });
    roles.push({ personId: secretary, unitId: unit.id, role: 'signer', title: 'Bí thư' });
    const deputy = addPerson(`phobithu.${slug}`, unit.id, true);
    roles.push({ personId: deputy, unitId: unit.id, role: 'leader', title: 'Phó Bí thư' });
    roles.push({ personId: deputy, unitId: unit.id, role: 'signer', title: 'Phó Bí thư' });
    if (full) {
      const chief = addPerson(`chanhvanphong.${slug}`, unit.id, true);
      roles.push({ personId: chief, unitId: unit.id, role: 'leader', title: 'Chánh Văn phòng' });
      const auditor = addPerson(`kiemtra.${slug}`, unit.id, true);
      roles.push({ personId: auditor, unitId: unit.id, role: 'auditor', title: 'Ủy ban Kiểm tra' });
    }
  };

  const city = addUnit(
    {
      code: unitCode(0, 0, 0),
      name: 'Thành ủy Hà Nội',
      abbreviation: 'TU',
      kind: 'provincial',
      parentId: null,
      slug: 'tu',
    },
    null,
  );
  staffCommittee(city, true);
  const admin = addPerson('quantri', city.id, true);
  roles.push({ personId: admin, unitId: city.id, role: 'admin', title: 'Quản trị hệ thống' });

  let branchIndex = 0;
  let memberIndex = 0;
  const addBranch = (parent: PlannedUnit, name: string, code: string, slug: string): void => {
    const branch = addUnit(
      { code, name, abbreviation: 'CB', kind: 'branch', parentId: parent.id, slug },
      parent,
    );
    const count = shape.membersPerBranch(branchIndex++);
    for (let m = 0; m < count; m++) {
      memberIndex += 1;
      const username = shape.prettyNames
        ? `dangvien.${slugFor(branch)}.${m + 1}`
        : `dv${String(memberIndex).padStart(7, '0')}`;
      const person = addPerson(username, branch.id, shape.prettyNames);
      roles.push({ personId: person, unitId: branch.id, role: 'member', title: null });
      if (m === 0)
        roles.push({ personId: person, unitId: branch.id, role: 'branch_secretary', title: 'Bí thư chi bộ' });
    }
  };

  let grassrootsIndex = 0;
  for (let d = 0; d < shape.districts; d++) {
    const [districtName, word, abbreviation] = HANOI_DISTRICTS[d]!;
    const district = addUnit(
      {
        code: unitCode(d + 1, 0, 0),
        name: `${word} ${districtName}`,
        abbreviation,
        kind: 'district',
        parentId: city.id,
        slug: slugify(districtName),
      },
      city,
    );
    staffCommittee(district, true);
    const urban = word === 'Quận ủy';
    for (let g = 0; g < shape.grassrootsPerDistrict[d]!; g++) {
      const place = PLACE_NAMES[(grassrootsIndex * 7 + g) % PLACE_NAMES.length]!;
      const grassroots = addUnit(
        {
          code: unitCode(d + 1, g + 1, 0),
          name: `Đảng ủy ${urban ? 'phường' : 'xã'} ${place}`,
          abbreviation: 'ĐU',
          kind: 'grassroots',
          parentId: district.id,
          slug: slugify(place),
        },
        district,
      );
      staffCommittee(grassroots, false);
      const branches = shape.branchesPerGrassroots(grassrootsIndex);
      for (let b = 0; b < branches; b++) {
        const name = urban ? `Chi bộ Tổ dân phố số ${b + 1}` : `Chi bộ thôn số ${b + 1}`;
        addBranch(grassroots, name, unitCode(d + 1, g + 1, b + 1), `${slugify(place)}${b + 1}`);
      }
      grassrootsIndex += 1;
    }
  }
  for (let k = 0; k < shape.blocs; k++) {
    const blocNumber = shape.districts + k + 1;
    const bloc = addUnit(
      {
        code: unitCode(blocNumber, 0, 0),
        name: `Đảng ủy ${BLOCS[k]}`,
        abbreviation: 'ĐU',
        kind: 'bloc',
        parentId: city.id,
        slug: k === 0 ? 'khoicoquan' : 'khoidoanhnghiep',
      },
      city,
    );
    staffCommittee(bloc, true);
    for (let b = 0; b < shape.branchesPerBloc; b++) {
      addBranch(bloc, `Chi bộ cơ quan số ${b + 1}`, unitCode(blocNumber, 0, b + 1), `${bloc.slug}${b + 1}`);
    }
  }
  return { units, people, roles };
}
