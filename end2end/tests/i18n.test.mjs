// English and Traditional Chinese (issue 18): a browser that prefers Chinese gets the portal in
// Chinese from the first page, including what the server and the WASM compute (refusals,
// counts, costs) and the SMS Ferry sends; the switch in the navigation changes the language of
// the same page and is remembered on the login; staff get their console in Chinese too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFerry, launchBrowser, waitHydrated, watchPage, uniqueLogin, uniqueMobile, lastCodeSms, lastCodeSmsText, staffPage, signUp } from '../lib/harness.mjs';

let ferry;
let browser;
before(async () => { ferry = await startFerry(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await ferry?.stop(); });

const htmlLang = (page) => page.evaluate(() => document.documentElement.lang);
const text = (page, id) => page.getByTestId(id).innerText();

test('a Chinese browser signs up, verifies, composes and reads results in Chinese', async () => {
  const context = await browser.newContext({ locale: 'zh-HK' });
  const page = await context.newPage();
  const problems = watchPage(page);
  const login = uniqueLogin('zh');
  const mobile = uniqueMobile();

  await page.goto(`${ferry.url}/signup`);
  await waitHydrated(page);
  assert.equal(await htmlLang(page), 'zh-Hant');
  await page.getByRole('heading', { name: '建立試用帳戶' }).waitFor();
  // A refusal from the form's own checks, in Chinese, before anything is sent.
  await page.getByRole('button', { name: '建立帳戶' }).click();
  await page.getByText('請輸入登入名稱。').waitFor();
  await page.getByLabel('登入名稱').fill(login);
  await page.getByLabel('密碼', { exact: true }).fill('a long enough password');
  await page.getByLabel('確認密碼').fill('a long enough password');
  await page.getByLabel('公司名稱').fill('亞克美貿易有限公司');
  await page.getByLabel('聯絡電郵').fill('ops@acme.example');
  await page.getByLabel('登記手機號碼').fill(mobile);
  await page.getByRole('button', { name: '建立帳戶' }).click();
  await page.waitForURL(`${ferry.url}/account`);
  await page.getByRole('heading', { name: '帳戶', exact: true }).waitFor();

  // The code's SMS is in the language the account signed up in, and fits one UCS-2 part.
  const sms = lastCodeSmsText(ferry.url, login);
  assert.match(sms, /^你的 Ferry 驗證碼為 \d{8}，15 分鐘內有效/);
  const card = page.getByTestId('verify-mobile');
  await card.getByLabel('短訊中的驗證碼').fill('00000000');
  await card.getByRole('button', { name: '驗證', exact: true }).click();
  // The engine's English refusal, worded again in Chinese by its template.
  await card.getByText(/驗證碼/).filter({ hasNotText: '短訊中的驗證碼' }).first().waitFor();
  await card.getByLabel('短訊中的驗證碼').fill(lastCodeSms(ferry.url, login));
  await card.getByRole('button', { name: '驗證', exact: true }).click();
  await page.getByText('你的手機號碼已通過驗證。').waitFor();

  // Composing: the counts and the cost the WASM computes, in Chinese, without a request.
  await page.getByRole('link', { name: '發送短訊' }).click();
  await page.waitForURL(`${ferry.url}/broadcast`);
  await waitHydrated(page);
  const message = page.getByLabel('短訊內容');
  await message.pressSequentially('Hello');
  assert.equal(await text(page, 'composer-units'), '5 個字元');
  assert.equal(await text(page, 'composer-parts'), '1 段');
  await message.pressSequentially(' 你好');
  assert.equal(await text(page, 'composer-encoding'), 'UCS-2（Unicode）');
  assert.match(await text(page, 'composer-left'), /^本段尚餘 62 個字元$/);
  await page.getByLabel('收件人').fill(mobile);
  await page.getByRole('button', { name: '核對收件人及費用' }).click();
  await page.getByText(/1 位收件人/).waitFor();
  await page.getByTestId('check-total').filter({ hasText: 'HK$0.32' }).waitFor();

  await page.getByRole('link', { name: '發送結果' }).click();
  await page.waitForURL(`${ferry.url}/results`);
  await page.getByRole('heading', { name: '發送結果' }).waitFor();
  assert.equal(await page.title(), '發送結果 · Ferry');
  assert.deepEqual(problems.filter((p) => !/status of (403|422)/.test(p)), []);
  await context.close();
});

test('the switch keeps the page before the page is interactive (no JavaScript)', async () => {
  const context = await browser.newContext({ locale: 'en-GB', javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${ferry.url}/signup`);
  assert.equal(await htmlLang(page), 'en');
  await page.getByRole('button', { name: '繁體中文' }).click();
  await page.waitForURL(`${ferry.url}/signup`);
  await page.getByRole('heading', { name: '建立試用帳戶' }).waitFor();
  assert.equal(page.url(), `${ferry.url}/signup`);
  assert.equal(await htmlLang(page), 'zh-Hant');
  await context.close();
});

test('the switch changes the language of the same page and is remembered on the login', async () => {
  const context = await browser.newContext({ locale: 'en-GB' });
  const page = await context.newPage();
  await page.goto(`${ferry.url}/login`);
  await waitHydrated(page);
  assert.equal(await htmlLang(page), 'en');
  await page.getByRole('button', { name: '繁體中文' }).click();
  await page.waitForURL(`${ferry.url}/login`);
  await waitHydrated(page);
  assert.equal(await htmlLang(page), 'zh-Hant');
  await page.getByRole('heading', { name: '登入 Ferry' }).waitFor();
  await page.getByRole('button', { name: 'English' }).waitFor();

  // Signed in, a choice is stored on the login: another browser that prefers Chinese gets
  // English after signing in there.
  const login = uniqueLogin('switch');
  await page.getByRole('button', { name: 'English' }).click();
  await page.waitForURL(`${ferry.url}/login`);
  await signUp(page, ferry.url, login, 'a long enough password', { verify: false });
  await page.goto(`${ferry.url}/results?page=1`);
  await waitHydrated(page);
  await page.getByRole('button', { name: '繁體中文' }).click();
  await page.waitForURL(`${ferry.url}/results?page=1`);
  await page.getByRole('heading', { name: '發送結果' }).waitFor();
  await page.getByRole('button', { name: 'English' }).click();
  await page.waitForURL(`${ferry.url}/results?page=1`);
  await page.getByRole('heading', { name: 'Delivery Results' }).waitFor();

  const other = await browser.newContext({ locale: 'zh-TW' });
  const elsewhere = await other.newPage();
  await elsewhere.goto(`${ferry.url}/login`);
  await waitHydrated(elsewhere);
  assert.equal(await htmlLang(elsewhere), 'zh-Hant', 'a visitor gets the browser\'s language');
  await elsewhere.getByLabel('登入名稱').fill(login);
  await elsewhere.getByLabel('密碼').fill('a long enough password');
  await elsewhere.getByRole('button', { name: '登入' }).click();
  await elsewhere.waitForURL(`${ferry.url}/account`);
  await waitHydrated(elsewhere);
  assert.equal(await htmlLang(elsewhere), 'en', 'the account\'s own choice wins once signed in');
  await other.close();
  await context.close();
});

test('staff read the console in Chinese', async () => {
  const page = await staffPage(browser, ferry);
  await page.request.post(`${ferry.url}/language`, { form: { lang: 'zh-Hant', next: '/admin' } });
  await page.goto(`${ferry.url}/admin`);
  await waitHydrated(page);
  await page.getByRole('heading', { name: '管理控制台' }).waitFor();
  await page.getByRole('link', { name: '管理控制台' }).waitFor();
  await page.goto(`${ferry.url}/admin/accounts`);
  await waitHydrated(page);
  assert.equal(await page.title(), '帳戶 · 管理 · Ferry');
  await page.request.post(`${ferry.url}/language`, { form: { lang: 'en', next: '/admin' } });
});
