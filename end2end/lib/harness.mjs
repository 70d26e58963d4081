// Starts a real Ferry (its own port, its own SQLite data directory) and a headless Debian
// Chromium driven by playwright-core. Never downloads a browser.
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { chromium } from 'playwright-core';

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `ferry serve` and resolves once it listens, with the staff login it printed. `env`
 * adds configuration (`FERRY_*` variables), e.g. the simulator's outcome mix.
 */
export async function startFerry({ env: extra = {} } = {}) {
  const bin = process.env.FERRY_BIN;
  const site = process.env.FERRY_SITE_DIR;
  if (!bin || !site) throw new Error('FERRY_BIN and FERRY_SITE_DIR must be set (scripts/test.sh sets them)');
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-e2e-'));
  // The tests' callback receivers listen on this machine, which Ferry refuses to call by default.
  const env = {
    ...process.env, FERRY_DATA_DIR: dataDir, FERRY_SITE_DIR: site, FERRY_LOG: 'warn',
    FERRY_CALLBACKS__ALLOW_PRIVATE_TARGETS: 'true', ...extra,
  };
  delete env.DATABASE_URL;
  delete env.FERRY_DATABASE_URL;
  const child = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ferry did not start in 60 s\n${out}\n${err}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Ferry is running at')) { clearTimeout(timer); resolve(); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`ferry exited with ${code}\n${out}\n${err}`)); });
  });
  await ready;
  const login = /staff login:\s+(\S+)/.exec(out)?.[1];
  const password = /staff password:\s+(\S+)/.exec(out)?.[1];
  const url = `http://127.0.0.1:${port}`;
  dataDirs.set(url, dataDir);
  return {
    url,
    staff: { login, password },
    stdout: () => out,
    stderr: () => err,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => { if (child.exitCode !== null) r(); else child.on('exit', r); });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

/** Waits until the WASM has hydrated the page (the app root says so). */
export async function waitHydrated(page) {
  await page.waitForSelector('#app[data-hydrated="true"]', { timeout: 30_000 });
}

/**
 * What a page fetched that did not arrive (network failures, answers of 400 and above), for a
 * failing test's message: not part of `watchPage`'s problems, because navigations legitimately
 * abort requests and some pages are meant to answer 403.
 */
export function recordNetwork(page) {
  const log = [];
  page.on('requestfailed', (r) => log.push(`failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => { if (r.status() >= 400) log.push(`${r.status()}: ${r.request().method()} ${r.url()}`); });
  return log;
}

/**
 * Runs `wait`; if it throws, throws again with what the page and the server saw: the
 * console's errors, the requests that did not arrive, the page's URL and text, and the end of
 * Ferry's log. A flaky wait then explains itself in CI's output.
 */
export async function explained(wait, { page, problems = [], network = [], ferry }) {
  try {
    return await wait();
  } catch (e) {
    const text = await page.locator('body').innerText({ timeout: 2_000 }).catch((x) => `(unreadable: ${x.message})`);
    e.message += [
      `\n--- page ${page.url()}`,
      `--- console: ${problems.join(' | ') || 'none'}`,
      `--- requests that did not arrive: ${network.join(' | ') || 'none'}`,
      `--- page text: ${text.slice(0, 800)}`,
      `--- ferry's log (end): ${(ferry?.stderr?.() ?? '').slice(-2000) || 'empty'}`,
    ].join('\n');
    throw e;
  }
}

