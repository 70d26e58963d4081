import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFerry, launchBrowser, watchPage, uniqueLogin, signUp, logIn } from '../lib/harness.mjs';

let ferry;
let browser;
before(async () => { ferry = await startFerry(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await ferry?.stop(); });

test('the first start printed a staff login that reaches the admin console', async () => {
  assert.equal(ferry.staff.login, 'admin');
  assert.match(ferry.staff.password, /^[A-Za-z0-9]{20}$/);
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchPage(page);
  await logIn(page, ferry.url, ferry.staff.login, ferry.staff.password);
  await page.waitForURL(`${ferry.url}/account`);
  await page.getByRole('link', { name: 'Admin console' }).click();
  await page.waitForURL(`${ferry.url}/admin`);
  await page.getByRole('heading', { name: 'Recent sign-in attempts' }).waitFor();
  // The sign-in we just made is listed with its source address (§13).
  const table = await page.locator('table').innerText();
  assert.match(table, /admin\s+127\.0\.0\.1\s+Signed in/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a customer cannot reach the admin console: no link, 403 page, 403 data', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signUp(page, ferry.url, uniqueLogin('cust'));
  assert.equal(await page.getByRole('link', { name: 'Admin console' }).count(), 0);

  // Typing the address: the server answers 403 itself, before any WASM runs.
  const response = await page.goto(`${ferry.url}/admin`);
  assert.equal(response.status(), 403);
  await page.getByText('Your account does not have access to this page.').waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Recent sign-in attempts' }).count(), 0);

  // Calling the console's server function directly with the customer's session.
  const api = await page.request.post(`${ferry.url}/api/admin_overview`, {
    headers: { Origin: ferry.url, Accept: 'application/json' },
  });
  assert.equal(api.status(), 403);
  assert.doesNotMatch(await api.text(), /recent_sign_ins/);
  await context.close();
});

test('a visitor is sent to sign in', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${ferry.url}/admin`);
  await page.waitForURL(`${ferry.url}/login`);
  await context.close();
});
