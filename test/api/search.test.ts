import { expect } from 'chai';
import { ApiClient } from '../support/http';
import { expectOk, issueDocument, officeOf, unitId } from '../support/lifecycle';
import { type TestSystem, testSystem } from '../support/system';

interface Page {
  items: Array<{ id: string; number: string | null; subject: string; issuer: { name: string } }>;
  nextCursor: string | null;
}

describe('api: searching documents', function () {
  this.timeout(120_000);
  let system: TestSystem;
  let office: Awaited<ReturnType<typeof officeOf>>;
  let issued: { id: string; number?: string };
  let draftId: string;

  before(async () => {
    system = await testSystem();
    office = await officeOf(system, 'hoankiem');
    issued = await issueDocument(office, {
      type: 'CT',
      subject: 'Chỉ thị về tăng cường phòng, chống tham nhũng, tiêu cực',
      recipients: [
        { kind: 'units_under', unitId: await unitId(system, 'Quận ủy Hoàn Kiếm'), unitKind: 'grassroots' },
      ],
    });
    draftId = expectOk(
      await office.drafter.post<{ id: string }>('/api/v1/documents', {
        type: 'KH',
        subject: 'Kế hoạch tổ chức Đại hội đảng viên',
        body: ['Mục đích, yêu cầu.'],
      }),
      'draft',
    ).id;
  });

  const find = async (client: ApiClient, query: Record<string, string>) =>
    expectOk(await client.get<Page>(`/api/v1/documents?${new URLSearchParams(query)}`), 'search').items.map(
      (i) => i.id,
    );

  it('finds subject words with or without diacritics', async () => {
    for (const q of ['chỉ thị tham nhũng', 'chi thi tham nhung', 'CHỈ THỊ', 'phong, chong']) {
      expect(await find(office.clerk, { q }), q).to.include(issued.id);
    }
    expect(await find(office.clerk, { q: 'dai hoi dang vien' })).to.deep.equal([draftId]);
    expect(await find(office.clerk, { q: 'tham nhũng đại hội' })).to.deep.equal([]);
  });

  it('filters by number, type, status, issuer and dates', async () => {
    expect(issued.number).to.match(/-CT\/QU$/);
    expect(await find(office.clerk, { number: issued.number! })).to.deep.equal([issued.id]);
    expect(await find(office.clerk, { type: 'KH' })).to.include(draftId);
    expect(await find(office.clerk, { type: 'KH' })).not.to.include(issued.id);
    expect(await find(office.clerk, { status: 'dispatched', q: 'tham nhung' })).to.deep.equal([issued.id]);
    const today = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    expect(await find(office.clerk, { from: today, to: today, q: 'tham nhung' })).to.deep.equal([issued.id]);
    expect(await find(office.clerk, { to: '2020-01-01' })).to.deep.equal([]);
    const city = await unitId(system, 'Thành ủy Hà Nội');
    const cityClerk = await new ApiClient(system.baseUrl).signIn('vanthu.tu');
    expect(
      await find(cityClerk, { issuerId: String(await unitId(system, 'Quận ủy Hoàn Kiếm')), q: 'tham nhung' }),
    ).to.deep.equal([issued.id]);
    expect(await find(cityClerk, { issuerId: String(city), q: 'tham nhung' })).to.deep.equal([issued.id]);
  });

  it("shows recipients what they received, and nobody another unit's drafts", async () => {
    const other = await officeOf(system, 'badinh');
    expect(await find(other.clerk, { q: 'tham nhung' })).to.deep.equal([]);
    expect(await find(other.clerk, { q: 'dai hoi dang vien' })).to.deep.equal([]);
    const bad = await office.clerk.get<{ field: string }>('/api/v1/documents?from=22-11-2026');
    expect(bad.status).to.equal(400);
    expect(bad.body.field).to.equal('query.from');
  });
});
