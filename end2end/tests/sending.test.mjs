// Sending as a customer sees it (issue 19): one list mixing Hong Kong, mainland and foreign
// numbers is priced per route live in the page and by the server, goes out as one batch with
// each number on its route, and a refused row stays in the result with its row and reason;
// every error shows its explanation, and a resend of two error codes reaches exactly those
// numbers and delivers them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startFerry, launchBrowser, waitHydrated, watchPage, uniqueLogin, signUp, staffPage,
  approveBusiness, createSenderIdFor,
} from '../lib/harness.mjs';

const WAIT = { timeout: 30_000 };

let ferry;
let browser;
before(async () => {
  // The simulator's outcomes rotate: 5 delivered, then unknown subscriber (3), then blocked as
  // spam (5). This file's one sign-up takes the first (its verification code).
  ferry = await startFerry({
    env: {
      FERRY_SIMULATOR__RECEIPT_DELAY_MS: '100',
      FERRY_SIMULATOR__OUTCOMES__DELIVERED: '5',
      FERRY_SIMULATOR__OUTCOMES__HANDSET_OFF_THEN_DELIVERED: '0',
      FERRY_SIMULATOR__OUTCOMES__HANDSET_OFF_THEN_EXPIRED: '0',
      FERRY_SIMULATOR__OUTCOMES__UNKNOWN_SUBSCRIBER: '1',
      FERRY_SIMULATOR__OUTCOMES__BLOCKED_AS_SPAM: '1',
    },
  });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await ferry?.stop(); });

