import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { CSV_BOM, csvLine } from '../../api/csv';
import { command } from '../pki/pades-judges';
import { flat, pdffonts, pdftotext, save } from '../render/tools';
import { ApiClient } from '../support/http';
import { expectOk, issueDocument, officeOf, unitId } from '../support/lifecycle';
import { type TestSystem, testSystem } from '../support/system';

describe('registers: a new committee term starts the outgoing numbers again from 01', function () {
  this.timeout(120_000);
  let system: TestSystem;

  before(async () => {
    system = await testSystem();
  });

  it('opens the term once, forward only, for the unit’s clerk; numbers of the old term stay', async () => {
    const bloc = await unitId(system, 'Đảng ủy Khối các cơ quan Thành phố');
    const office = await officeOf(system, 'khoicoquan');
    const recipients = [{ kind: 'units_under' as const, unitId: bloc, unitKind: 'branch' as const }];
    const sequenceOf = (number: string | undefined) => Number(/^(\d+)-TB\/ĐU$/.exec(number ?? '')?.[1]);

    const before = await issueDocument(office, { subject: 'Thông báo cuối nhiệm kỳ', recipients });
    const lastOfTerm = sequenceOf(before.number);
    expect(lastOfTerm).to.be.at.least(1);

    const path = `/api/v1/org-units/${bloc}/registers/outgoing/term`;
    // Who may: the unit's clerk; a drafter may not; another district's clerk does not see the unit.
    expect((await office.drafter.put(path, { term: '2030-2035' })).status).to.equal(403);
    const elsewhere = await new ApiClient(system.baseUrl).signIn('vanthu.badinh');
    expect((await elsewhere.put(path, { term: '2030-2035' })).status).to.equal(404);
    // What: a five-year term, and only forward.
    const sixYears = await office.clerk.put<{ field: string }>(path, { term: '2030-2036' });
    expect(sixYears.status).to.equal(400);
    expect(sixYears.body.field).to.equal('body.term');
    expect((await office.clerk.put(path, { term: 'nhiệm kỳ mới' })).status).to.equal(400);

    const opened = expectOk(
      await office.clerk.put<{ term: string; previousTerm: string; changed: boolean }>(path, {
        term: '2030-2035',
      }),
      'open term',
    );
    expect(opened).to.deep.include({ term: '2030-2035', previousTerm: '2025-2030', changed: true });
    const again = expectOk(
      await office.clerk.put<{ changed: boolean }>(path, { term: '2030-2035' }),
      'again',
    );
    expect(again.changed).to.equal(false);
    const backwards = await office.clerk.put<{ detail: string }>(path, { term: '2025-2030' });
    expect(backwards.status).to.equal(409);
    expect(backwards.body.detail).to.include('only moves forward');

    const first = await issueDocument(office, { subject: 'Thông báo đầu nhiệm kỳ', recipients });
    const second = await issueDocument(office, { subject: 'Thông báo thứ hai của nhiệm kỳ', recipients });
    expect(first.number).to.equal('01-TB/ĐU');
    expect(second.number).to.equal('02-TB/ĐU');

    const entries = await system.sequelize.query<{ period: string; sequence: number; status: string }>(
      `SELECT e.period, e.sequence, e.status FROM register_entry e JOIN register r ON r.id = e.register_id
        WHERE r.unit_id = $1 AND r.direction = 'outgoing' AND e.series = 'TB' ORDER BY e.id`,
      { bind: [bloc], type: QueryTypes.SELECT },
    );
    const old = entries.filter((e) => e.period === 'term:2025-2030');
    expect(old.map((e) => e.sequence)).to.deep.equal(Array.from({ length: lastOfTerm }, (_, i) => i + 1));
    expect(entries.filter((e) => e.period === 'term:2030-2035').map((e) => e.sequence)).to.deep.equal([1, 2]);
    const [audit] = await system.sequelize.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_event WHERE action = 'register.term_opened'
          AND detail->>'unitId' = $1::text`,
      { bind: [bloc], type: QueryTypes.SELECT },
    );
    expect(audit!.n).to.equal(1);
  });

  it('exports both registers whole as CSV for spreadsheets and as a PDF to print, judged by outside readers', async () => {
    const bloc = await unitId(system, 'Đảng ủy Khối các cơ quan Thành phố');
    const office = await officeOf(system, 'khoicoquan');
    const [branch] = await system.sequelize.query<{ id: number; username: string }>(
      `SELECT u.id, p.username FROM org_unit u JOIN role_assignment r ON r.unit_id = u.id AND r.role = 'branch_secretary'
         JOIN person p ON p.id = r.person_id, org_unit b
        WHERE b.id = $1 AND u.path LIKE b.path || '%' AND u.kind = 'branch' ORDER BY u.id LIMIT 1`,
      { bind: [bloc], type: QueryTypes.SELECT },
    );
    // Quotes, a comma and a line of its own: what CSV must carry without breaking a row.
    const subject = 'Về việc "rà soát", đối chiếu sổ đăng ký văn bản';
    const issued = await issueDocument(office, {
      subject,
      recipients: [{ kind: 'unit', unitId: branch!.id }],
    });
    const secretary = await new ApiClient(system.baseUrl).signIn(branch!.username);
    const inbox = expectOk(
      await secretary.get<{ items: Array<{ id: number; documentId: string }> }>(
        `/api/v1/org-units/${branch!.id}/inbox`,
      ),
      'inbox',
    );
    const delivery = inbox.items.find((i) => i.documentId === issued.id)!;
    const received = expectOk(
      await secretary.post<{ incomingNumber: string }>(`/api/v1/deliveries/${delivery.id}/receive`, {}),
      'receive',
    );
    const year = new Date(Date.now() + 7 * 3_600_000).getUTCFullYear();
    const dir = mkdtempSync(path.join(tmpdir(), 'vanthu-registers-'));
    try {
      // CSV: UTF-8 with a BOM, read back by Python's csv module.
      const download = async (client: ApiClient, url: string) => {
        const response = await fetch(`${system.baseUrl}${url}`, {
          headers: { cookie: client.sessionCookie! },
        });
        return { response, bytes: Buffer.from(await response.arrayBuffer()) };
      };
      const outgoing = await download(
        office.clerk,
        `/api/v1/org-units/${bloc}/registers/outgoing/csv?year=${year}`,
      );
      expect(outgoing.response.status).to.equal(200);
      expect(outgoing.response.headers.get('content-type')).to.match(/^text\/csv; charset=utf-8/);
      expect(outgoing.response.headers.get('content-disposition')).to.equal(
        `attachment; filename="so-di-${year}.csv"`,
      );
      expect([...outgoing.bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
      const rows = readCsv(dir, 'so-di.csv', outgoing.bytes);
      expect(rows[0]).to.deep.equal([
        'Số, ký hiệu văn bản',
        'Ngày tháng văn bản',
        'Tên loại và trích yếu nội dung văn bản',
        'Người ký',
        'Nơi nhận văn bản',
        'Đơn vị, người nhận bản lưu',
        'Số lượng bản',
        'Ghi chú',
      ]);
      const numbers = rows.slice(1).map((r) => r[0]);
      expect(numbers).to.include(issued.number);
      // Oldest first, as on paper: the term's 01 and 02 come before this one.
      expect(numbers.indexOf('01-TB/ĐU')).to.be.below(numbers.indexOf(issued.number!));
      const row = rows.find((r) => r[0] === issued.number)!;
      expect(row[2]).to.equal(`Thông báo ${subject}`);
      expect(row[1]).to.match(/^\d{2}\/\d{2}\/\d{4}$/);
      expect(row[6]).to.equal('1');

      const incoming = await download(secretary, `/api/v1/org-units/${branch!.id}/registers/incoming/csv`);
      expect(incoming.response.headers.get('content-disposition')).to.include('so-den-tat-ca.csv');
      const incomingRows = readCsv(dir, 'so-den.csv', incoming.bytes);
      expect(incomingRows[0]).to.have.length(9);
      expect(incomingRows[0]![1]).to.equal('Số đến');
      const entry = incomingRows.find((r) => r[3] === issued.number)!;
      expect(entry).to.include.members([
        received.incomingNumber,
        'Đảng ủy Khối các cơ quan Thành phố',
        'Đã tiếp nhận',
      ]);

      // PDF: A4 landscape, Tinos embedded, text that pdftotext reads back, sound for qpdf.
      const pdf = await download(
        office.clerk,
        `/api/v1/org-units/${bloc}/registers/outgoing/pdf?year=${year}`,
      );
      expect(pdf.response.headers.get('content-type')).to.equal('application/pdf');
      const file = save(dir, 'so-di.pdf', pdf.bytes);
      const text = flat(await pdftotext(file));
      expect(text).to.include('SỔ ĐĂNG KÝ VĂN BẢN ĐI');
      expect(text).to.include(`Đảng ủy Khối các cơ quan Thành phố — Năm ${year}`);
      expect(text).to.include(issued.number!);
      expect(text).to.include('rà soát');
      expect((await command('pdfinfo', [file])).stdout).to.match(/Page size:\s+841\.89 x 595\.28 pts/);
      expect((await command('qpdf', ['--check', file])).code).to.equal(0);
      for (const font of await pdffonts(file)) expect(font).to.include({ embedded: true, unicode: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // Who may: the staff of the unit or above; a member of the branch may not; another district does not see it.
    const member = await new ApiClient(system.baseUrl).signIn(branch!.username.replace(/\.1$/, '.2'));
    expect((await member.get(`/api/v1/org-units/${branch!.id}/registers/incoming/csv`)).status).to.equal(403);
    const elsewhere = await new ApiClient(system.baseUrl).signIn('vanthu.badinh');
    expect((await elsewhere.get(`/api/v1/org-units/${bloc}/registers/outgoing/pdf`)).status).to.equal(404);
    const badYear = await office.clerk.get<{ field: string }>(
      `/api/v1/org-units/${bloc}/registers/outgoing/csv?year=hai`,
    );
    expect(badYear.status).to.equal(400);
    expect(badYear.body.field).to.equal('query.year');
  });

  it('makes cells inert that a spreadsheet would run as formulas, and keeps every other character', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vanthu-csv-'));
    try {
      const cells = ['=HYPERLINK("http://x")', '+1', '-2', '@SUM(A1)', 'a, "b"\nc', 'Số 12-CT/TU'];
      const rows = readCsv(dir, 'cells.csv', Buffer.from(CSV_BOM + csvLine(cells) + csvLine(['x'])));
      expect(rows).to.deep.equal([
        ['\'=HYPERLINK("http://x")', "'+1", "'-2", "'@SUM(A1)", 'a, "b"\nc', 'Số 12-CT/TU'],
        ['x'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Rows of a CSV file as Python's csv module (an outside reader) reads them. */
function readCsv(dir: string, name: string, bytes: Buffer): string[][] {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  const out = execFileSync('python3', [
    '-c',
    'import csv,json,sys; print(json.dumps(list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))))',
    file,
  ]);
  return JSON.parse(out.toString('utf8')) as string[][];
}
