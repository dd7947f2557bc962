// Drives Debian's chromium through playwright-core over signetd's signer's page (/sign/{token})
// and prints one JSON object of what it saw; tests/web/sign_page_test.cpp asserts on it.
// node sign_page.mjs CONFIG_JSON
//   {"mail_dir", "sms_dir", "read_mail" (tests/notify/read_mail.py), "shots",
//    "signers": [{"email", "locale", "wrong_code_first", "lock_out", "reuse_after", "shot",
//                 "result_shot", "phone"}...],
//    "expired_link", "cancelled_link"}
// Each signer's link comes from the e-mail signetd sent to its address (the loopback SMTP
// server's files), its code from the text message signetd sent (the loopback SMS gateway's).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { watchedPage } from './page_watch.mjs';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = {
  console_errors: [], resource_errors: [], page_errors: [], csp_violations: [], dialogs: [], signers: [],
};
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
const bound = 180_000;  // generous: a busy 2-core machine; a hang fails, nothing is timed

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  // The tests run as root in a container, where chromium's sandbox cannot start.
  args: ['--no-sandbox'],
});

async function newPage(locale, viewport) {
  // Chromium logs every 4xx answer to a fetch as an error ("Failed to load resource"): the
  // test expects exactly the refusals it provoked (an expired link, a used one, a wrong code).
  const watched = await watchedPage(browser, out, { locale, viewport },
    (message) => (message.text().startsWith('Failed to load resource') ? 'resource_errors' : null));
  watched.page.setDefaultTimeout(bound);
  return watched;
}

const seenMail = new Set();
// The signing link in the next e-mail to `address`.
async function linkFor(address) {
  for (const until = Date.now() + bound; Date.now() < until; await sleep(200)) {
    for (const name of readdirSync(config.mail_dir).filter((n) => n.endsWith('.json')).sort()) {
      if (seenMail.has(name)) continue;
      const envelope = JSON.parse(readFileSync(`${config.mail_dir}/${name}`, 'utf8'));
      if (!envelope.rcpt_tos.includes(address)) continue;
      seenMail.add(name);
      const eml = `${config.mail_dir}/${name.replace(/\.json$/, '.eml')}`;
      const mail = JSON.parse(execFileSync('/usr/bin/python3', [config.read_mail, eml], { encoding: 'utf8' }));
      const link = /https:\/\/\S+\/sign\/[A-Za-z0-9_-]{43}/.exec(mail.body);
      if (!link) throw new Error(`no signing link in the e-mail to ${address}`);
      return link[0];
    }
  }
  throw new Error(`no e-mail to ${address}`);
}

let smsSeen = 0;
// The text of the next message the SMS gateway received.
async function nextSms() {
  for (const until = Date.now() + bound; Date.now() < until; await sleep(200)) {
    const file = `${config.sms_dir}/sms-${smsSeen + 1}.json`;
    if (existsSync(file)) {
      smsSeen += 1;
      return JSON.parse(readFileSync(file, 'utf8')).text;
    }
  }
  throw new Error('no text message');
}

// What the page shows of the contract, once loaded.
async function readPage(page) {
  return page.evaluate(() => {
    const text = (selector) => document.querySelector(selector)?.textContent ?? null;
    return {
      lang: document.documentElement.lang,
      heading: text('h1'),
      title: text('#contract-title'),
      parties: [...document.querySelectorAll('#parties li')].map((li) => ({
        state: li.dataset.state, text: li.textContent })),
      fingerprint: text('#fingerprint'),
      sha256: text('#document-sha256'),
      download: text('#download'),
      download_name: document.querySelector('#download')?.getAttribute('download') ?? null,
      pages: document.querySelectorAll('#pages canvas').length,
      pages_state: document.querySelector('#pages')?.dataset.state ?? null,
      pages_status: text('#pages-status'),
      page_label: document.querySelector('#pages canvas')?.getAttribute('aria-label') ?? null,
      img_elements: document.querySelectorAll('img').length,
      overflows: document.documentElement.scrollWidth > window.innerWidth,
    };
  });
}

// Opens `link` and waits for its state message: what it says.
async function stateAt(link, locale = 'en-US') {
  const { context, page } = await newPage(locale, { width: 1024, height: 900 });
  await page.goto(link);
  await page.waitForSelector('#state:not([hidden])');
  const state = { key: await page.getAttribute('#state', 'data-state'), text: await page.textContent('#state') };
  await context.close();
  return state;
}

async function sign(signer) {
  const seen = { email: signer.email };
  const link = await linkFor(signer.email);
  const viewport = signer.phone ? { width: 390, height: 844 } : { width: 1024, height: 900 };
  const { context, page } = await newPage(signer.locale, viewport);
  const answer = await page.goto(link);
  seen.page_status = answer.status();
  seen.page_headers = answer.headers();
  await page.waitForSelector('#signing:not([hidden])');
  await page.waitForSelector('#pages[data-state]', { state: 'attached' });
  seen.before = await readPage(page);
  if (signer.shot) await page.screenshot({ path: `${config.shots}/${signer.shot}`, fullPage: true });

  // Keyboard only: focus the button, press Enter; the code field then has the focus.
  await page.focus('#send-code');
  await page.keyboard.press('Enter');
  const sms = await nextSms();
  seen.sms = sms;
  await page.waitForFunction(() => document.activeElement?.id === 'code');
  seen.code_sent = await page.textContent('#code-sent');
  const code = /code (\d{6,8})/.exec(sms)[1];
  const wrong = code === '000000' ? '111111' : '000000';
  if (signer.lock_out) {
    // Wrong codes until the subject's codes are locked (otp.max_failures): each refusal shown.
    seen.lock_messages = [];
    for (let i = 0; i < 4 && !seen.lock_messages.some((m) => m.includes('locked')); i += 1) {
      await page.evaluate(() => { document.getElementById('otp-message').textContent = ''; });
      await page.fill('#code', wrong);
      await page.click('#sign-button');
      await page.waitForFunction(() => document.querySelector('#otp-message')?.textContent);
      seen.lock_messages.push(await page.textContent('#otp-message'));
    }
    seen.locked_time_title = await page.getAttribute('#otp-message time', 'title');
    await context.close();
    return seen;
  }
  if (signer.wrong_code_first) {
    await page.keyboard.type(wrong);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#otp-message')?.textContent);
    seen.wrong_code_message = await page.textContent('#otp-message');
  }
  await page.fill('#code', code);
  await page.click('#sign-button');
  await page.waitForSelector('#result:not([hidden])');
  seen.result = await page.textContent('#result');
  seen.after = await readPage(page);
  seen.focused = await page.evaluate(() => document.activeElement?.id ?? null);
  if (signer.result_shot) await page.screenshot({ path: `${config.shots}/${signer.result_shot}`, fullPage: true });
  await context.close();
  if (signer.reuse_after) seen.reused = await stateAt(link);
  return seen;
}

try {
  if (config.expired_link) out.expired = await stateAt(config.expired_link);
  if (config.cancelled_link) out.cancelled = await stateAt(config.cancelled_link);
  for (const signer of config.signers) out.signers.push(await sign(signer));
} catch (error) {
  out.failure = String(error?.stack ?? error);
}
await browser.close();
process.stdout.write(JSON.stringify(out) + '\n');