test('a mixed list is priced per route, sent as one batch with refused rows kept, explained, and two error codes resent and delivered', async () => {
  const staff = await staffPage(browser, ferry);
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchPage(page);
  const login = uniqueLogin('mixed');
  const mobile = await signUp(page, ferry.url, login);
  await approveBusiness(page, staff, ferry.url, login);
  await createSenderIdFor(staff, ferry.url, login, 'FerryMix');

  // Composing: the live cost splits by route, with no request leaving the page.
  await page.goto(`${ferry.url}/broadcast`);
  await waitHydrated(page);
  const requests = [];
  page.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
  await page.getByLabel(/HK Economic/).check();
  await page.getByLabel('Message').fill('Your order has shipped.');
  await page.getByLabel('Recipients', { exact: true }).fill(
    `${mobile.local}\n+86 138 0013 8000\n+853 6612 3456\nnot a number`,
  );
  // Mainland numbers need the purpose declared (no custom China signature here).
  await page.getByLabel('Notification').check();
  const mix = await page.getByTestId('route-mix').innerText();
  assert.match(mix, /HK Economic\s+1\s+1\s+HK\$0\.22\s+HK\$0\.22/);
  assert.match(mix, /China\s+1\s+1\s+HK\$0\.45\s+HK\$0\.45/);
  assert.match(mix, /International\s+1\s+1\s+HK\$0\.68\s+HK\$0\.48/, 'Macau at its own price');
  assert.equal(await page.getByTestId('composer-cost').innerText(), 'HK$1.15');
  assert.match(await page.getByTestId('composer-china-preview').innerText(), /^\[Ferry\]Your order has shipped\./);
  assert.deepEqual(requests, [], 'routes and cost computed in the browser');

  // The server agrees, and names the refused row.
  await page.getByRole('button', { name: 'Check recipients and cost' }).click();
  await page.getByTestId('check-result').waitFor(WAIT);
  assert.equal(await page.getByTestId('check-total').innerText(), 'HK$1.15');
  assert.match(await page.getByTestId('rejected-rows').innerText(), /^4\s+not a number\s+/m);
  await page.locator('#composer-sender-id').selectOption('FerryMix');
  await page.getByTestId('send-button').click();
  await page.waitForURL(/\/results\/\d+$/, WAIT);
  const id = Number(new URL(page.url()).pathname.split('/').pop());
  await page.getByTestId('batch-progress').filter({ hasText: '4 of 4 messages final (100%)' }).waitFor(WAIT);

  // Every row of the list is in the result: the refused one with its row and reason.
  await page.goto(`${ferry.url}/results/${id}`);
  await waitHydrated(page);
  const rows = await page.getByTestId('batch-messages').locator('tbody tr').allInnerTexts();
  assert.equal(rows.length, 4);
  assert.ok(rows.some((r) => /\+8613800138000\s+1\s+\w+.*\bChina\b/.test(r)), rows.join('\n'));
  assert.ok(rows.some((r) => /\+85366123456\s+1\s+.*International/.test(r)), rows.join('\n'));
  assert.ok(rows.some((r) => /not a number\s+1\s+UPLOAD FAILED\s+9 Invalid Number\s+HK\$0\.00.*Row 4: /.test(r)), rows.join('\n'));
  const csv = await (await page.request.get(`${ferry.url}/batches/${id}/messages.csv`)).text();
  assert.equal(csv.trim().split('\n').length, 5);
  assert.match(csv, /not a number,1,1,UPLOAD FAILED,9,Invalid Number,0\.0000,.*,,4,"Row 4: /);

  // A batch that meets two errors: each shown with its explanation, then both resent.
  await page.goto(`${ferry.url}/broadcast`);
  await waitHydrated(page);
  await page.getByLabel(/HK Business/).check();
  await page.getByLabel('Message').fill('Second wave');
  const numbers = ['6123 0001', '6123 0002', '6123 0003', '6123 0004', '6123 0005', '6123 0006'];
  await page.getByLabel('Recipients', { exact: true }).fill(numbers.join('\n'));
  await page.getByTestId('send-button').click();
  await page.waitForURL(/\/results\/\d+$/, WAIT);
  const second = Number(new URL(page.url()).pathname.split('/').pop());
  await page.getByTestId('batch-progress').filter({ hasText: '6 of 6 messages final (100%)' }).waitFor(WAIT);
  await page.goto(`${ferry.url}/results/${second}`);
  await waitHydrated(page);
  const failed = await page.getByTestId('batch-messages').locator('tbody tr').filter({ hasText: 'UNDELIVERABLE' }).allInnerTexts();
  assert.equal(failed.length, 2, failed.join('\n'));
  assert.ok(failed.some((r) => /3 Unknown Subscriber.*The number is not in service/.test(r)), failed.join('\n'));
  assert.ok(failed.some((r) => /5 Blocked As Spam.*blocked the message as spam/.test(r)), failed.join('\n'));

  await page.getByLabel(/^ 3 Unknown Subscriber/).check();
  await page.getByLabel(/^ 5 Blocked As Spam/).check();
  await page.getByRole('button', { name: 'Resend to these recipients' }).click();
  await page.waitForURL((u) => /\/results\/\d+$/.test(u.pathname) && !u.pathname.endsWith(`/${second}`), WAIT);
  await page.getByTestId('batch-progress').filter({ hasText: '2 of 2 messages final (100%)' }).waitFor(WAIT);
  await page.getByTestId('batch-counts').filter({ hasText: /DELIVERED\s+2/ }).waitFor(WAIT);
  assert.equal(await page.getByTestId('batch-total').innerText(), '2');

  assert.deepEqual(problems, []);
  await context.close();
  await staff.context().close();
});

test('a mainland number with an illegal keyword is refused by the server too', async () => {
  const staff = await staffPage(browser, ferry);
  const context = await browser.newContext();
  const page = await context.newPage();
  const login = uniqueLogin('kw');
  await signUp(page, ferry.url, login);
  await approveBusiness(page, staff, ferry.url, login);
  await page.goto(`${ferry.url}/broadcast`);
  await waitHydrated(page);
  await page.getByLabel(/HK Economic/).check();
  await page.getByLabel('Recipients', { exact: true }).fill('+86 138 0013 8000');
  await page.getByLabel('Message').fill('代開發票請聯絡');
  await page.getByTestId('composer-keyword-highlight').locator('mark.keyword').first().waitFor(WAIT);
  await page.getByRole('button', { name: 'Check recipients and cost' }).click();
  await page.getByText(/China operators refuse messages containing: 代開發票/).first().waitFor(WAIT);
  await context.close();
  await staff.context().close();
});

test('staff add a price for a prefix in the console and the composer charges it at once', async () => {
  const staff = await staffPage(browser, ferry);
  const problems = watchPage(staff);
  await staff.goto(`${ferry.url}/admin/prices`);
  await waitHydrated(staff);
  await staff.getByLabel('Route').selectOption('INTERNATIONAL');
  await staff.getByLabel('Prefix').fill('81');
  await staff.getByLabel('Price per part (HK$)').fill('0.55');
  await staff.getByRole('button', { name: 'Add price' }).click();
  const row = staff.getByTestId('prices').locator('tbody tr').filter({ hasText: '+81' });
  await row.waitFor(WAIT);
  assert.match(await row.innerText(), /International\s+\+81\s+HK\$0\.55\s+always|International\s+\+81\s+HK\$0\.55/);
  assert.match(await row.innerText(), /In effect/);
  // A bad price names its field.
  await staff.getByLabel('Price per part (HK$)').fill('abc');
  await staff.getByRole('button', { name: 'Add price' }).click();
  await staff.locator('#field-unit_price-error').filter({ hasText: /./ }).waitFor(WAIT);

  const context = await browser.newContext();
  const page = await context.newPage();
  await signUp(page, ferry.url, uniqueLogin('japan'));
  await page.getByRole('link', { name: 'Broadcast SMS' }).click();
  await page.waitForURL(`${ferry.url}/broadcast`);
  await page.getByLabel('Message').fill('Konnichiwa');
  await page.getByLabel('Recipients', { exact: true }).fill('+81 90 1234 5678');
  assert.match(await page.getByTestId('route-mix').innerText(), /International\s+1\s+1\s+HK\$0\.68\s+HK\$0\.55/);
  assert.deepEqual(problems.filter((p) => !/status of 422/.test(p)), []);
  await context.close();
  await staff.context().close();
});
