/**
 * Through the pages in headless Chromium: signing and sealing with a USB token in two
 * steps (the test plays the token with the same keys, signing exactly the bytes the page
 * hands out); the public "verify a PDF" page judging the issued PDF valid and a tampered
 * copy invalid, without signing in; the public page the QR code opens (`/v/<id>`); the
 * first sign-in with an activation code; and a signed-out visitor sent to sign in and back.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { type StoredKey, withStoredKey } from '../../api/signing';
import { DEMO_PASSWORD } from '../../db/seed';
import { ApiClient } from '../support/http';
import { expectOk, type Office, officeOf, unitId, waitForStatus } from '../support/lifecycle';
import type { TestSystem } from '../support/system';
import { fitsWidth, PHONE, screenshot, signIn, unlabelledControls } from './browser';
import { browserSuite } from './suite';

async function keyOf(system: TestSystem, where: string, id: number): Promise<StoredKey> {
  const [key] = await system.sequelize.query<StoredKey>(
    `SELECT id, kind, label, certificate, chain, encrypted_key, pkcs11 FROM signing_key
      WHERE ${where} = $1 AND active ORDER BY id DESC LIMIT 1`,
    { bind: [id], type: QueryTypes.SELECT },
  );
  if (!key) throw new Error(`no key for ${where} ${id}`);
  return key;
}

/** What a token does: sign the bytes handed out (base64) with its key; answers base64. */
async function tokenSigns(key: StoredKey, toBeSigned: string): Promise<string> {
  const value = await withStoredKey(key, DEMO_PASSWORD, (signer) =>
    signer.sign(Buffer.from(toBeSigned, 'base64')),
  );
  return Buffer.from(value).toString('base64');
}

