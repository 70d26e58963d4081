// API keys in the portal (§11): a customer creates a key on the Account page, sees it once,
// uses it against /api/v1 from outside the browser, and revokes it; the revoked key stops
// working at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startFerry, launchBrowser, waitHydrated, watchPage, uniqueLogin, signUp, staffPage, openAdminAccount,
} from '../lib/harness.mjs';

const WAIT = { timeout: 30_000 };

let ferry;
let browser;
before(async () => { ferry = await startFerry(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await ferry?.stop(); });

async function balanceWith(key) {
  const res = await fetch(`${ferry.url}/api/v1/balance`, { headers: { Authorization: `Bearer ${key}` } });
  return { status: res.status, body: await res.json() };
}

test('a key is created and shown once, works against the API, and stops working when revoked', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchPage(page);
  const login = uniqueLogin('apikey');
  await signUp(page, ferry.url, login);
  await waitHydrated(page);
  // The navigation's Account link (a full load of /account is covered elsewhere).
  await page.getByRole('link', { name: /^Account/ }).click();
  await page.waitForURL(`${ferry.url}/account`);
  await page.getByRole('heading', { name: 'API keys', exact: true }).waitFor(WAIT);
  await page.getByText('No API keys yet').waitFor(WAIT);

  // A nameless key is refused beside its field.
  await page.getByRole('button', { name: 'Create key' }).click();
  await page.getByText('Name the key after the system that will use it.').waitFor(WAIT);

  await page.getByLabel('Key name').fill('Order system');
  await page.getByRole('button', { name: 'Create key' }).click();
  const shown = page.getByTestId('new-api-key');
  await shown.waitFor(WAIT);
  const key = (await shown.innerText()).trim();
  assert.match(key, /^ferry_[0-9a-f]{64}$/);
  const row = page.getByTestId('api-keys').locator('tbody tr').filter({ hasText: 'Order system' });
  await row.waitFor(WAIT);
  assert.ok(!(await page.getByTestId('api-keys').innerText()).includes(key), 'the list never shows the key');

  const ok = await balanceWith(key);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.balance_minor, 50_000, "HK$5.00 of sign-up credit, in 1/10,000 HKD");
  assert.equal(ok.body.currency, 'HKD');

  // The list shows when and from where the key was last used, on the next visit.
  await page.goto(`${ferry.url}/account/statement`);
  await waitHydrated(page);
  await page.getByRole('link', { name: /^Account/ }).click();
  await page.waitForURL(`${ferry.url}/account`);
  await row.filter({ hasText: '127.0.0.1' }).waitFor(WAIT);

  await row.getByRole('button', { name: 'Revoke key Order system' }).click();
  await row.getByText('Revoked').waitFor(WAIT);
  const refused = await balanceWith(key);
  assert.equal(refused.status, 401);
  assert.equal(refused.body.error.code, 'invalid_api_key');
  // The nameless key above was refused with 422, which the browser logs as a failed request.
  assert.deepEqual(problems.filter((p) => !p.includes('status of 422')), []);
  await context.close();
});

test('staff see an account\'s keys in the console and revoke one, which stops it at once', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const login = uniqueLogin('apistaff');
  await signUp(page, ferry.url, login);
  await waitHydrated(page);
  await page.getByRole('link', { name: /^Account/ }).click();
  await page.waitForURL(`${ferry.url}/account`);
  await page.getByLabel('Key name').fill('Billing');
  await page.getByRole('button', { name: 'Create key' }).click();
  await page.getByTestId('new-api-key').waitFor(WAIT);
  const key = (await page.getByTestId('new-api-key').innerText()).trim();
  assert.equal((await balanceWith(key)).status, 200);

  const staff = await staffPage(browser, ferry);
  // Staff have no keys of their own: their Account page has no API keys section.
  await staff.getByRole('heading', { name: 'Change password' }).waitFor(WAIT);
  assert.equal(await staff.getByRole('heading', { name: 'API keys', exact: true }).count(), 0);
  await openAdminAccount(staff, ferry.url, login);
  const row = staff.getByTestId('staff-api-keys').locator('tbody tr').filter({ hasText: 'Billing' });
  await row.waitFor(WAIT);
  assert.ok(!(await staff.getByTestId('staff-api-keys').innerText()).includes(key));
  await row.getByRole('button', { name: 'Revoke key Billing' }).click();
  await row.getByText('Revoked').waitFor(WAIT);
  assert.equal((await balanceWith(key)).status, 401);
  await staff.context().close();
  await context.close();
});
