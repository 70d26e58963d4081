import { startFerry, launchBrowser, waitHydrated, uniqueLogin, signUp, staffPage, openAdminAccount } from '/work/main/end2end/lib/harness.mjs';
const ferry = await startFerry(); const browser = await launchBrowser();
function watch(page, errs, cur) {
  page.on('console', (m) => { if (m.type() === 'error') errs.push(`${cur.v}: ${m.text().split('\n')[0]}`); });
  page.on('pageerror', (e) => errs.push(`${cur.v}: pageerror ${e.message}`));
}
try {
  const ctx = await browser.newContext(); const page = await ctx.newPage();
  const errs = []; const cur = { v: 'signup' }; watch(page, errs, cur);
  const login = uniqueLogin('p');
  await signUp(page, ferry.url, login);
  for (const p of ['/broadcast', '/results', '/account/statement', '/account']) {
    cur.v = p; await page.goto(ferry.url + p);
    await waitHydrated(page); await page.waitForTimeout(1000);
  }
  // does the top-up form work after a direct load?
  cur.v = 'topup-after-load';
  await page.getByLabel('Amount (HK$)').fill('300');
  await page.getByLabel('Payment reference').fill('X1');
  await page.getByLabel('Receipt (PDF, JPG or PNG, up to 10 MB)').setInputFiles({ name: 'r.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n') });
  await page.getByRole('button', { name: 'Record payment' }).click();
  await page.waitForTimeout(3000);
  console.log('url after submit:', page.url(), 'recorded notice:', await page.getByText('Payment recorded').count());
  const staff = await staffPage(browser, ferry); const se = []; const sc = { v: 'staff' }; watch(staff, se, sc);
  for (const p of ['/admin', '/admin/accounts', '/admin/payments', '/admin/audit', '/admin/prices', '/account']) {
    sc.v = p; await staff.goto(ferry.url + p); await waitHydrated(staff); await staff.waitForTimeout(800);
  }
  sc.v = 'detail'; const id = await openAdminAccount(staff, ferry.url, login);
  sc.v = 'detail-direct'; await staff.goto(`${ferry.url}/admin/accounts/${id}`); await waitHydrated(staff); await staff.waitForTimeout(1000);
  console.log('customer:\n' + errs.join('\n')); console.log('staff:\n' + se.join('\n'));
} finally { await browser.close(); await ferry.stop(); }
