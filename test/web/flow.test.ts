/**
 * A directive from draft to a branch's completion, through the pages only, in headless
 * Chromium, by four people in four browser contexts: the drafter of the city committee
 * writes it (live PDF preview) and submits it; the Bí thư approves and signs it with his
 * passphrase; the clerk issues it with the number the register forecast and follows the
 * dispatch down to the branches; the secretary of a branch, on a phone, receives it
 * (numbered in the branch's incoming register) and completes it. Then the dispatch page
 * shows the completion, the signature panel shows two valid signatures, and the pages
 * speak English on request.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { QueryTypes } from 'sequelize';
import { ApiClient } from '../support/http';
import { expectOk } from '../support/lifecycle';
import { fitsWidth, type Person, PHONE, screenshot, signIn, unlabelledControls } from './browser';
import { browserSuite, vietnamDay } from './suite';

/** How many dark pixels the canvases inside `selector` hold: a drawn page has thousands. */
function inkOn(page: Page, selector: string): Promise<number> {
  // Evaluated in the page (a string: the tests compile without the DOM library).
  return page.evaluate<number>(`(() => {
    let ink = 0;
    for (const canvas of document.querySelectorAll(${JSON.stringify(`${selector} canvas`)})) {
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < data.length; i += 4) if (data[i] < 128 && data[i + 1] < 128 && data[i + 2] < 128) ink++;
    }
    return ink;
  })()`);
}

