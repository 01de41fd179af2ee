import { expect } from 'chai';
import { auditEntryHash, GENESIS_HASH } from '../../domain/audit-chain';
import { contentHash } from '../../domain/content-hash';
import { canonicalJson, refuseSecret } from '../../domain/document';
import { DEFAULT_DOCUMENT_TYPES, DocumentTypeTable } from '../../domain/document-types';
import { collectiveOf, documentHeader, isUnitCode, mayHaveParent } from '../../domain/org';

describe('domain/document', () => {
  it('refuses every secrecy grade, however it is written', () => {
    for (const grade of ['mật', 'Mật', 'MẬT', 'tối mật', 'Tuyệt mật', 'toi_mat', 'tuyet_mat', 'mat']) {
      expect(() => refuseSecret(grade), grade).to.throw(/không được đưa vào hệ thống mạng/);
    }
    // NFD input (decomposed diacritics, as some keyboards send) is caught too.
    expect(() => refuseSecret('tối mật'.normalize('NFD'))).to.throw(/secret documents/);
  });

  it('lets ordinary documents through and rejects unknown grades', () => {
    for (const none of [undefined, null, '', 'không', 'thường'])
      expect(() => refuseSecret(none)).not.to.throw();
    expect(() => refuseSecret('hơi mật')).to.throw(/unknown secrecy grade/);
  });

  it('hashes equal content equally, whatever the key order or Unicode form', () => {
    const a = contentHash({ subject: 'Chỉ thị', body: ['Điều 1.'] });
    const b = JSON.parse('{"body":["Điều 1."],"subject":"Chỉ thị"}');
    expect(contentHash(b)).to.equal(a);
    expect(contentHash({ subject: 'Chỉ thị'.normalize('NFD'), body: ['Điều 1.'] })).to.equal(a);
    expect(contentHash({ subject: 'Chỉ thị', body: ['Điều 2.'] })).not.to.equal(a);
    expect(canonicalJson({ b: 1, a: [true, null] })).to.equal('{"a":[true,null],"b":1}');
  });

  it('chains audit hashes so that changing any field or the order changes the hash', () => {
    const entry = {
      chain: 3,
      seq: 1,
      at: '2026-11-22T10:00:00.000Z',
      actorPersonId: 3,
      actorUnitId: 1,
      source: '127.0.0.1',
      action: 'document.created',
      documentId: null,
      versionSha256: null,
      detail: { version: 1 },
      idempotencyKey: null,
    };
    const first = auditEntryHash(entry, GENESIS_HASH);
    expect(first).to.match(/^[0-9a-f]{64}$/);
    expect(auditEntryHash({ ...entry, actorPersonId: 4 }, GENESIS_HASH)).not.to.equal(first);
    expect(auditEntryHash(entry, first)).not.to.equal(first);
  });
});

describe('domain/document-types and org', () => {
  it('knows the Party abbreviations from the table, not from code', () => {
    const table = new DocumentTypeTable(DEFAULT_DOCUMENT_TYPES);
    expect(table.get('CT').party).to.equal('CT');
    expect(table.get('QDI').party).to.equal('QĐ');
    expect(table.get('QDI').state).to.equal('QyĐ');
    expect(() => table.get('XX')).to.throw(/unknown document type "XX"/);
  });

  it('accepts national-style 13-character unit codes only', () => {
    expect(isUnitCode('000.00.12.A01')).to.equal(true);
    for (const bad of ['000.00.12.A0', '000-00-12-A01', '000.00.12.a01', '0000.0.12.A01'])
      expect(isUnitCode(bad)).to.equal(false);
  });

  it('places branches under grassroots or district-level committees only', () => {
    expect(mayHaveParent('branch', 'grassroots')).to.equal(true);
    expect(mayHaveParent('branch', 'bloc')).to.equal(true);
    expect(mayHaveParent('branch', 'provincial')).to.equal(false);
    expect(mayHaveParent('provincial', null)).to.equal(true);
    expect(mayHaveParent('district', null)).to.equal(false);
  });
});

describe('domain/org: document headers', () => {
  it('names the đảng bộ above and the issuing body below, and the place', () => {
    const city = { name: 'Thành ủy Hà Nội', kind: 'provincial' as const };
    const district = { name: 'Quận ủy Ba Đình', kind: 'district' as const };
    const ward = { name: 'Đảng ủy phường Phúc Xá', kind: 'grassroots' as const };
    const branch = { name: 'Chi bộ Tổ dân phố số 1', kind: 'branch' as const };
    const bloc = { name: 'Đảng ủy Khối các cơ quan Thành phố', kind: 'bloc' as const };
    expect(documentHeader(city, [])).to.deep.equal({
      superior: 'Đảng bộ thành phố Hà Nội',
      issuer: 'Thành ủy',
      place: 'Hà Nội',
    });
    expect(documentHeader(district, [city])).to.deep.equal({
      superior: 'Đảng bộ thành phố Hà Nội',
      issuer: 'Quận ủy Ba Đình',
      place: 'Ba Đình',
    });
    expect(documentHeader(branch, [ward, district, city])).to.deep.equal({
      superior: 'Đảng bộ phường Phúc Xá',
      issuer: 'Chi bộ Tổ dân phố số 1',
      place: 'Phúc Xá',
    });
    expect(documentHeader(bloc, [city]).place).to.equal('Hà Nội');
    expect(collectiveOf('grassroots')).to.equal('Đảng ủy');
  });
});
