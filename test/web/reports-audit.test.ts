/**
 * The report and audit pages in headless Chromium: the city clerk requests the monthly
 * branch-meeting report from every branch and reads the compliance chart by district;
 * the city auditor reads the audit trail and verifies it with one button, and the page
 * says what the api's verification says.
 */
import { expect } from 'chai';
import { ApiClient } from '../support/http';
import { screenshot, signIn, unlabelledControls } from './browser';
import { browserSuite, vietnamDay } from './suite';

describe('web: report requests and the audit trail', function () {
  this.timeout(120_000);
  const web = browserSuite();

  it('the clerk requests a report from every branch and reads compliance by district', async () => {
    const clerk = await web.person();
    await signIn(clerk, 'vanthu.tu');
    const { page } = clerk;
    await page.getByRole('link', { name: 'Báo cáo' }).click();
    await page.getByRole('heading', { name: 'Yêu cầu báo cáo mới' }).waitFor();
    expect(await unlabelledControls(page)).to.deep.equal([]);
    // Two months ahead, so no other suite's request for this period is found instead.
    const { date, period } = vietnamDay(62);
    // A general report: the monthly branch-meeting requests of the city are the schedule's (test/workflows).
    await page.getByLabel('Loại báo cáo').selectOption('general');
    await page.getByLabel('Tiêu đề').fill('Báo cáo kết quả chuyển đổi số');
    await page.getByLabel('Kỳ báo cáo (YYYY-MM)').fill(period);
    await page.getByLabel('Hạn nộp').fill(date);
    await page.getByLabel('Đơn vị phải báo cáo').selectOption('branch');
    await page.getByRole('button', { name: 'Gửi yêu cầu' }).click();
    await page.waitForURL(/\/reports\/[0-9a-f-]{36}$/);
    const chart = page.locator('#chart table');
    await chart.waitFor();
    const rows = await chart.locator('tbody th').allTextContents();
    expect(rows).to.include.members(['Quận ủy Ba Đình', 'Quận ủy Hoàn Kiếm']);
    const baDinh = await chart
      .locator('tbody tr', { hasText: 'Quận ủy Ba Đình' })
      .locator('td')
      .textContent();
    expect(baDinh).to.equal('0/6 (0%)');
    expect(await page.locator('#missing h2').textContent()).to.match(/^Chưa nộp \(\d+\)$/);
    await screenshot(page, 'report-compliance');
    await page
      .getByRole('link', { name: /Yêu cầu báo cáo/ })
      .first()
      .click();
    await page.locator('#requests').getByText(period).first().waitFor();
  });

  it('the auditor reads the trail and verifies it; the page says what the api says', async () => {
    const auditor = await web.person();
    await signIn(auditor, 'kiemtra.tu');
    const { page } = auditor;
    await page.getByRole('link', { name: 'Nhật ký kiểm tra' }).click();
    await page.locator('table.audit tbody tr').first().waitFor();
    expect(await page.locator('table.audit tbody tr').count()).to.be.greaterThan(0);
    await page.getByRole('button', { name: 'Kiểm tra tính toàn vẹn của nhật ký' }).click();
    const verdict = page.locator('[data-audit]');
    await verdict.waitFor({ timeout: 60_000 });
    const api = await new ApiClient(web.system.baseUrl).signIn('kiemtra.tu');
    const report = (await api.get<{ intact: boolean }>('/api/v1/audit/verify')).body;
    expect(await verdict.getAttribute('data-audit')).to.equal(report.intact ? 'intact' : 'broken');
    await screenshot(page, 'audit');
  });
});