describe('web: a directive from draft to a branch’s completion, through the pages', function () {
  this.timeout(180_000);
  const web = browserSuite();
  // Unique, long and Vietnamese: it must wrap, not widen the page.
  const subject = `Về tăng cường công tác chuyển đổi số, bảo đảm an toàn thông tin trong các cơ quan Đảng và hệ thống chính trị thành phố (${randomUUID().slice(0, 8)})`;
  let documentId = '';
  let number = '';

  async function person(username: string, viewport?: { width: number; height: number }): Promise<Person> {
    const p = await web.person(viewport);
    await signIn(p, username);
    return p;
  }

  it('the drafter writes it with a live preview and submits it for approval', async () => {
    const drafter = await person('chuyenvien.tu');
    const { page } = drafter;
    await page.getByRole('link', { name: 'Văn bản đi' }).click();
    await page.getByRole('link', { name: /Soạn văn bản mới/ }).click();
    await page.getByLabel('Loại văn bản').selectOption('CT');
    await page.getByLabel('Trích yếu').fill(subject);
    await page
      .getByLabel('Nội dung')
      .fill(
        'Thực hiện Nghị quyết số 57-NQ/TW của Bộ Chính trị về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia.\n# I. NHIỆM VỤ TRỌNG TÂM\n- Hoàn thành việc gửi, nhận văn bản điện tử có ký số giữa các cấp ủy.\n- Bảo đảm an toàn thông tin.',
      );
    // The first preview is drawn; an edit draws a new one.
    await page.locator('#preview canvas.pdf-page').first().waitFor();
    expect(await inkOn(page, '#preview')).to.be.greaterThan(2_000);
    const redrawn = page.waitForResponse(
      (r) => r.url().endsWith('/api/v1/documents/preview') && r.status() === 200,
    );
    await page.getByRole('button', { name: /Thêm nơi nhận/ }).click();
    await redrawn;
    // Every branch under the city committee; the Bí thư signs; answers due in a week.
    expect(await page.getByLabel('Cấp đơn vị nhận').inputValue()).to.equal('branch');
    // And every member of one ward, chosen by walking the tree: city → district → ward.
    await page.getByRole('button', { name: /Thêm nơi nhận/ }).click();
    const second = page.locator('.recipient').nth(1);
    await second.getByLabel('Cách gửi 2').selectOption('members_under');
    await second.getByRole('button', { name: 'Xem đơn vị trực thuộc: Quận ủy Hoàn Kiếm' }).click();
    await second.getByRole('button', { name: 'Chọn đơn vị này: Đảng ủy phường Tràng Tiền' }).click();
    await second.getByText('Đơn vị đã chọn: Đảng ủy phường Tràng Tiền').waitFor();
    await page.getByLabel('Hạn trả lời của nơi nhận').fill(vietnamDay(7).date);
    await page.locator('#doc-signer option', { hasText: 'Bí thư' }).first().waitFor({ state: 'attached' });
    expect(await page.locator('#doc-signer option:checked').textContent()).to.match(/— Bí thư$/);
    await page.locator('#preview canvas.pdf-page').first().waitFor();
    expect(await unlabelledControls(page)).to.deep.equal([]);
    await screenshot(page, 'compose', { fullPage: true });

    // The api's refusal is shown under the field it names: a subject of spaces only.
    await page.getByLabel('Trích yếu').fill('   ');
    await page.getByRole('button', { name: 'Lưu dự thảo' }).click();
    await page.locator('#doc-subject-error').waitFor();
    expect(await page.getByLabel('Trích yếu').getAttribute('aria-invalid')).to.equal('true');

    // Saved: version 1, then an edit saved with the ETag it was read with: version 2.
    await page.getByLabel('Trích yếu').fill(subject);
    await page.getByRole('button', { name: 'Lưu dự thảo' }).click();
    await page.getByText('Đã lưu phiên bản 1.').waitFor();
    await page.waitForURL(/\/documents\/[0-9a-f-]{36}\/edit$/);
    documentId = new URL(page.url()).pathname.split('/')[2]!;
    const body = page.getByLabel('Nội dung');
    await body.fill(`${await body.inputValue()}\n- Rà soát quy trình ký số tại văn phòng.`);
    await page.getByRole('button', { name: 'Lưu dự thảo' }).click();
    await page.getByText('Đã lưu phiên bản 2.').waitFor();

    // Meanwhile the same draft is changed elsewhere: saving over it is refused, and the
    // page says so instead of overwriting; reloading shows the newer version.
    const elsewhere = await new ApiClient(web.system.baseUrl).signIn('chuyenvien.tu');
    const read = await elsewhere.get<{ content: Record<string, unknown> & { body: unknown[] } }>(
      `/api/v1/documents/${documentId}/content`,
    );
    expectOk(
      await elsewhere.put(
        `/api/v1/documents/${documentId}/draft`,
        { ...read.body.content, body: [...read.body.content.body, 'Đoạn bổ sung từ máy khác.'] },
        { 'if-match': read.headers.get('etag')! },
      ),
      'edit elsewhere',
    );
    await body.fill(`${await body.inputValue()}\n- Một dòng nữa.`);
    await page.getByRole('button', { name: 'Lưu dự thảo' }).click();
    await page.getByText('Văn bản đã được người khác sửa.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Tải lại' }).click();
    await page.getByLabel('Nội dung').waitFor();
    expect(await page.getByLabel('Nội dung').inputValue()).to.include('Đoạn bổ sung từ máy khác.');

    await page.getByRole('button', { name: 'Trình duyệt' }).click();
    await page.waitForURL(`**/documents/${documentId}`);
    await page.locator('#facts').getByText('Đang trình duyệt').waitFor();
  });

  it('the leader approves it from his queue and signs it with his passphrase', async () => {
    const leader = await person('bithu.tu');
    const { page } = leader;
    const queue = page.locator('#tasks-approve');
    await queue.getByRole('link', { name: subject }).waitFor();
    await screenshot(page, 'home');
    await queue.getByRole('link', { name: subject }).click();
    await page.waitForURL(`**/documents/${documentId}/review`);
    await page.locator('#pdf canvas.pdf-page').first().waitFor();
    expect(await unlabelledControls(page)).to.deep.equal([]);
    await screenshot(page, 'review');
    // Returning needs a reason: the api's refusal lands under the comment field.
    await page.getByRole('button', { name: 'Trả lại để sửa' }).click();
    await page.locator('#comment-error').waitFor();
    expect(await page.getByLabel('Ý kiến').getAttribute('aria-invalid')).to.equal('true');
    await page.getByLabel('Ý kiến').fill('Đồng ý ban hành.');
    await page.getByRole('button', { name: 'Duyệt', exact: true }).click();
    await page.waitForURL(`**/documents/${documentId}`);
    await page.locator('#facts').getByText('Đã duyệt').waitFor();
    await page.locator('#approval').getByText('Đồng ý ban hành.').waitFor();

    await page.locator('#actions').getByRole('link', { name: 'Ký số' }).click();
    await page.waitForURL(`**/documents/${documentId}/sign`);
    await page.locator('#pdf canvas.pdf-page').first().waitFor();
    // A wrong passphrase is refused and changes nothing.
    await page.getByLabel('Mật khẩu khóa ký').fill('sai mật khẩu');
    await page.getByRole('button', { name: 'Ký', exact: true }).click();
    await page.locator('#passphrase-error').waitFor();
    expect(await page.getByLabel('Mật khẩu khóa ký').getAttribute('aria-describedby')).to.include(
      'passphrase-error',
    );
    expect(await unlabelledControls(page)).to.deep.equal([]);
    await screenshot(page, 'sign');
    await page.getByLabel('Mật khẩu khóa ký').fill('vanthu-demo');
    await page.getByRole('button', { name: 'Ký', exact: true }).click();
    await page.getByText('Đã ký văn bản.').waitFor({ timeout: 60_000 });
  });

  it('the clerk issues it with the number the register forecast, and follows the dispatch', async () => {
    const clerk = await person('vanthu.tu');
    const { page } = clerk;
    await page.locator('#tasks-issue').getByRole('link', { name: subject }).click();
    await page.waitForURL(`**/documents/${documentId}/issue`);
    const forecast = await page.locator('.next-number .number').textContent();
    expect(forecast).to.match(/^Số \d{2,}-CT\/TU$/);
    await page.locator('#pdf canvas.pdf-page').first().waitFor();
    expect(await unlabelledControls(page)).to.deep.equal([]);
    await screenshot(page, 'issue');
    await page.getByLabel('Mật khẩu khóa con dấu của đơn vị').fill('vanthu-demo');
    await page.getByRole('button', { name: 'Cấp số, đóng dấu và phát hành' }).click();
    const issued = page.locator('[data-issued-number]');
    await issued.waitFor({ timeout: 60_000 });
    number = (await issued.getAttribute('data-issued-number'))!;
    expect(`Số ${number}`).to.equal(forecast);

    await page.getByRole('link', { name: 'Theo dõi phát hành' }).click();
    await page.waitForURL(`**/documents/${documentId}/progress`);
    // Every branch of the city got it: districts, then wards, then branches. (The people of
    // Tràng Tiền act here; other suites count on Phúc Xá's registers for themselves.)
    const [branches] = await web.system.sequelize.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM org_unit WHERE kind = 'branch'",
      { type: QueryTypes.SELECT },
    );
    const all = `Tổng số nơi nhận: ${branches!.n}`;
    // Dispatch runs in the background; the page shows what has arrived so far.
    for (let i = 0; i < 50 && (await page.locator('#summary h2').textContent()) !== all; i++) {
      await page.waitForTimeout(200);
      await page.reload();
      await page.locator('#summary h2').waitFor();
    }
    expect(await page.locator('#summary h2').textContent()).to.equal(all);
    await page
      .locator('#children')
      .getByRole('link', { name: /Quận ủy Hoàn Kiếm/ })
      .click();
    await page
      .locator('#children')
      .getByRole('link', { name: /Đảng ủy phường Tràng Tiền/ })
      .click();
    await page
      .locator('#children')
      .getByRole('link', { name: /Chi bộ Tổ dân phố số 1/ })
      .waitFor();
    expect(await page.locator('.breadcrumbs li').allTextContents()).to.deep.equal([
      'Thành ủy Hà Nội',
      'Quận ủy Hoàn Kiếm',
      'Đảng ủy phường Tràng Tiền',
    ]);
    expect(await page.locator('#summary h2').textContent()).to.equal('Tổng số nơi nhận: 3');
    await screenshot(page, 'progress');
  });

  it('the branch secretary, on a phone, receives it and completes it', async () => {
    // Signed in with the keyboard alone: the page puts the focus on its heading, Tab
    // reaches the user name, Tab the password, Enter signs in.
    const secretary = await web.person(PHONE);
    const { page } = secretary;
    await page.goto('/inbox');
    await page.waitForURL(/\/sign-in\?next=%2Finbox/);
    await page.getByRole('heading', { name: 'Đăng nhập' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.id')).to.equal('username');
    await page.keyboard.type('dangvien.trangtien1.1');
    await page.keyboard.press('Tab');
    await page.keyboard.type('vanthu-demo');
    await page.keyboard.press('Enter');
    await page.waitForURL('**/inbox');
    await page.goto('/');
    await page.getByRole('button', { name: 'Trình đơn' }).click();
    await page.getByRole('link', { name: 'Văn bản đến' }).click();
    const row = page.locator('.inbox .item', { hasText: subject });
    await row.waitFor();
    expect(await row.getAttribute('class')).to.include('unread');
    await row.getByText('Chưa đọc').first().waitFor();
    expect(await fitsWidth(page)).to.equal(true);
    expect(await unlabelledControls(page)).to.deep.equal([]);
    await screenshot(page, 'inbox-phone', { fullPage: true });

    await row.getByRole('link').click();
    await page.locator('#delivery').getByText('Đã đến').waitFor();
    await page.getByRole('button', { name: 'Tiếp nhận' }).click();
    await page.locator('#delivery').getByText('Đã tiếp nhận').waitFor();
    await page.locator('#delivery').getByText('Số đến').waitFor();
    await page.locator('#signatures [data-verdict="valid"]').first().waitFor({ timeout: 60_000 });
    await page.locator('#pdf canvas.pdf-page').first().waitFor();
    expect(await fitsWidth(page)).to.equal(true);
    expect(await unlabelledControls(page)).to.deep.equal([]);
    await screenshot(page, 'delivery-phone', { fullPage: true });
    await page.getByRole('button', { name: 'Hoàn thành' }).click();
    await page.locator('#delivery').getByText('Hoàn thành').waitFor();

    // Read now, and in the branch's incoming register.
    await page.goto('/inbox');
    expect(await page.locator('.inbox .item', { hasText: subject }).getAttribute('class')).to.not.include(
      'unread',
    );
    await page.goto('/registers?book=incoming');
    await page.locator('table.register').getByText(subject).waitFor();
  });

  it('the dispatch shows the completion, the signature panel two valid signatures, and English on request', async () => {
    const clerk = web.people[2]!;
    const { page } = clerk;
    await page.goto(`/documents/${documentId}/progress`);
    await page.locator('#summary').getByRole('progressbar', { name: 'Hoàn thành' }).first().waitFor();
    expect(
      await page.locator('#summary [role="progressbar"]').first().getAttribute('aria-valuenow'),
    ).to.equal('1');

    await page.goto(`/documents/${documentId}`);
    const signatures = page.locator('#signatures');
    await signatures.locator('[data-verdict]').first().waitFor({ timeout: 60_000 });
    expect(await signatures.locator('.signature-report').getAttribute('data-verdict')).to.equal('valid');
    expect(await signatures.locator('.signature').count()).to.be.greaterThanOrEqual(2);
    await signatures.getByText('PAdES B-LTA').first().waitFor();
    await page.locator('#timeline').getByText('Lấy số từ sổ văn bản đi').waitFor();
    await page.locator('#pdf canvas.pdf-page').first().waitFor();
    await screenshot(page, 'document', { fullPage: true });

    await page.getByRole('button', { name: /English/ }).click();
    await page.getByRole('heading', { name: 'Digital signatures' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).to.equal('en');
    expect(await page.locator('#facts').textContent()).to.include('Dispatched');
    // Dates stay day first in English too.
    expect(await page.locator('#facts').textContent()).to.match(/\d{2}\/\d{2}\/\d{4}/);
    await page.getByRole('button', { name: /Tiếng Việt/ }).click();
    await page.getByRole('heading', { name: 'Chữ ký số' }).waitFor();

    // The outgoing register carries it with its number.
    await page.goto('/registers');
    await page.locator('table.register').getByText(number).waitFor();
    await screenshot(page, 'registers');
    // …and the clerk takes it away as a spreadsheet.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Tải về CSV (Excel)' }).click(),
    ]);
    expect(download.suggestedFilename()).to.match(/^so-di-\d{4}\.csv$/);
    expect(readFileSync((await download.path())!, 'utf8')).to.include(number);
  });

  it('marks it overdue in the inbox of a branch that has not finished, and counts it in the dispatch', async () => {
    // The deadline passes (moved into the past in the read model, as time would).
    await web.system.sequelize.query(
      `UPDATE document SET response_due = now() - interval '1 hour' WHERE id = $1`,
      {
        bind: [documentId],
      },
    );
    const other = await person('dangvien.trangtien2.1', PHONE);
    await other.page.goto('/inbox?show=overdue');
    const row = other.page.locator('.inbox .item', { hasText: subject });
    await row.waitFor();
    expect(await row.getAttribute('class')).to.include('overdue');
    await row.getByText('Quá hạn').waitFor();

    const clerk = web.people[2]!;
    await clerk.page.goto(`/documents/${documentId}/progress`);
    const overdue = clerk.page.locator('#overdue');
    await overdue.getByText('Chi bộ Tổ dân phố số 2').first().waitFor();
    const total = Number((await clerk.page.locator('#summary h2').textContent())!.split(': ')[1]);
    expect(await overdue.locator('h2').textContent()).to.equal(`Đơn vị quá hạn (${total - 1})`);
    // The branch that completed is not among them.
    expect(await clerk.page.locator('#summary').textContent()).to.include(`Quá hạn: ${total - 1}`);
  });

  it('a member of the ward reads it from the notices on the home page', async () => {
    const member = await person('dangvien.trangtien1.2', PHONE);
    const { page } = member;
    const notice = page.locator('#notices .item', { hasText: subject });
    await notice.getByText('Chưa đọc').waitFor();
    await notice.getByRole('link').click();
    await page.locator('#facts').getByText(number).waitFor();
    await page.locator('#pdf canvas.pdf-page').first().waitFor();
    await page.goto('/');
    await page.locator('#notices .item', { hasText: subject }).waitFor();
    expect(await page.locator('#notices .item', { hasText: subject }).getAttribute('class')).to.not.include(
      'unread',
    );
  });
});
