// Recipients and results from the browser (§6, §9): staff import the do-not-call register, a
// customer (approved by staff from a trial account) ticks the filter, the listed numbers appear
// in the batch result as Do-Not-Call and are not charged; the results page searches by period,
// sender ID and status; the batch page filters by error, draws its status chart and exports CSV;
// the account page draws 30 days of usage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startFerry, launchBrowser, waitHydrated, watchPage, uniqueLogin, signUp, staffPage,
} from '../lib/harness.mjs';

const WAIT = { timeout: 30_000 };
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

let ferry;
let browser;
before(async () => { ferry = await startFerry(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await ferry?.stop(); });

/** `YYYY-MM-DD` in Hong Kong time, `days` from today. */
function hktDate(days) {
  return new Date(Date.now() + days * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);
}

test('do-not-call: the ticked filter leaves listed numbers out free, the result lists them, search, chart, export and usage show the batch', async () => {
  // Staff import the register (two numbers).
  const staff = await staffPage(browser, ferry);
  const staffProblems = watchPage(staff);
  await staff.goto(`${ferry.url}/admin/dnc`);
  await waitHydrated(staff);
  await staff.getByLabel('Register date').fill('2026-11-01');
  await staff.getByLabel('Register file (CSV)').setInputFiles({
    name: 'ofca.csv', mimeType: 'text/csv', buffer: Buffer.from('Telephone Number\r\n6123 4567\r\n6123 4568\r\n'),
  });
  await staff.getByRole('button', { name: 'Import register' }).click();
  await staff.getByTestId('dnc-imported').filter({ hasText: 'Imported 2 numbers' }).waitFor(WAIT);

  // A customer uploads a business registration; staff approve it, so it may send to anyone.
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchPage(page);
  const login = uniqueLogin('dnc');
  await signUp(page, ferry.url, login);
  await waitHydrated(page);
  await page.getByLabel('Certificate (PDF, JPG or PNG, up to 10 MB)').setInputFiles({ name: 'br.pdf', mimeType: 'application/pdf', buffer: PDF });
  await page.getByRole('button', { name: 'Upload certificate' }).click();
  await page.getByText('Certificate uploaded for review.').waitFor(WAIT);
  await staff.goto(`${ferry.url}/admin/registrations`);
  await waitHydrated(staff);
  const row = staff.locator('tbody tr').filter({ hasText: login });
  await row.getByRole('button', { name: 'Approve' }).click();
  await row.waitFor({ state: 'detached', ...WAIT });

  // Compose to three numbers, two of them on the register, and tick the filter.
  await page.goto(`${ferry.url}/broadcast`);
  await waitHydrated(page);
  await page.getByLabel(/HK Economic/).check();
  await page.getByLabel('Message').fill('Members night on Friday. Ferry Club');
  await page.getByLabel('Recipients', { exact: true }).fill('9123 4567\n6123 4567\n6123 4568');
  assert.equal(await page.getByTestId('composer-cost').innerText(), 'HK$0.66', 'the live estimate before the register is consulted');
  const dnc = page.getByLabel('Filter do-not-call numbers (free)');
  // The box sits right beside its words, not a text box's width away.
  const box = await dnc.boundingBox();
  const label = await page.locator('label[for="composer-filter-dnc"]').boundingBox();
  assert.ok(box.width < 32, `the check box is ${box.width}px wide`);
  assert.ok(box.x - label.x < 8, `the check box starts ${box.x - label.x}px into its label`);
  await dnc.check();
  await page.getByRole('button', { name: 'Check recipients and cost' }).click();
  const check = page.getByTestId('check-result');
  await check.waitFor(WAIT);
  assert.equal(await page.getByTestId('check-dnc').innerText(), '2 number(s) on the do-not-call register will be left out, free of charge.');
  assert.equal(await page.getByTestId('check-total').innerText(), 'HK$0.22');
  await page.getByTestId('send-button').click();
  await page.waitForURL(/\/results\/\d+$/, WAIT);
  const id = Number(new URL(page.url()).pathname.split('/').pop());
  await page.getByTestId('batch-progress').filter({ hasText: '3 of 3 messages final (100%)' }).waitFor(WAIT);
  assert.equal(await page.getByTestId('batch-total').innerText(), '3');
  assert.equal(await page.getByTestId('batch-charge').innerText(), 'HK$0.22');
  assert.match(await page.getByTestId('batch-counts').innerText(), /UNDELIVERABLE\s+2/);

  // The batch page, reloaded: the chart is drawn, and the error filter lists the two.
  await page.goto(`${ferry.url}/results/${id}`);
  await waitHydrated(page);
  const chart = page.getByTestId('status-chart');
  await chart.waitFor(WAIT);
  assert.match(await chart.locator('svg').getAttribute('aria-label'), /UNDELIVERABLE 2/);
  await page.getByLabel('Error').selectOption('10');
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  await page.waitForURL((u) => u.searchParams.get('error') === '10', WAIT);
  await page.getByTestId('messages-matching').filter({ hasText: '2 messages match' }).waitFor(WAIT);
  const rows = await page.getByTestId('batch-messages').locator('tbody tr').allInnerTexts();
  assert.equal(rows.length, 2);
  for (const r of rows) assert.match(r, /\+8526123456[78]\s+1\s+UNDELIVERABLE\s+10 Do-Not-Call\s+HK\$0\.00/);

  // The export holds every message with its error.
  const href = await page.getByTestId('batch-export').getAttribute('href');
  const csv = await (await page.request.get(`${ferry.url}${href}`)).text();
  const lines = csv.trim().split('\r\n');
  assert.equal(lines.length, 4, csv);
  assert.equal(lines.filter((l) => l.includes(',21,UNDELIVERABLE,10,Do-Not-Call,0.0000,')).length, 2, csv);

  // The period search finds it today, not yesterday, and by its status.
  await page.goto(`${ferry.url}/results`);
  await waitHydrated(page);
  await page.getByLabel('Sent from').fill(hktDate(-1));
  await page.getByLabel('To', { exact: true }).fill(hktDate(-1));
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('No batches match').waitFor(WAIT);
  // The search was a new page: typing before it hydrates would be undone by hydration, which
  // sets each filter box back to the address's value (and the page's code loads first now).
  await waitHydrated(page);
  await page.getByLabel('Sent from').fill(hktDate(0));
  await page.getByLabel('To', { exact: true }).fill(hktDate(0));
  await page.getByLabel('With messages').selectOption('21');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByTestId('batches-found').filter({ hasText: '1 batch found' }).waitFor(WAIT);
  assert.match(await page.getByTestId('batches').innerText(), new RegExp(`#${id}`));

  // The account page draws the day's sending.
  await page.goto(`${ferry.url}/account`);
  await waitHydrated(page);
  const usage = page.getByTestId('usage-chart');
  await usage.getByText('1 in 30 days').waitFor(WAIT);
  await usage.getByText('HK$0.22 in 30 days').waitFor(WAIT);

  assert.deepEqual(problems, []);
  assert.deepEqual(staffProblems, []);
  await context.close();
  await staff.context().close();
});
