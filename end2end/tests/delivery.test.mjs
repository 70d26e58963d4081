// The delivery engine seen from the browser: a broadcast is really sent over SMPP to the built-in
// SMSC simulator and its batch page follows it live (server-sent events); a scheduled batch waits
// and can be deleted; a batch over the balance is refused with a clear message.
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

/** A fresh trial customer on the composer (its own registered mobile, HK$5.00). */
async function composerFor(prefix) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchPage(page);
  const login = uniqueLogin(prefix);
  const mobile = await signUp(page, ferry.url, login);
  await page.getByRole('link', { name: 'Broadcast SMS' }).click();
  await page.waitForURL(`${ferry.url}/broadcast`);
  await page.getByLabel('Message').waitFor(WAIT);
  return { context, page, problems, login, mobile };
}

/** Fills the composer; a trial account sends to its own registered mobile. */
async function compose(page, { route, message, recipients }) {
  await page.getByLabel(route).check();
  await page.getByLabel('Message').fill(message);
  await page.getByLabel('Recipients', { exact: true }).fill(recipients);
}

/** Clicks Send/Schedule and resolves to the new batch's id once its page shows. */
async function send(page, label) {
  const button = page.getByTestId('send-button');
  assert.equal((await button.innerText()).trim(), label);
  await button.click();
  await page.waitForURL(/\/results\/\d+$/, WAIT);
  const id = Number(new URL(page.url()).pathname.split('/').pop());
  await page.getByRole('heading', { name: `Batch #${id}` }).waitFor(WAIT);
  return id;
}

/** The navigation's balance after a full page load (it is read when the page loads). */
async function navBalance(page, path = '/results') {
  await page.goto(`${ferry.url}${path}`);
  await waitHydrated(page);
  return page.getByTestId('nav-balance').innerText();
}

/** Staff create a sender ID for `login` (trial accounts have none). */
async function createSenderId(login, senderId) {
  const staff = await staffPage(browser, ferry);
  await openAdminAccount(staff, ferry.url, login);
  await staff.getByLabel('New sender ID').fill(senderId);
  await staff.getByRole('button', { name: 'Create sender ID' }).click();
  await staff.getByTestId('staff-sender-ids').getByText(senderId).waitFor(WAIT);
  await staff.context().close();
}

test('HK Economic: send now, the batch page follows it live to SUBMITTED, the charge is taken', async () => {
  const { context, page, problems, mobile } = await composerFor('econ');
  await compose(page, { route: /HK Economic/, message: 'Your table for 4 is ready. Ferry Bistro', recipients: mobile.local });
  assert.equal(await page.getByTestId('composer-cost').innerText(), 'HK$0.22');
  let navigations = 0;
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations += 1; });
  const id = await send(page, 'Send now');
  const afterArrival = navigations;

  // The progress bar and counts move without a reload (server-sent events).
  const progress = page.getByTestId('batch-progress');
  const first = await progress.innerText();
  assert.match(first, /^[01] of 1 messages final \((0|100)%\)$/);
  await progress.filter({ hasText: '1 of 1 messages final (100%)' }).waitFor(WAIT);
  assert.equal(await page.getByRole('progressbar', { name: 'Progress' }).evaluate((bar) => bar.value), 100);
  await page.getByTestId('batch-counts').filter({ hasText: /SUBMITTED\s+1/ }).waitFor(WAIT);
  assert.doesNotMatch(await page.getByTestId('batch-counts').innerText(), /DELIVERED/, 'HK Economic has no delivery reports');
  assert.equal(await page.getByTestId('batch-total').innerText(), '1');
  assert.equal(await page.getByTestId('batch-charge').innerText(), 'HK$0.22');
  // The navigation's balance follows the charge, also without a reload.
  await page.getByTestId('nav-balance').filter({ hasText: 'HK$4.78' }).waitFor(WAIT);
  assert.equal(navigations, afterArrival, 'the page was not reloaded to show progress');
  const facts = await page.locator('dl.facts').innerText();
  assert.match(facts, /Route\s+HK Economic/);
  assert.match(facts, /Sender ID\s+—/);
  assert.match(facts, /Send time\s+immediately \(\d{4}-\d\d-\d\d \d\d:\d\d\)/);
  console.log(`# batch page first showed "${first}"`);

  // Delivery Results lists the batch; the balance dropped by the charge.
  await page.goto(`${ferry.url}/results`);
  await waitHydrated(page);
  const row = page.getByTestId('batches').locator('tbody tr').filter({ hasText: `#${id}` });
  await row.waitFor(WAIT);
  assert.match(await row.innerText(), /immediate\s+—\s+Your table for 4 is ready\. Ferry Bistro\s+1\s+100%\s+HK\$0\.22/);
  assert.equal(await page.getByTestId('nav-balance').innerText(), 'HK$4.78');

  // The message itself, after a reload of the batch page.
  await page.goto(`${ferry.url}/results/${id}`);
  await waitHydrated(page);
  const message = page.getByTestId('batch-messages').locator('tbody tr');
  assert.equal(await message.count(), 1);
  assert.match(await message.innerText(), new RegExp(`\\+${mobile.e164}\\s+1\\s+SUBMITTED\\s+HK\\$0\\.22`));
  assert.deepEqual(problems, []);
  await context.close();
});

