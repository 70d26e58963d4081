// What the browser downloads (issue 18): the portal's WebAssembly is split at its page groups,
// so the sign-in page loads only the main module and the visitor pages' code, a customer never
// downloads the staff console, and every page still hydrates when it is the first one opened.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startFerry, launchBrowser, waitHydrated, watchPage, uniqueLogin, signUp } from '../lib/harness.mjs';

const FIRST_PAGE_LIMIT = 400_000;

let ferry;
let browser;
let pkg;
let groups;
before(async () => {
  ferry = await startFerry();
  browser = await launchBrowser();
  pkg = join(process.env.FERRY_SITE_DIR, 'pkg');
  // split name (`<group>_<hash>`) -> the module files it needs, as the build wrote them.
  const manifest = JSON.parse(readFileSync(join(pkg, '__wasm_split_manifest.json'), 'utf8'));
  groups = Object.fromEntries(Object.entries(manifest).map(([split, stems]) => [
    split.replace(/_\d+$/, ''), stems.map((s) => `${s}.wasm`),
  ]));
});
after(async () => { await browser?.close(); await ferry?.stop(); });

/** Records the file names of every script and WebAssembly module the page fetches from /pkg. */
function recordPkg(page) {
  const files = new Set();
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/pkg/') && /\.(wasm|js)$/.test(path)) files.add(path.slice(5));
  });
  return files;
}

const gzipSize = (file) => statSync(join(pkg, `${file}.gz`)).size;

test('the sign-in page downloads the main module and the visitor pages only, under 400 KB gzip', async () => {
  assert.deepEqual(Object.keys(groups).sort(), ['composer_page', 'customer_pages', 'staff_pages', 'visitor_pages']);
  const page = await browser.newPage();
  const problems = watchPage(page);
  const files = recordPkg(page);
  const response = await page.goto(`${ferry.url}/login`);
  await waitHydrated(page);
  // The server names the page's modules in <head>, so they load beside the main module.
  const html = await response.text();
  for (const file of groups.visitor_pages) {
    const link = new RegExp(`<link as="fetch"[^>]* href="/pkg/${file.replace('.', '\\.')}" rel="preload"`);
    assert.match(html, link, `${file} is preloaded`);
  }
  const modules = [...files].filter((f) => f.endsWith('.wasm')).sort();
  assert.deepEqual(modules, ['ferry_bg.wasm', ...groups.visitor_pages].sort());
  const total = [...files].reduce((sum, f) => sum + gzipSize(f), 0);
  assert.ok(total <= FIRST_PAGE_LIMIT, `the sign-in page downloads ${total} B gzip`);
  // It is live: a client-side check runs without a round trip.
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Enter your login name.').waitFor();
  // Chromium logs the refusal's 422 status itself; nothing else may be logged.
  assert.deepEqual(problems.filter((p) => !p.includes('status of 422')), []);
  await page.close();
});

test("a customer's pages never download the staff console, and each hydrates when opened first", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchPage(page);
  await signUp(page, ferry.url, uniqueLogin('bundle'));
  const files = recordPkg(page);
  for (const path of ['/broadcast', '/results', '/inbox', '/address-book', '/account', '/account/statement', '/developers']) {
    await page.goto(`${ferry.url}${path}`);
    await waitHydrated(page);
  }
  // Client-side navigation between groups loads the next group's code too.
  await page.getByRole('link', { name: 'Broadcast SMS' }).click();
  await page.waitForURL(`${ferry.url}/broadcast`);
  await page.getByLabel('Message').pressSequentially('hello');
  await page.getByTestId('composer-units').filter({ hasText: '5 characters' }).waitFor();
  const staffOnly = groups.staff_pages.filter((f) => !Object.entries(groups)
    .some(([group, list]) => group !== 'staff_pages' && list.includes(f)));
  assert.ok(staffOnly.length > 0, 'the staff console has code of its own');
  for (const file of staffOnly) assert.ok(!files.has(file), `${file} (staff console) was downloaded`);
  for (const file of [...groups.composer_page, ...groups.customer_pages]) {
    assert.ok(files.has(file), `${file} was downloaded`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});
