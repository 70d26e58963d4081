// Two-way SMS end to end (§10, issue 16): staff assign an inbound number to a customer in the
// console; the built-in SMSC simulator, driven through its control endpoint, sends a reply over
// real SMPP; the customer's open inbox shows it without a reload and the navigation's unread
// count goes up, then down once the conversation is read; the account's 2-way callback URL
// gets the reply once, signed. A reply to a number nobody holds shows in the console, masked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import {
  startFerry, launchBrowser, waitHydrated, watchPage, uniqueLogin, signUp, staffPage,
} from '../lib/harness.mjs';

const WAIT = { timeout: 30_000 };

let ferry;
let browser;
let control;
before(async () => {
  ferry = await startFerry({
    env: { FERRY_SIMULATOR__CONTROL_LISTEN: '127.0.0.1:0', FERRY_CALLBACKS__POLL_MS: '100' },
  });
  control = /Simulator control listening on (http:\/\/\S+)/.exec(ferry.stdout())?.[1];
  assert.ok(control, `no simulator control address in:\n${ferry.stdout()}`);
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await ferry?.stop(); });

/// Makes the simulator send a reply from a handset to one of our numbers.
async function handsetReplies(from, to, text) {
  // The simulator answers 409 until the dispatcher has bound to it (a few ms after start).
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const res = await fetch(`${control}/replies`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ from, to, text }),
    });
    if (res.status === 202) return res.json();
    assert.equal(res.status, 409, await res.text());
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the simulator never had a bound ESME');
}

function receiver() {
  const seen = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      res.writeHead(200);
      res.end('ok');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}/replies`, seen, server }));
  });
}

test('staff assign a number, a reply arrives live in the inbox with the unread count, and is called back once', async () => {
  const hook = await receiver();
  try {
    await assignReplyAndCallBack(hook);
  } finally {
    // An open server keeps the test process alive after a failure.
    hook.server.close();
  }
});

async function assignReplyAndCallBack(hook) {
  const inbound = `8526${String(Date.now()).slice(-7)}`;
  const handset = '85291234567';

  // The customer sets the 2-way callback URL and reads the signing secret.
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchPage(page);
  const login = uniqueLogin('twoway');
  await signUp(page, ferry.url, login);
  await waitHydrated(page);
  await page.getByLabel('2-way callback URL').fill(hook.url);
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Settings saved.').waitFor(WAIT);
  const secret = (await page.getByTestId('callback-secret').innerText()).trim();

  // Before any number: the inbox says how replies get here.
  await page.getByRole('link', { name: /^Inbox/ }).click();
  await page.waitForURL(`${ferry.url}/inbox`);
  await page.getByText('No inbound number is assigned to this account yet').waitFor(WAIT);
  await page.getByText('No replies yet').waitFor(WAIT);
  assert.equal(await page.getByTestId('nav-unread').count(), 0);

  // Staff assign the number in the console.
  const staff = await staffPage(browser, ferry);
  await staff.goto(`${ferry.url}/admin/numbers`);
  await waitHydrated(staff);
  await staff.getByLabel('Account login').fill(login);
  await staff.getByLabel('Inbound number').fill(`+${inbound}`);
  await staff.getByRole('button', { name: 'Assign' }).click();
  await staff.getByTestId('number-assigned').waitFor(WAIT);
  await staff.getByTestId('inbound-numbers').getByText(login).waitFor(WAIT);
  // Assigning it again to anyone is refused, saying who holds it.
  await staff.getByRole('button', { name: 'Assign' }).click();
  await staff.getByText(`is assigned to ${login}: release it there first`).waitFor(WAIT);

  // The handset replies; the open inbox shows it without a reload, and the count goes up.
  const sent = await handsetReplies(handset, inbound, 'YES, see you at 3pm 👍');
  assert.equal(sent.parts, 1);
  const row = page.getByTestId('replies').locator('tbody tr').filter({ hasText: 'YES, see you at 3pm 👍' });
  await row.waitFor(WAIT);
  await page.getByTestId('nav-unread').filter({ hasText: '1' }).waitFor(WAIT);
  assert.match(await page.getByTestId('inbox-numbers').innerText(), new RegExp(`\\+${inbound}`));

  // Opening the conversation reads it: the count goes away.
  await row.getByRole('link', { name: `+${handset}` }).click();
  await page.waitForURL(`${ferry.url}/inbox/${handset}`);
  await page.getByTestId('conversation').getByText('YES, see you at 3pm 👍').waitFor(WAIT);
  await page.waitForFunction(() => !document.querySelector('[data-testid="nav-unread"]'), null, WAIT);

  // The callback receiver got it once, signed with the account's secret.
  const deadline = Date.now() + 30_000;
  while (hook.seen.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1_000));
  assert.equal(hook.seen.length, 1, JSON.stringify(hook.seen));
  const [{ headers, body }] = hook.seen;
  const event = JSON.parse(body);
  assert.equal(event.type, 'reply.received');
  assert.equal(event.reply.text, 'YES, see you at 3pm 👍');
  assert.equal(event.reply.from, handset);
  assert.equal(event.reply.to, inbound);
  const mac = createHmac('sha256', secret).update(`${headers['ferry-timestamp']}.`).update(body).digest('hex');
  assert.equal(headers['ferry-signature'], `v1=${mac}`);

  // A reply to a number nobody holds is listed for staff, its text masked.
  const nobodys = `8526${String(Date.now() + 1).slice(-7)}`;
  await handsetReplies(handset, nobodys, 'Hello, anyone there?');
  // The simulator's 202 means "sent over SMPP", not "stored": the console has no live view,
  // so staff reload it until the reply is there, as a person would.
  const unrouted = staff.getByTestId('unrouted-replies').locator('tbody tr').filter({ hasText: `+${nobodys}` });
  const until = Date.now() + 30_000;
  for (;;) {
    await staff.reload();
    await waitHydrated(staff);
    await staff.getByRole('heading', { name: 'Replies to unassigned numbers' }).waitFor(WAIT);
    if (await unrouted.count() > 0) break;
    assert.ok(Date.now() < until, 'the unrouted reply never showed in the console');
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.match(await unrouted.innerText(), /Hello…/);
  assert.ok(!(await unrouted.innerText()).includes('anyone there'), 'staff see 5 characters only');

  assert.deepEqual(problems, []);
  await staff.context().close();
  await context.close();
}
