// Accounts and money: a customer records a top-up with its receipt and staff confirm it; staff
// create a sender ID the customer then picks in the composer; staff link two accounts and move
// balance between them. Each flow is checked by what the customer and staff see.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startFerry, launchBrowser, waitHydrated, watchPage, uniqueLogin, signUp, staffPage, openAdminAccount,
} from '../lib/harness.mjs';

const WAIT = { timeout: 30_000 };
// The smallest file the receipt check accepts as a PDF (it looks at the magic bytes).
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

let ferry;
let browser;
before(async () => { ferry = await startFerry(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await ferry?.stop(); });

async function newCustomer(prefix) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchPage(page);
  const login = uniqueLogin(prefix);
  await signUp(page, ferry.url, login);
  await waitHydrated(page);
  return { context, page, problems, login };
}

/**
 * A fresh look at /account: a full load of the statement page (so the navigation's balance is
 * current), then the navigation's Account link. (Loading /account itself fails to hydrate: see the
 * last test.)
 */
async function openAccount(page) {
  await page.goto(`${ferry.url}/account/statement`);
  await waitHydrated(page);
  await page.getByRole('link', { name: /^Account/ }).click();
  await page.waitForURL(`${ferry.url}/account`);
  await page.getByTestId('account-balance').waitFor(WAIT);
}

/** The statement's rows as text, one string per row. */
async function statementRows(page) {
  await page.goto(`${ferry.url}/account/statement`);
  await waitHydrated(page);
  await page.getByTestId('statement').waitFor(WAIT);
  return page.getByTestId('statement').locator('tbody tr').allInnerTexts();
}

