// The Content-Security-Policy in a real browser (issue 17): Ferry's own pages hydrate and
// stream their data under it without a single violation, while a script that gets into the
// page any other way is refused by Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFerry, launchBrowser, waitHydrated, watchPage, uniqueLogin, signUp } from '../lib/harness.mjs';

let ferry;
let browser;
before(async () => { ferry = await startFerry(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await ferry?.stop(); });

/** Records every CSP violation the page reports, from before its first script runs. */
async function recordViolations(context) {
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
}

test('pages hydrate under the policy and an injected inline script does not run', async () => {
  const context = await browser.newContext();
  await recordViolations(context);
  const page = await context.newPage();
  const problems = watchPage(page);

  // A whole sign-up (server functions, navigation) and a page that streams its data.
  await signUp(page, ferry.url, uniqueLogin('csp'));
  const response = await page.goto(`${ferry.url}/results`);
  await waitHydrated(page);
  const policy = response.headers()['content-security-policy'];
  assert.match(policy, /script-src 'self' 'nonce-[A-Za-z0-9_-]{22}' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(policy, /unsafe-inline/);
  assert.match(policy, /frame-ancestors 'none'/);
  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'Ferry itself breaks no rule');

  // What an injection would do: an inline script and an inline event handler, added to the
  // live page. Neither runs, and the browser reports both.
  await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.__injected = "script ran";';
    document.body.append(script);
    const img = document.createElement('img');
    img.setAttribute('src', '/favicon.svg?x');
    img.setAttribute('onload', 'window.__injected = "handler ran"');
    document.body.append(img);
  });
  await page.waitForFunction(() => window.__violations.length >= 2);
  assert.equal(await page.evaluate(() => window.__injected), undefined);
  const violations = await page.evaluate(() => window.__violations);
  assert.ok(violations.some((v) => v.startsWith('script-src-elem inline')), violations.join('\n'));
  assert.ok(violations.some((v) => v.startsWith('script-src-attr inline')), violations.join('\n'));

  // The page still works after the refusals: its links and forms are live WASM.
  await page.getByRole('link', { name: 'Broadcast SMS' }).click();
  await page.waitForURL(`${ferry.url}/broadcast`);
  // The refused injection logged its own console errors; nothing else did.
  assert.deepEqual(problems.filter((p) => !p.includes('Content Security Policy')), []);
  await context.close();
});

test('another site cannot frame the portal', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.setContent(`<iframe src="${ferry.url}/login"></iframe>`);
  const frame = page.frames()[1];
  // Chromium refuses to render it: the frame ends on its error page, never Ferry's sign-in.
  await page.waitForLoadState('load');
  assert.match(frame.url(), /^chrome-error:/);
  const framed = await frame.evaluate(() => document.querySelector('form') !== null).catch(() => false);
  assert.equal(framed, false);
  await context.close();
});
