// API keys in the portal (§11): a customer creates a key on the Account page, sees it once,
// uses it against /api/v1 from outside the browser, and revokes it; the revoked key stops
// working at once. Delivery-status callbacks: a send with a callback URL reaches a local
// receiver (after one failed attempt), signed with the secret the Account page shows, and the
// page lists the attempts. The API page links the OpenAPI document.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import {
  startFerry, launchBrowser, waitHydrated, watchPage, uniqueLogin, signUp, staffPage, openAdminAccount,
} from '../lib/harness.mjs';

const WAIT = { timeout: 30_000 };

let ferry;
let browser;
before(async () => {
  // Callbacks retried after 300 ms rather than 10 s, so the test sees a retry quickly.
  ferry = await startFerry({ env: { FERRY_CALLBACKS__FIRST_RETRY_MS: '300' } });
  browser = await launchBrowser();
});
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

test('a status callback reaches a receiver signed with the secret the Account page shows, which lists the attempts', async () => {
  // A receiver that fails the first attempt and accepts the next.
  const received = [];
  const receiver = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(received.length === 1 ? 503 : 204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${receiver.address().port}/status`;

  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchPage(page);
  const login = uniqueLogin('hook');
  const mobile = await signUp(page, ferry.url, login);
  await page.goto(`${ferry.url}/account`);
  await waitHydrated(page);
  await page.getByRole('heading', { name: 'Delivery-status callbacks' }).waitFor(WAIT);
  await page.getByText('No callbacks yet').waitFor(WAIT);
  const secret = (await page.getByTestId('callback-secret').innerText()).trim();
  assert.match(secret, /^whsec_[0-9a-f]{64}$/);
  await page.getByLabel('Key name').fill('Shop');
  await page.getByRole('button', { name: 'Create key' }).click();
  await page.getByTestId('new-api-key').waitFor(WAIT);
  const key = (await page.getByTestId('new-api-key').innerText()).trim();

  // A trial account sends to its own verified mobile; HK Economic has no receipts, so the
  // message is final (SUBMITTED) as soon as the operator accepts it.
  const res = await fetch(`${ferry.url}/api/v1/messages`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ to: [mobile.e164], text: 'Parcel 4711 is on its way', route: 'hk_economic', callback_url: hook }),
  });
  const sent = await res.json();
  assert.equal(res.status, 201, JSON.stringify(sent));
  const messageId = sent.messages[0].id;

  const deadline = Date.now() + 30_000;
  while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(received.length, 2, 'one failed attempt, then one accepted');
  for (const { headers, body } of received) {
    const mac = createHmac('sha256', secret).update(`${headers['ferry-timestamp']}.`).update(body).digest('hex');
    assert.equal(headers['ferry-signature'], `v1=${mac}`);
    assert.equal(headers['ferry-event-id'], received[0].headers['ferry-event-id']);
  }
  const event = JSON.parse(received[1].body);
  assert.equal(event.type, 'message.status');
  assert.equal(event.message.id, messageId);
  assert.equal(event.message.final, true);

  // The page lists the callback as delivered after 2 attempts, with the receiver's answer.
  await page.reload();
  await waitHydrated(page);
  const row = page.getByTestId('callbacks').locator('tbody tr').filter({ hasText: String(messageId) });
  await row.filter({ hasText: 'Delivered' }).filter({ hasText: 'HTTP 204' }).waitFor(WAIT);
  assert.match(await row.innerText(), /\b2\b/);
  await page.getByTestId('callback-counts').getByText('1 delivered').waitFor(WAIT);

  // Rotating the secret shows a new one.
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  await page.waitForFunction((old) => {
    const shown = document.querySelector('[data-testid="callback-secret"]')?.textContent?.trim();
    return shown && shown !== old;
  }, secret, WAIT);

  // The API page, and the OpenAPI document it links.
  await page.getByRole('link', { name: 'API', exact: true }).click();
  await page.waitForURL(`${ferry.url}/developers`);
  await page.getByRole('heading', { name: 'Delivery-status callbacks' }).waitFor(WAIT);
  const href = await page.getByTestId('openapi-link').getAttribute('href');
  const doc = await (await fetch(`${ferry.url}${href}`)).json();
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.paths['/api/v1/messages'].post);
  assert.deepEqual(problems, []);
  receiver.close();
  await context.close();
});