test('a recorded payment waits for review, staff open the receipt and confirm, the balance and statement show it', async () => {
  const customer = await newCustomer('pay');
  const { page } = customer;
  assert.equal(await page.getByTestId('nav-balance').innerText(), 'HK$5.00');
  await page.getByTestId('account-balance').filter({ hasText: 'HK$5.00' }).waitFor(WAIT);

  await page.getByLabel('Amount (HK$)').fill('300');
  await page.getByLabel('Payment method').selectOption('FPS');
  await page.getByLabel('Payment reference').fill('FPS-20261126-0042');
  await page.getByLabel('Receipt (PDF, JPG or PNG, up to 10 MB)').setInputFiles({
    name: 'receipt.pdf', mimeType: 'application/pdf', buffer: PDF,
  });
  await page.getByRole('button', { name: 'Record payment' }).click();
  await page.getByText('Payment recorded. Staff will confirm it shortly.').waitFor(WAIT);
  const myRow = page.getByTestId('my-payments').locator('tbody tr').filter({ hasText: 'FPS-20261126-0042' });
  await myRow.waitFor(WAIT);
  assert.match(await myRow.innerText(), /FPS\s+FPS-20261126-0042\s+HK\$300\.00\s+Waiting for review/);
  // Recording a payment changes nothing yet.
  assert.equal(await page.getByTestId('account-balance').innerText(), 'HK$5.00');

  // Staff: the queue lists it; the receipt opens as the PDF that was uploaded.
  const staff = await staffPage(browser, ferry);
  const staffProblems = watchPage(staff);
  await staff.goto(`${ferry.url}/admin/payments`);
  await waitHydrated(staff);
  const row = staff.getByTestId('pending-payments').locator('tbody tr').filter({ hasText: customer.login });
  await row.waitFor(WAIT);
  assert.match(await row.innerText(), /FPS · FPS-20261126-0042\s+HK\$300\.00\s+Open receipt/);
  const href = await row.getByRole('link', { name: 'Open receipt' }).getAttribute('href');
  assert.match(href, /^\/documents\/\d+$/);
  const receipt = await staff.request.get(`${ferry.url}${href}`);
  assert.equal(receipt.status(), 200);
  assert.match(receipt.headers()['content-type'], /^application\/pdf/);
  assert.deepEqual(await receipt.body(), PDF);
  // The customer can open their own receipt; nobody else can.
  assert.equal((await page.request.get(`${ferry.url}${href}`)).status(), 200);
  const stranger = await newCustomer('nosy');
  assert.equal((await stranger.page.request.get(`${ferry.url}${href}`)).status(), 404);
  await stranger.context.close();

  await row.getByRole('button', { name: 'Confirm' }).click();
  await row.waitFor({ state: 'detached', ...WAIT });
  assert.deepEqual(staffProblems, []);
  await staff.context().close();

  // Customer: the navigation's balance follows when the tab gets the focus back, without a
  // reload; then the balance on the page, the payment's status, the statement.
  const url = page.url();
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
  await page.getByTestId('nav-balance').filter({ hasText: 'HK$305.00' }).waitFor(WAIT);
  assert.equal(page.url(), url);
  await openAccount(page);
  await page.getByTestId('account-balance').filter({ hasText: 'HK$305.00' }).waitFor(WAIT);
  assert.equal(await page.getByTestId('nav-balance').innerText(), 'HK$305.00');
  assert.match(await myRow.innerText(), /HK\$300\.00\s+Confirmed/);
  const rows = await statementRows(page);
  const topUp = rows.find((r) => /\tTop-up\t/.test(r));
  assert.ok(topUp, `a Top-up row in ${JSON.stringify(rows)}`);
  assert.match(topUp, /Top-up\s+Top-up \(payment #\d+\)\s+HK\$300\.00\s+HK\$305\.00/);
  assert.ok(rows.some((r) => /Trial credit/.test(r)), 'the trial credit is still listed');
  assert.deepEqual(customer.problems, []);
  await customer.context.close();
});

test('staff create a sender ID; the customer sees it on the account page and picks it in the composer', async () => {
  const customer = await newCustomer('sid');
  const { page } = customer;
  await page.getByText('No sender IDs yet').waitFor(WAIT);

  const staff = await staffPage(browser, ferry);
  const staffProblems = watchPage(staff);
  await openAdminAccount(staff, ferry.url, customer.login);
  await staff.getByLabel('New sender ID').fill('AcmeHK');
  await staff.getByRole('button', { name: 'Create sender ID' }).click();
  await staff.getByTestId('staff-sender-ids').getByText('AcmeHK').waitFor(WAIT);
  assert.match(await staff.getByTestId('staff-sender-ids').innerText(), /AcmeHK · active/);
  assert.deepEqual(staffProblems, []);
  await staff.context().close();

  await openAccount(page);
  await page.getByTestId('my-sender-ids').waitFor(WAIT);
  assert.equal((await page.getByTestId('my-sender-ids').innerText()).trim(), 'AcmeHK');

  await page.getByRole('link', { name: 'Broadcast SMS' }).click();
  await page.waitForURL(`${ferry.url}/broadcast`);
  await page.getByLabel(/HK Business/).check();
  const select = page.getByLabel('Sender ID', { exact: true });
  await select.waitFor(WAIT);
  assert.equal(await select.getAttribute('id'), 'composer-sender-id');
  assert.deepEqual(await select.locator('option').allInnerTexts(), ['AcmeHK']);
  await select.selectOption('AcmeHK');
  assert.equal(await select.inputValue(), 'AcmeHK');
  // Routes without a sender ID hide the choice.
  await page.getByLabel(/HK Economic/).check();
  await page.locator('#composer-sender-id').waitFor({ state: 'detached', ...WAIT });
  assert.deepEqual(customer.problems, []);
  await customer.context.close();
});

test('staff link a sub-account and transfer balance; both statements, balances and the audit log show it', async () => {
  const primary = await newCustomer('prim');
  const sub = await newCustomer('sub');

  const staff = await staffPage(browser, ferry);
  const staffProblems = watchPage(staff);
  await openAdminAccount(staff, ferry.url, sub.login);
  await staff.getByText('Primary account.').waitFor(WAIT);
  await staff.getByLabel('Make this a sub-account of (login name)').fill(primary.login);
  await staff.getByRole('button', { name: 'Link' }).click();
  await staff.getByText(`Sub-account of ${primary.login}.`).waitFor(WAIT);

  const to = staff.getByLabel('Transfer to');
  await to.waitFor(WAIT);
  assert.deepEqual(await to.locator('option').allInnerTexts(), [primary.login]);
  await to.selectOption({ label: primary.login });
  await staff.getByLabel('Amount (HK$)').fill('2.00');
  await staff.getByLabel('Note').fill('Campaign budget');
  await staff.getByRole('button', { name: 'Transfer balance' }).click();
  await staff.getByText('Transferred; both statements show it.').waitFor(WAIT);
  await staff.getByTestId('staff-balance').filter({ hasText: 'HK$3.00' }).waitFor(WAIT);

  // The primary's page lists the sub-account.
  await openAdminAccount(staff, ferry.url, primary.login);
  await staff.getByText(`Sub-accounts: ${sub.login}.`).waitFor(WAIT);
  assert.equal(await staff.getByTestId('staff-balance').innerText(), 'HK$7.00');

  // The audit log records the link and the transfer.
  await staff.getByRole('link', { name: 'Audit log' }).click();
  await staff.waitForURL(`${ferry.url}/admin/audit`);
  const audit = staff.getByTestId('audit');
  await audit.waitFor(WAIT);
  const transferRow = audit.locator('tbody tr').filter({ hasText: 'ledger.transfer' });
  assert.equal(await transferRow.count(), 1);
  const transferText = await transferRow.innerText();
  assert.match(transferText, new RegExp(`${ferry.staff.login}\\s+ledger\\.transfer\\s+${sub.login}`));
  assert.match(transferText, /"amount":20000/);
  assert.match(transferText, /Campaign budget/);
  assert.equal(await audit.locator('tbody tr').filter({ hasText: 'account.link_sub_account' }).count(), 1);
  assert.deepEqual(staffProblems, []);
  await staff.context().close();

  // Each customer sees the transfer on their own statement and the new balance.
  const subRows = await statementRows(sub.page);
  const out = subRows.find((r) => /Transfer out/.test(r));
  assert.ok(out, `a Transfer out row in ${JSON.stringify(subRows)}`);
  assert.match(out, new RegExp(`Transfer out\\s+Transfer to ${primary.login}: Campaign budget\\s+-HK\\$2\\.00\\s+HK\\$3\\.00`));
  await openAccount(sub.page);
  await sub.page.getByTestId('account-balance').filter({ hasText: 'HK$3.00' }).waitFor(WAIT);
  assert.equal(await sub.page.getByTestId('nav-balance').innerText(), 'HK$3.00');

  const primaryRows = await statementRows(primary.page);
  const into = primaryRows.find((r) => /Transfer in/.test(r));
  assert.ok(into, `a Transfer in row in ${JSON.stringify(primaryRows)}`);
  assert.match(into, new RegExp(`Transfer in\\s+Transfer from ${sub.login}: Campaign budget\\s+HK\\$2\\.00\\s+HK\\$7\\.00`));
  await openAccount(primary.page);
  await primary.page.getByTestId('account-balance').filter({ hasText: 'HK$7.00' }).waitFor(WAIT);
  assert.equal(await primary.page.getByTestId('nav-balance').innerText(), 'HK$7.00');

  assert.deepEqual(primary.problems, []);
  assert.deepEqual(sub.problems, []);
  await primary.context.close();
  await sub.context.close();
});

test('the Account page loaded directly (a reload or a typed address) hydrates cleanly and its links work', async () => {
  const customer = await newCustomer('reload');
  const { page, problems } = customer;
  await page.goto(`${ferry.url}/account`);
  await waitHydrated(page);
  await page.getByTestId('account-balance').filter({ hasText: 'HK$5.00' }).waitFor(WAIT);
  await page.waitForTimeout(500); // let any hydration error reach the console
  await page.getByRole('link', { name: 'Broadcast SMS' }).click();
  const linkWorks = await page.waitForURL(`${ferry.url}/broadcast`, { timeout: 10_000 }).then(() => true, () => false);
  // Both facts in one assertion, so a failure shows the console errors and the dead link together.
  assert.deepEqual(
    { problems: problems.map((p) => p.split('\n')[0]), linkWorks },
    { problems: [], linkWorks: true },
    'no console errors while hydrating /account, and its navigation links work',
  );
  await customer.context.close();
});