test('staff read a customer\'s batches and messages with the content masked, and each look is audited', async () => {
  const { context, page, login, mobile } = await composerFor('masked');
  await compose(page, { route: /HK Economic/, message: 'Secret launch code 7788 for partners', recipients: mobile.local });
  const id = await send(page, 'Send now');
  await context.close();

  const staff = await staffPage(browser, ferry);
  const problems = watchPage(staff);
  await openAdminAccount(staff, ferry.url, login);
  await staff.getByRole('link', { name: 'Batches and messages (content masked)' }).click();
  await staff.waitForURL(/\/admin\/accounts\/\d+\/batches$/);
  const row = staff.getByTestId('staff-batches').locator('tbody tr').filter({ hasText: `#${id}` });
  await row.waitFor(WAIT);
  assert.match(await row.innerText(), /Secre…/);
  await row.getByRole('link', { name: `#${id}` }).click();
  await staff.getByRole('heading', { name: `Batch #${id}` }).waitFor(WAIT);
  assert.equal(await staff.getByTestId('staff-batch-content').innerText(), 'Secre…');
  assert.match(await staff.getByTestId('staff-batch-messages').innerText(), new RegExp(mobile.local.slice(-4)));
  // Nowhere on the page, nor in what the browser received, is the rest of the message.
  assert.doesNotMatch(await staff.content(), /launch code|7788/);
  // Both looks are in the audit log, against the customer's account.
  await staff.goto(`${ferry.url}/admin/audit`);
  const audit = staff.getByTestId('audit');
  await audit.waitFor(WAIT);
  const text = await audit.innerText();
  assert.match(text, new RegExp(`batch\\.view\\s+${login}`));
  assert.match(text, new RegExp(`batches\\.view\\s+${login}`));
  assert.deepEqual(problems, []);
  await staff.context().close();
});

test('HK Business with a sender ID: the delivery report arrives and the page shows DELIVERED', async () => {
  const { context, page, problems, login, mobile } = await composerFor('biz');
  await createSenderId(login, 'FerryBiz');
  await page.reload();
  await waitHydrated(page);
  await compose(page, { route: /HK Business/, message: 'Your code is 482913', recipients: mobile.local });
  assert.deepEqual(await page.locator('#composer-sender-id option').allInnerTexts(), ['FerryBiz']);
  assert.equal(await page.getByTestId('composer-cost').innerText(), 'HK$0.32');
  const id = await send(page, 'Send now');

  await page.getByTestId('batch-counts').filter({ hasText: /DELIVERED\s+1/ }).waitFor(WAIT);
  assert.equal(await page.getByTestId('batch-progress').innerText(), '1 of 1 messages final (100%)');
  assert.doesNotMatch(await page.getByTestId('batch-counts').innerText(), /SUBMITTED/);
  assert.equal(await page.getByTestId('batch-charge').innerText(), 'HK$0.32');
  assert.match(await page.locator('dl.facts').innerText(), /Sender ID\s+FerryBiz/);
  assert.equal(await navBalance(page, `/results/${id}`), 'HK$4.68');
  assert.match(await page.getByTestId('batch-messages').locator('tbody tr').innerText(), new RegExp(`\\+${mobile.e164}\\s+1\\s+DELIVERED\\s+HK\\$0\\.32`));
  assert.deepEqual(problems, []);
  await context.close();
});

