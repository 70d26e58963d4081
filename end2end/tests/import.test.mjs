// Quick import in the composer (§6): an XLSX upload appends its numbers to the recipients, shows
// the imported and rejected counts with the rejected rows, and the cost updates at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startFerry, launchBrowser, watchPage, uniqueLogin, signUp } from '../lib/harness.mjs';

// Made by app/src/import/tests.rs (`write_xlsx_fixture`): a "Mobile" header, 91234567 stored as a
// number, "+852 6123 4567", "hello", a landline and a duplicate of the first number.
const XLSX = readFileSync(new URL('../../engine/tests/fixtures/recipients.xlsx', import.meta.url));

let ferry;
let browser;
before(async () => { ferry = await startFerry(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await ferry?.stop(); });

async function openComposer(context) {
  const page = await context.newPage();
  await signUp(page, ferry.url, uniqueLogin('imp'));
  await page.getByRole('link', { name: 'Broadcast SMS' }).click();
  await page.waitForURL(`${ferry.url}/broadcast`);
  await page.getByLabel('Message').waitFor();
  return page;
}

const text = (page, id) => page.getByTestId(id).innerText();

test('an XLSX upload adds its numbers, lists the rejected rows and updates the cost', async () => {
  const context = await browser.newContext();
  const page = await openComposer(context);
  const problems = watchPage(page);

  await page.getByLabel('Message').pressSequentially('Hello from Ferry');
  await page.getByLabel('Recipients', { exact: true }).fill('5123 4567');
  assert.equal(await text(page, 'composer-cost'), 'HK$0.32');

  await page.getByLabel('Import numbers (CSV, XLS, XLSX)').setInputFiles({
    name: 'customers.xlsx',
    mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    buffer: XLSX,
  });
  await page.getByTestId('import-imported').waitFor();
  assert.equal(await text(page, 'import-imported'), '2 numbers imported');
  assert.equal(await text(page, 'import-rejected'), '2 rows rejected');
  const rows = await page.getByTestId('import-rejected-rows').locator('tbody tr').allInnerTexts();
  assert.equal(rows.length, 2);
  assert.match(rows[0], /^4\s+hello\s+the number contains 'h'/);
  assert.match(rows[1], /^5\s+2123 4567\s+.*landline/);
  const href = await page.getByTestId('import-rejected-download').getAttribute('href');
  assert.ok(decodeURIComponent(href).includes('row,input,reason'), href);

  // The numbers are in the recipients box, and the live count and cost include them.
  const recipients = await page.getByLabel('Recipients', { exact: true }).inputValue();
  assert.equal(recipients, '5123 4567\n+85291234567\n+85261234567\n');
  assert.equal(await text(page, 'composer-recipients'), '3 numbers');
  assert.equal(await text(page, 'composer-cost'), 'HK$0.96');
  assert.deepEqual(problems, []);
  await context.close();
});

test('an unreadable file says what to do and adds nothing', async () => {
  const context = await browser.newContext();
  const page = await openComposer(context);
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Mobile\r\n91234567\r\n', 'utf16le')]);
  await page.getByLabel('Import numbers (CSV, XLS, XLSX)').setInputFiles({ name: 'list.csv', mimeType: 'text/csv', buffer: utf16 });
  await page.getByTestId('import-error').waitFor();
  assert.match(await text(page, 'import-error'), /UTF-16.*CSV UTF-8/);
  assert.equal(await page.getByLabel('Recipients', { exact: true }).inputValue(), '');
  await context.close();
});

test('a group from the address book can be added as recipients', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signUp(page, ferry.url, uniqueLogin('book'));
  await page.getByRole('link', { name: 'Address Book' }).click();
  await page.waitForURL(`${ferry.url}/address-book`);
  await page.getByLabel('Name', { exact: true }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('Ann Chan');
  await page.getByLabel('Mobile number').first().fill('9123 4567');
  await page.getByRole('button', { name: 'Add contact' }).click();
  await page.getByTestId('contacts').getByText('Ann Chan').waitFor();
  await page.getByLabel('New group').fill('VIP');
  await page.getByRole('button', { name: 'Create group' }).click();
  await page.getByLabel('Ann Chan in VIP').check();
  await page.getByTestId('groups').getByText('VIP (1 contact)').waitFor();

  await page.getByRole('link', { name: 'Broadcast SMS' }).click();
  await page.waitForURL(`${ferry.url}/broadcast`);
  await page.getByLabel('Message').pressSequentially('Hi');
  await page.getByLabel('Add a group').selectOption({ label: 'VIP (1)' });
  await page.getByText('1 number(s) added.').waitFor();
  assert.equal(await page.getByLabel('Recipients', { exact: true }).inputValue(), '+85291234567\n');
  assert.equal(await text(page, 'composer-recipients'), '1 number');
  await context.close();
});