/** Collects console errors and failed requests so a test can assert the page is clean. */
export function watchPage(page) {
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

/** The data directory of each Ferry this process started, by its URL. */
const dataDirs = new Map();

/**
 * The one-time code in the last SMS of `kind` ('Mobile verification code', 'Password reset
 * code') that Ferry at `base` sent to `login`: what its owner would read on their phone.
 * Read from Ferry's SQLite file with Debian's sqlite3.
 */
export function lastCodeSms(base, login, kind = 'Mobile verification code') {
  const text = lastCodeSmsText(base, login, kind);
  const code = /\b(\d{8})\b/.exec(text)?.[1];
  if (!code) throw new Error(`no code SMS for ${login}: ${text}`);
  return code;
}

/** The whole text of that SMS, as the phone shows it. */
export function lastCodeSmsText(base, login, kind = 'Mobile verification code') {
  const db = join(dataDirs.get(base), 'ferry.db');
  const sql = `SELECT b.final_text FROM batches b JOIN accounts a ON a.id = b.account_id WHERE a.login_name = '${login.replace(/'/g, "''")}' AND b.content = '${kind}' ORDER BY b.id DESC LIMIT 1`;
  return execFileSync('sqlite3', [db, sql], { encoding: 'utf8' });
}

let counter = 0;
export function uniqueLogin(prefix = 'user') {
  counter += 1;
  return `${prefix}${process.pid}${counter}${Date.now() % 100000}`;
}

/**
 * A Hong Kong mobile number of its own for each sign-up, in the 9100 xxxx range (different
 * customers have different phones; Ferry sends at most three verification codes a day to one
 * number). Every number of that range is a valid Hong Kong mobile (the import tests read
 * 50,000 of them).
 */
export function uniqueMobile() {
  counter += 1;
  const n = String((process.pid * 7 + counter * 13) % 10_000).padStart(4, '0');
  return `9100 ${n}`;
}

/**
 * Signs up a trial account on the sign-up page and (unless `verify` is false) verifies its
 * mobile with the code the SMS carried. Resolves to the registered mobile: `local` as typed
 * (`9100 xxxx`) and `e164` digits (`8529100xxxx`).
 */
export async function signUp(page, base, login, password = 'a long enough password', { verify = true, mobile = uniqueMobile() } = {}) {
  await page.goto(`${base}/signup`);
  await waitHydrated(page);
  await page.getByLabel('Login name').fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByLabel('Company name').fill('Acme Trading Ltd');
  await page.getByLabel('Contact email').fill('ops@acme.example');
  await page.getByLabel('Registered mobile number').fill(mobile);
  const seen = [];
  const onResponse = (r) => seen.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  const onRequest = (r) => seen.push(`-> ${r.method()} ${r.url()}`);
  page.on('response', onResponse);
  page.on('request', onRequest);
  await page.getByRole('button', { name: 'Create account' }).click();
  try {
    await page.waitForURL(`${base}/account`);
  } catch (e) {
    // Say what the page showed instead (an error message, a throttle) rather than only "timeout".
    const shown = await page.locator('main').innerText().catch(() => '(no page)');
    throw new Error(`sign-up of ${login} did not reach the account page; requests:\n${seen.join('\n')}\nthe page shows:\n${shown}\n${e.message}`);
  } finally {
    page.off('response', onResponse);
    page.off('request', onRequest);
  }
  if (verify) await verifyMobile(page, base, login);
  return { local: mobile, e164: `852${mobile.replace(' ', '')}` };
}

/** On the account page: enters the verification code the SMS carried, as its owner would. */
export async function verifyMobile(page, base, login) {
  await waitHydrated(page);
  const card = page.getByTestId('verify-mobile');
  await card.waitFor({ timeout: 30_000 });
  await card.getByLabel('Code from the SMS').fill(lastCodeSms(base, login));
  await card.getByRole('button', { name: 'Verify' }).click();
  await page.getByText('Your mobile number is verified.').waitFor({ timeout: 30_000 });
}

export async function logIn(page, base, login, password) {
  await page.goto(`${base}/login`);
  await waitHydrated(page);
  await page.getByLabel('Login name').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** RFC 4648 base32 (spaces ignored) to bytes: the key an authenticator app is given. */
function base32Bytes(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/\s+/g, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The 30-second step now. */
export function totpStep(ms = Date.now()) {
  return Math.floor(ms / 30_000);
}

/** The TOTP code (RFC 6238, SHA-1, 6 digits) for a base32 key at `step`, as a phone app computes it. */
export function totp(secret, step = totpStep()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const digest = createHmac('sha1', base32Bytes(secret)).update(counter).digest();
  const offset = digest[19] & 0x0f;
  const binary = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

/**
 * On `page` (signed in), sets up two-factor sign-in as a person with an authenticator app
 * would: starts it, reads the key, types the app's code. Resolves to the key, the recovery
 * codes and the step whose code was used.
 */
export async function setUpTwoFactor(page, base) {
  if (!page.url().endsWith('/account/two-factor')) {
    await page.goto(`${base}/account/two-factor`);
  }
  await waitHydrated(page);
  await page.getByRole('button', { name: /Set up two-factor sign-in|Replace authenticator/ }).click();
  const secret = await page.getByTestId('totp-secret').innerText();
  const step = totpStep();
  await page.getByLabel('Code from your app').fill(totp(secret, step));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByTestId('recovery-codes').waitFor({ timeout: 30_000 });
  const recoveryCodes = await page.getByTestId('recovery-codes').locator('li').allInnerTexts();
  return { secret, recoveryCodes, lastStep: step };
}

/**
 * The staff member's next second factor: the app's code for the earliest step not used yet
 * (Ferry takes each code once, from the step before to the step after now), or a recovery code
 * when several sign-ins come within one step.
 */
function nextStaffCode(ferry) {
  const tf = ferry.staff.twoFactor;
  const step = Math.max(totpStep(), tf.lastStep + 1);
  if (step <= totpStep() + 1) {
    tf.lastStep = step;
    return totp(tf.secret, step);
  }
  return tf.recoveryCodes.pop();
}

/**
 * Signs the staff login `startFerry()` printed in on `page`. The first time, staff are sent to
 * set up two-factor sign-in (required for staff) and do; after that they type the app's code.
 */
export async function staffLogIn(page, ferry) {
  await logIn(page, ferry.url, ferry.staff.login, ferry.staff.password);
  if (!ferry.staff.twoFactor) {
    await page.waitForURL(`${ferry.url}/account`);
    ferry.staff.twoFactor = await setUpTwoFactor(page, ferry.url);
    return;
  }
  await page.getByLabel('Authentication code').fill(nextStaffCode(ferry));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${ferry.url}/account`);
}

/** A new browser context signed in as the staff login `startFerry()` printed; resolves to its page. */
export async function staffPage(browser, ferry) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await staffLogIn(page, ferry);
  await page.goto(`${ferry.url}/account`);
  await waitHydrated(page);
  return page;
}

/** Staff: finds a customer on /admin/accounts by login name and opens its page; resolves to its id. */
export async function openAdminAccount(page, base, login) {
  await page.goto(`${base}/admin/accounts`);
  await waitHydrated(page);
  await page.getByLabel('Search by login name, company or mobile').fill(login);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL((u) => u.pathname === '/admin/accounts' && u.searchParams.get('q') === login);
  await page.getByTestId('accounts').getByRole('link', { name: login, exact: true }).click();
  await page.waitForURL(/\/admin\/accounts\/\d+$/);
  await page.getByRole('heading', { name: new RegExp(`^${login} · `) }).waitFor();
  return Number(new URL(page.url()).pathname.split('/').pop());
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

/**
 * Makes the customer on `page` a normal account, as in real life: it uploads a business
 * registration certificate on its account page and staff (`staff`, a signed-in staff page)
 * approve it.
 */
export async function approveBusiness(page, staff, base, login) {
  await page.goto(`${base}/account`);
  await waitHydrated(page);
  await page.getByLabel('Certificate (PDF, JPG or PNG, up to 10 MB)').setInputFiles({ name: 'br.pdf', mimeType: 'application/pdf', buffer: PDF });
  await page.getByRole('button', { name: 'Upload certificate' }).click();
  await page.getByText('Certificate uploaded for review.').waitFor({ timeout: 30_000 });
  await staff.goto(`${base}/admin/registrations`);
  await waitHydrated(staff);
  const row = staff.locator('tbody tr').filter({ hasText: login });
  await row.getByRole('button', { name: 'Approve' }).click();
  await row.waitFor({ state: 'detached', timeout: 30_000 });
}

/** Staff (`staff`, a signed-in staff page) create a sender ID for `login`. */
export async function createSenderIdFor(staff, base, login, senderId) {
  await openAdminAccount(staff, base, login);
  await staff.getByLabel('New sender ID').fill(senderId);
  await staff.getByRole('button', { name: 'Create sender ID' }).click();
  await staff.getByTestId('staff-sender-ids').getByText(senderId).waitFor({ timeout: 30_000 });
}
