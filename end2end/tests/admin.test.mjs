import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFerry, launchBrowser, waitHydrated, watchPage, uniqueLogin, signUp, logIn, setUpTwoFactor, totp, staffPage } from '../lib/harness.mjs';

let ferry;
let browser;
before(async () => { ferry = await startFerry(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await ferry?.stop(); });

test('the first staff sign-in sets up two-factor sign-in; from then on a code is needed', async () => {
  assert.equal(ferry.staff.login, 'admin');
  assert.match(ferry.staff.password, /^[A-Za-z0-9]{20}$/);
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, ferry.url, ferry.staff.login, ferry.staff.password);
  await page.waitForURL(`${ferry.url}/account`);

  // The console is out of reach until two-factor sign-in is set up: staff are sent to it.
  await page.getByRole('link', { name: 'Admin console' }).click();
  await page.waitForURL(`${ferry.url}/account/two-factor`);
  await page.getByText('Staff sign in with two factors').waitFor();
  ferry.staff.twoFactor = await setUpTwoFactor(page, ferry.url);
  assert.equal(ferry.staff.twoFactor.recoveryCodes.length, 10);
  for (const code of ferry.staff.twoFactor.recoveryCodes) assert.match(code, /^[a-z2-9]{5}-[a-z2-9]{5}$/);
  await page.getByRole('link', { name: 'Continue to the admin console' }).click();
  await page.waitForURL(`${ferry.url}/admin`);
  await page.getByRole('heading', { name: 'Recent sign-in attempts' }).waitFor();
  // Staff accounts hold no money: no balance beside Account.
  assert.equal(await page.getByTestId('nav-balance').count(), 0);
  assert.equal((await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Account/ }).innerText()).trim(), 'Account');
  // The sign-in we just made is listed with its source address (§13).
  assert.match(await page.locator('table').first().innerText(), /admin\s+127\.0\.0\.1\s+Signed in/);

  // Signing in again: the password alone is not enough, a wrong code is refused, the app's
  // code for the next step is taken, and a recovery code works once.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${ferry.url}/login`);
  await logIn(page, ferry.url, ferry.staff.login, ferry.staff.password);
  const code = page.getByLabel('Authentication code');
  await code.waitFor();
  assert.equal(new URL(page.url()).pathname, '/login');
  const right = totp(ferry.staff.twoFactor.secret, ferry.staff.twoFactor.lastStep + 1);
  await code.fill(String((Number(right) + 1) % 1_000_000).padStart(6, '0'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#field-code-error').filter({ hasText: 'That code is not right' }).waitFor();
  ferry.staff.twoFactor.lastStep += 1;
  await code.fill(right);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${ferry.url}/account`);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${ferry.url}/login`);
  const recovery = ferry.staff.twoFactor.recoveryCodes.pop();
  await logIn(page, ferry.url, ferry.staff.login, ferry.staff.password);
  await page.getByLabel('Authentication code').fill(recovery.toUpperCase());
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${ferry.url}/account`);
  await page.goto(`${ferry.url}/account/two-factor`);
  await page.getByTestId('two-factor-status').filter({ hasText: 'On. 9 of 10 recovery codes left.' }).waitFor();

  // The console shows the SMSC connections live: here the built-in simulator, bound.
  await page.goto(`${ferry.url}/admin`);
  await waitHydrated(page);
  await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'SMSC connections' }).click();
  await page.waitForURL(`${ferry.url}/admin/connections`);
  const row = page.getByTestId('smsc-connections').locator('tr[data-smsc="simulator"]');
  await row.getByText('Bound').waitFor();
  assert.match(await row.innerText(), /HK Business, HK Economic, China, International/);
  await context.close();
});

test('staff add, edit, disable and remove an SMSC connection in the console', async () => {
  const page = await staffPage(browser, ferry);
  const problems = watchPage(page);
  await page.goto(`${ferry.url}/admin/connections`);
  await waitHydrated(page);
  const table = page.getByTestId('smsc-connections');
  const simulator = table.locator('tr[data-smsc="simulator"]');
  await simulator.getByText('Bound').waitFor();
  const address = (await simulator.locator('code').innerText()).trim();

  // Nothing filled in: every problem is named next to its field, nothing is added.
  await page.getByRole('button', { name: 'Add connection' }).click();
  await page.locator('#field-name-error').filter({ hasText: 'Use 1 to 40 letters' }).waitFor();
  await page.locator('#field-routes-error').filter({ hasText: 'Choose at least one route' }).waitFor();
  await page.locator('#field-address-error').filter({ hasText: 'host and port' }).waitFor();

  // A real connection: the built-in simulator steps aside and the new one binds.
  await page.getByLabel('Name').fill('console-sim');
  await page.getByLabel('Address').fill(address);
  await page.getByLabel('System ID').fill('ferry');
  await page.getByLabel('Password').fill('ferry');
  await page.getByLabel('HK Business').check();
  await page.getByLabel('China').check();
  await page.getByLabel('Priority').fill('2');
  await page.getByLabel('Window').fill('20');
  await page.getByRole('button', { name: 'Add connection' }).click();
  await page.getByTestId('smsc-saved').waitFor();
  const added = table.locator('tr[data-smsc="console-sim"]');
  await added.getByTestId('smsc-state').filter({ hasText: 'Bound' }).waitFor();
  assert.match(await added.innerText(), /console\s+HK Business, China\s+2\b/);
  await simulator.waitFor({ state: 'detached' });
  // The form is empty again, ready for the next one.
  assert.equal(await page.getByLabel('Name').inputValue(), '');

  // Edit: the form shows the stored settings (never the password); a limit is added.
  await added.getByRole('button', { name: 'Edit console-sim' }).click();
  await page.getByRole('heading', { name: 'Edit console-sim' }).waitFor();
  assert.equal(await page.getByLabel('Address').inputValue(), address);
  assert.equal(await page.getByLabel('Password').inputValue(), '');
  assert.equal(await page.getByLabel('China').isChecked(), true);
  assert.equal(await page.getByLabel('HK Economic').isChecked(), false);
  await page.getByLabel('Messages per second').fill('50');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await added.getByText('limit 50/s').waitFor();
  await added.getByTestId('smsc-state').filter({ hasText: 'Bound' }).waitFor();

  // Disabled: the connection stops; with no real connection left, the simulator is back.
  await added.getByRole('button', { name: 'Disable console-sim' }).click();
  await added.getByTestId('smsc-state').filter({ hasText: 'Disabled' }).waitFor();
  await simulator.getByText('Bound').waitFor();
  await added.getByRole('button', { name: 'Remove console-sim' }).click();
  await added.waitFor({ state: 'detached' });
  // The empty form's 422 is the one expected error.
  assert.deepEqual(problems.filter((p) => !/status of 422/.test(p)), []);
  await page.context().close();
});

test('a customer cannot reach the admin console: no link, 403 page, 403 data', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signUp(page, ferry.url, uniqueLogin('cust'));
  assert.equal(await page.getByRole('link', { name: 'Admin console' }).count(), 0);

  // Typing the address: the server answers 403 itself, before any WASM runs.
  const response = await page.goto(`${ferry.url}/admin`);
  assert.equal(response.status(), 403);
  await page.getByText('Your account does not have access to this page.').waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Recent sign-in attempts' }).count(), 0);

  // Calling the console's server function directly with the customer's session.
  const api = await page.request.post(`${ferry.url}/api/admin_overview`, {
    headers: { Origin: ferry.url, Accept: 'application/json' },
  });
  assert.equal(api.status(), 403);
  assert.doesNotMatch(await api.text(), /recent_sign_ins/);
  await context.close();
});

test('a visitor is sent to sign in', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${ferry.url}/admin`);
  await page.waitForURL(`${ferry.url}/login`);
  await context.close();
});
