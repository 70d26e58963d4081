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
  // page group (each split is named after its group) -> the module files it needs, as the
  // build wrote them.
  const manifest = JSON.parse(readFileSync(join(pkg, '__wasm_split_manifest.json'), 'utf8'));
  groups = Object.fromEntries(Object.entries(manifest).map(([group, stems]) => [
    group, stems.map((s) => `${s}.wasm`),
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

test("a page whose code cannot be downloaded says so and loads when tried again, instead of staying blank", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchPage(page);
  await signUp(page, ferry.url, uniqueLogin('dropped'));
  await page.goto(`${ferry.url}/account`);
  await waitHydrated(page);
  // The composer's own modules (those the account page did not already need) fail as they
  // would when the connection drops while the browser fetches them.
  const composerOnly = groups.composer_page.filter((f) => !groups.customer_pages.includes(f));
  assert.ok(composerOnly.length > 0, 'the composer has code of its own');
  const dropped = [];
  const drop = (route) => { dropped.push(new URL(route.request().url()).pathname); return route.abort('connectionreset'); };
  const isComposerModule = (url) => composerOnly.some((f) => url.pathname === `/pkg/${f}`);
  await page.route(isComposerModule, drop);
  await page.getByRole('link', { name: 'Broadcast SMS' }).click();
  await page.waitForURL(`${ferry.url}/broadcast`);
  await page.getByRole('heading', { name: 'This page did not load' }).waitFor();
  await page.getByRole('alert').filter({ hasText: 'the connection may have dropped' }).waitFor();
  assert.ok(dropped.length > 0, 'the composer modules were requested and dropped');
  // The page is not dead: the navigation still works and nothing panicked.
  assert.deepEqual(problems.filter((p) => /panicked|unreachable|RuntimeError/.test(p)), []);
  await page.unroute(isComposerModule, drop);
  await page.getByRole('button', { name: 'Try again' }).click();
  await page.getByLabel('Message').waitFor();
  await waitHydrated(page);
  await page.getByLabel('Message').pressSequentially('hello');
  await page.getByTestId('composer-units').filter({ hasText: '5 characters' }).waitFor();
  await context.close();
});
