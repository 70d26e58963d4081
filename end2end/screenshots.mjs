// Screenshots of every page, as a visitor, a customer and staff, in English and Traditional
// Chinese, at 1280 px (desktop) and 390 px (phone) wide, for people to look at (issue 18).
// Usage (after scripts/build.sh): FERRY_BIN=… FERRY_SITE_DIR=… node screenshots.mjs [out dir]
// Writes <out>/<lang>-<width>-<page>.png (default out: /tmp/ferry-screenshots) and prints any
// page that logged a console error or scrolls sideways on a phone.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startFerry, launchBrowser, waitHydrated, watchPage, uniqueLogin, signUp, staffPage, openAdminAccount } from './lib/harness.mjs';

const out = process.argv[2] ?? '/tmp/ferry-screenshots';
mkdirSync(out, { recursive: true });

const VISITOR = ['/login', '/signup', '/reset-password', '/developers', '/no-such-page'];
const CUSTOMER = ['/broadcast', '/results', '/inbox', '/address-book', '/account', '/account/statement', '/account/two-factor', '/developers'];
const STAFF = ['/admin', '/admin/accounts', 'ACCOUNT', 'ACCOUNT/batches', '/admin/payments', '/admin/registrations',
  '/admin/signatures', '/admin/prices', '/admin/dnc', '/admin/numbers', '/admin/connections', '/admin/keywords', '/admin/audit'];

const ferry = await startFerry();
const browser = await launchBrowser();
const problems = [];
try {
  // A customer with a batch, and staff (who set up two-factor on first sign-in).
  const customerContext = await browser.newContext();
  const customer = await customerContext.newPage();
  const login = uniqueLogin('shots');
  await signUp(customer, ferry.url, login);
  const staff = await staffPage(browser, ferry);
  const accountId = await openAdminAccount(staff, ferry.url, login);
  const visitor = await (await browser.newContext()).newPage();

  for (const lang of ['en', 'zh-Hant']) {
    for (const page of [visitor, customer, staff]) {
      // The switch in the navigation: remembered on the login and in the cookie.
      await page.request.post(`${ferry.url}/language`, { form: { lang, next: '/' }, maxRedirects: 0 });
    }
    for (const [who, page, paths] of [['visitor', visitor, VISITOR], ['customer', customer, CUSTOMER], ['staff', staff, STAFF]]) {
      const seen = watchPage(page);
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
        for (const raw of paths) {
          const path = raw.replace('ACCOUNT', `/admin/accounts/${accountId}`);
          await page.goto(`${ferry.url}${path}`);
          await waitHydrated(page);
          await page.waitForLoadState('networkidle');
          const name = `${lang}-${width}-${who}${path.replace(/\//g, '_')}.png`;
          await page.screenshot({ path: join(out, name), fullPage: true });
          const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          if (sideways > 0) problems.push(`${name}: scrolls ${sideways} px sideways`);
          const htmlLang = await page.evaluate(() => document.documentElement.lang);
          if (htmlLang !== lang) problems.push(`${name}: <html lang="${htmlLang}">`);
        }
      }
      problems.push(...seen.filter((p) => !p.includes('status of 404')).map((p) => `${who}: ${p}`));
    }
  }
} finally {
  await browser.close();
  await ferry.stop();
}
console.log(`screenshots in ${out}`);
if (problems.length) {
  console.log(problems.join('\n'));
  process.exitCode = 1;
}