describe('web: token signing, public verification, first sign-in', function () {
  this.timeout(180_000);
  const web = browserSuite();
  let office: Office;
  const subject = `Thông báo lịch tiếp công dân của Thường trực Quận ủy quý IV (${randomUUID().slice(0, 8)})`;
  let documentId = '';
  let issuedPdf: Uint8Array;

  before(async () => {
    office = await officeOf(web.system, 'hoankiem');
  });

  it('the leader signs and the clerk seals with a token, in two steps each', async () => {
    const district = await unitId(web.system, 'Quận ủy Hoàn Kiếm');
    const created = expectOk(
      await office.drafter.post<{ id: string }>('/api/v1/documents', {
        type: 'TB',
        subject,
        body: ['Thường trực Quận ủy thông báo lịch tiếp công dân như sau.'],
        recipients: [{ kind: 'units_under', unitId: district, unitKind: 'grassroots' }],
        signer: { personId: office.signerId },
      }),
      'create',
    );
    documentId = created.id;
    expectOk(await office.drafter.post(`/api/v1/documents/${documentId}/submit`, { version: 1 }), 'submit');
    expectOk(
      await office.signer.post(`/api/v1/documents/${documentId}/decision`, {
        decision: 'approve',
        version: 1,
      }),
      'approve',
    );

    const leaderKey = await keyOf(web.system, 'person_id', office.signerId);
    const leader = await web.person();
    await signIn(leader, 'bithu.hoankiem');
    const { page } = leader;
    await page.goto(`/documents/${documentId}/sign`);
    await page.getByText('Ký bằng USB token (hai bước)').click();
    await page.getByLabel('Chứng thư số').fill(leaderKey.certificate.toString('base64'));
    await page
      .getByLabel('Chứng thư trung gian (không bắt buộc)')
      .fill(leaderKey.chain.map((c) => c.toString('base64')).join('\n\n'));
    await page.getByRole('button', { name: 'Lấy dữ liệu cần ký' }).click();
    const toBeSigned = await page.locator('#token-tbs').inputValue();
    expect(toBeSigned).to.match(/^[A-Za-z0-9+/]+=*$/);
    expect(await page.locator('#token-digest').inputValue()).to.match(/^[A-Za-z0-9+/]{43}=$/);
    expect(await unlabelledControls(page)).to.deep.equal([]);
    await screenshot(page, 'sign-token');
    // A value that is not the token's signature is refused; the right one is embedded.
    await page.getByLabel('Giá trị chữ ký (base64)').fill(Buffer.alloc(64, 7).toString('base64'));
    await page.getByRole('button', { name: 'Hoàn tất ký' }).click();
    await page.locator('.two-phase [role="alert"]').first().waitFor();
    await page.getByLabel('Giá trị chữ ký (base64)').fill(await tokenSigns(leaderKey, toBeSigned));
    await page.getByRole('button', { name: 'Hoàn tất ký' }).click();
    await page.getByText('Đã ký văn bản.').waitFor({ timeout: 60_000 });

    const sealKey = await keyOf(web.system, 'unit_id', await unitId(web.system, 'Quận ủy Hoàn Kiếm'));
    const clerk = await web.person();
    await signIn(clerk, 'vanthu.hoankiem');
    await clerk.page.goto(`/documents/${documentId}/issue`);
    await clerk.page.getByText('Đóng dấu bằng USB token (hai bước)').click();
    await clerk.page.getByLabel('Chứng thư số').fill(sealKey.certificate.toString('base64'));
    await clerk.page
      .getByLabel('Chứng thư trung gian (không bắt buộc)')
      .fill(sealKey.chain.map((c) => c.toString('base64')).join('\n\n'));
    await clerk.page.getByRole('button', { name: 'Lấy dữ liệu cần ký' }).click();
    const taken = await clerk.page.locator('.two-phase .facts').textContent();
    expect(taken).to.match(/Số đã lấy\d{2,}-TB\/QU/);
    const sealBytes = await clerk.page.locator('#token-tbs').inputValue();
    await clerk.page.getByLabel('Giá trị chữ ký (base64)').fill(await tokenSigns(sealKey, sealBytes));
    await clerk.page.getByRole('button', { name: 'Hoàn tất ký' }).click();
    await clerk.page.locator('[data-issued-number]').waitFor({ timeout: 60_000 });
    await waitForStatus(office.clerk, documentId, 'dispatched');
    const pdf = await office.clerk.get<Uint8Array>(`/api/v1/documents/${documentId}/pdf`);
    expect(pdf.status).to.equal(200);
    issuedPdf = pdf.body;
  });

  it('the public verify page judges the issued PDF valid and a tampered copy invalid, without signing in', async () => {
    const anyone = await web.person();
    const { page } = anyone;
    await page.goto('/verify');
    await page.getByRole('heading', { name: 'Xác thực chữ ký số của văn bản PDF' }).waitFor();
    expect(await unlabelledControls(page)).to.deep.equal([]);
    await page
      .locator('#verify-file')
      .setInputFiles({ name: 'van-ban.pdf', mimeType: 'application/pdf', buffer: Buffer.from(issuedPdf) });
    const report = page.locator('#result .signature-report');
    await report.waitFor({ timeout: 60_000 });
    expect(await report.getAttribute('data-verdict')).to.equal('valid');
    await page.locator('#result').getByText(subject).waitFor();
    expect(await page.locator('#result .signature').count()).to.be.greaterThanOrEqual(2);
    await screenshot(page, 'verify-valid', { fullPage: true });

    // One byte changed inside the signed part of the file.
    const tampered = Buffer.from(issuedPdf);
    const at = tampered.indexOf('/Type /Page') + 3;
    tampered[at] = tampered[at]! ^ 0x01;
    await page
      .locator('#verify-file')
      .setInputFiles({ name: 'sua-doi.pdf', mimeType: 'application/pdf', buffer: tampered });
    await page.locator('#result .signature-report[data-verdict="invalid"]').waitFor({ timeout: 60_000 });
    await page
      .locator('#result')
      .getByText('Tệp không trùng với văn bản nào đã phát hành trong hệ thống.')
      .waitFor();
    await page.locator('#result .signature').first().getByText('Không hợp lệ').waitFor();
    await screenshot(page, 'verify-tampered', { fullPage: true });

    // Not a PDF at all: said so at once, nothing sent.
    await page
      .locator('#verify-file')
      .setInputFiles({ name: 'ghi-chu.txt', mimeType: 'text/plain', buffer: Buffer.from('xin chào') });
    await page.getByText('Đây không phải tệp PDF.').waitFor();
  });

  it('the page the QR code opens shows the issued document and its signatures, on a phone, without signing in', async () => {
    const anyone = await web.person(PHONE);
    const { page } = anyone;
    await page.goto(`/v/${documentId}`);
    await page.getByText(subject).waitFor();
    const facts = await page.locator('#document .facts').textContent();
    expect(facts).to.include('Quận ủy Hoàn Kiếm');
    expect(facts).to.match(/Số, ký hiệu\d{2,}-TB\/QU/);
    expect(facts).to.match(/Ngày ban hành\d{2}\/\d{2}\/\d{4}/);
    await page.locator('#signatures .signature-report[data-verdict="valid"]').waitFor({ timeout: 60_000 });
    expect(await fitsWidth(page)).to.equal(true);
    await screenshot(page, 'public-document-phone', { fullPage: true });

    await page.goto(`/v/${randomUUID()}`);
    await page.locator('.banner-error').getByText('Không tìm thấy (not found)').waitFor();
  });

  it('a new account signs in the first time with its activation code; a signed-out visitor is sent to sign in and back', async () => {
    const username = `dangvien.moi.${randomUUID().slice(0, 6)}`;
    const [row] = await web.system.sequelize.query<{ id: number }>(
      `INSERT INTO person (username, full_name, home_unit_id)
       VALUES ($1, 'Lê Thị Mới', (SELECT id FROM org_unit WHERE name = 'Quận ủy Hoàn Kiếm')) RETURNING id`,
      { bind: [username], type: QueryTypes.SELECT },
    );
    await web.system.sequelize.query(
      `INSERT INTO role_assignment (person_id, unit_id, role, title)
       VALUES ($1, (SELECT id FROM org_unit WHERE name = 'Quận ủy Hoàn Kiếm'), 'drafter', 'Chuyên viên')`,
      { bind: [row!.id] },
    );
    const admin = await new ApiClient(web.system.baseUrl).signIn('quantri');
    const { code } = expectOk(
      await admin.post<{ code: string }>(`/api/v1/admin/people/${row!.id}/activation-code`, {}),
      'activation code',
    );

    const newcomer = await web.person();
    const { page } = newcomer;
    await page.goto(`/documents/${documentId}`);
    await page.waitForURL(/\/sign-in\?next=/);
    await page.getByRole('button', { name: 'Đăng nhập lần đầu bằng mã kích hoạt' }).click();
    await page.getByLabel('Tên đăng nhập').fill(username);
    await page.getByLabel('Mã kích hoạt').fill(code);
    await page.locator('#act-password').fill('một mật khẩu mới đủ dài');
    await page.getByLabel('Nhập lại mật khẩu mới').fill('một mật khẩu khác hẳn');
    await page.getByRole('button', { name: 'Kích hoạt và đăng nhập' }).click();
    await page.locator('#act-repeat-error').getByText('Hai mật khẩu không khớp nhau').waitFor();
    expect(await unlabelledControls(page)).to.deep.equal([]);
    await page.getByLabel('Nhập lại mật khẩu mới').fill('một mật khẩu mới đủ dài');
    await page.getByRole('button', { name: 'Kích hoạt và đăng nhập' }).click();
    // Back where the visitor was going: the district's document, now readable.
    await page.waitForURL(`**/documents/${documentId}`);
    await page.getByRole('heading', { name: new RegExp(subject.slice(0, 30)) }).waitFor();
    await page.getByRole('button', { name: 'Đăng xuất' }).click();
    await page.waitForURL(/\/sign-in/);
    expect(
      (await new ApiClient(web.system.baseUrl).signIn(username, 'một mật khẩu mới đủ dài')).csrf,
    ).to.be.a('string');
  });
});