/** `YYYY-MM-DDTHH:MM` in Hong Kong time (UTC+8), `days` from now. */
function hktLocal(days) {
  return new Date(Date.now() + days * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 16);
}

test('a batch scheduled 2 days ahead waits in SCHEDULING and can be deleted; nothing is sent or charged', async () => {
  const { context, page, problems, mobile } = await composerFor('sched');
  await compose(page, { route: /HK Economic/, message: 'Reminder: your appointment is on Friday.', recipients: mobile.local });
  const when = hktLocal(2);
  await page.getByLabel('Send time (Hong Kong time)').fill(when);
  assert.equal(await page.locator('#composer-schedule').inputValue(), when);
  const id = await send(page, 'Schedule');

  const shown = when.replace('T', ' ');
  assert.match(await page.locator('dl.facts').innerText(), new RegExp(`Send time\\s+${shown}`));
  await page.getByTestId('batch-counts').filter({ hasText: /SCHEDULING\s+1/ }).waitFor(WAIT);
  assert.equal(await page.getByTestId('batch-progress').innerText(), '0 of 1 messages final (0%)');
  assert.equal(await page.getByTestId('batch-total').innerText(), '1');

  await page.getByRole('button', { name: 'Delete scheduled batch' }).click();
  await page.getByText('This scheduled batch was deleted; nothing was sent.').waitFor(WAIT);
  assert.equal(await page.getByRole('button', { name: 'Delete scheduled batch' }).count(), 0);

  await page.goto(`${ferry.url}/results`);
  await waitHydrated(page);
  const row = page.getByTestId('batches').locator('tbody tr').filter({ hasText: `#${id}` });
  await row.waitFor(WAIT);
  assert.match(await row.innerText(), /\sdeleted\s/);
  assert.equal(await page.getByTestId('nav-balance').innerText(), 'HK$5.00');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a batch costing more than the balance is refused with the amounts, and nothing is sent', async () => {
  // Leave the trial account HK$0.10: staff link it to another account and move HK$4.90 out.
  const { context, page, problems, login, mobile } = await composerFor('poor');
  const other = await browser.newContext();
  const otherLogin = uniqueLogin('rich');
  await signUp(await other.newPage(), ferry.url, otherLogin);
  await other.close();
  const staff = await staffPage(browser, ferry);
  await openAdminAccount(staff, ferry.url, login);
  await staff.getByLabel('Make this a sub-account of (login name)').fill(otherLogin);
  await staff.getByRole('button', { name: 'Link' }).click();
  await staff.getByLabel('Transfer to').waitFor(WAIT);
  await staff.getByLabel('Amount (HK$)').fill('4.90');
  await staff.getByRole('button', { name: 'Transfer balance' }).click();
  await staff.getByTestId('staff-balance').filter({ hasText: 'HK$0.10' }).waitFor(WAIT);
  await staff.context().close();

  await page.reload();
  await waitHydrated(page);
  assert.equal(await page.getByTestId('nav-balance').innerText(), 'HK$0.10');
  await compose(page, { route: /HK Economic/, message: 'Hello', recipients: mobile.local });
  assert.equal(await page.getByTestId('composer-cost').innerText(), 'HK$0.22');
  assert.match(await page.locator('.cost-warning').innerText(), /Your balance is HK\$0\.10: this needs HK\$0\.12 more\./);
  await page.getByTestId('send-button').click();
  await page.getByText(/Insufficient balance: this batch costs HK\$0\.22 and HK\$0\.10 is available\. Top up HK\$0\.12 more, or send to fewer numbers\. Nothing was sent\./).waitFor(WAIT);
  assert.equal(new URL(page.url()).pathname, '/broadcast');

  await page.goto(`${ferry.url}/results`);
  await waitHydrated(page);
  await page.getByText('No batches yet').waitFor(WAIT);
  assert.equal(await page.getByTestId('nav-balance').innerText(), 'HK$0.10');
  // The refusal is a 409 answer, which Chromium logs; nothing else may appear.
  assert.deepEqual(problems.filter((p) => !/status of 409 \(Conflict\)/.test(p)), []);
  await context.close();
});
