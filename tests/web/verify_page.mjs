// Drives Debian's chromium through playwright-core over signetd's public verification page and
// prints one JSON object of what it saw; tests/web/verify_page_test.cpp asserts on it.
// node verify_page.mjs BASE_URL GOOD_PDF BROKEN_PDF MARKUP_PDF SCREENSHOT_DIR
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { watchedPage } from './page_watch.mjs';

const [base, goodPath, brokenPath, markupPath, shots] = process.argv.slice(2);
const hostileName = '<img src=x onerror=alert(1)>.pdf';
const out = { console_errors: [], page_errors: [], csp_violations: [], dialogs: [] };

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  // The tests run as root in a container, where chromium's sandbox cannot start.
  args: ['--no-sandbox'],
});

function newPage(locale, viewport = { width: 1024, height: 900 }) {
  return watchedPage(browser, out, { locale, viewport });
}

async function verifyFile(page, name, bytes) {
  await page.setInputFiles('#signature-file', { name, mimeType: 'application/pdf', buffer: bytes });
  // The previous report goes first, so that waiting for one waits for this one.
  await page.evaluate(() => document.getElementById('result').replaceChildren());
  await page.click('#verify-button');
  await page.waitForSelector('#overall');
  return page.evaluate(() => {
    const text = (node) => (node ? node.textContent : null);
    return {
      overall: document.querySelector('#overall').className,
      overall_text: text(document.querySelector('#overall')),
      file_name: text(document.querySelector('.file-name')),
      signatures: [...document.querySelectorAll('article.signature')].map((card) => ({
        verdict: card.dataset.verdict,
        heading: text(card.querySelector('h3')),
        signer: text(card.querySelector('dd.signer')),
        failures: [...card.querySelectorAll('.failures li')].map((li) => li.textContent),
        time_title: card.querySelector('time')?.title ?? null,
        text: card.textContent,
      })),
      img_elements: document.querySelectorAll('img').length,
      script_elements: document.querySelectorAll('script').length,
    };
  });
}

// English, a desktop window: the three documents.
{
  const { context, page } = await newPage('en-US');
  const answer = await page.goto(`${base}/verify`);
  out.page_status = answer.status();
  out.page_headers = answer.headers();
  out.initial_lang = await page.evaluate(() => document.documentElement.lang);
  out.good = await verifyFile(page, 'contract.pdf', readFileSync(goodPath));
  await page.screenshot({ path: `${shots}/verify-en.png`, fullPage: true });
  out.broken = await verifyFile(page, 'contract-changed.pdf', readFileSync(brokenPath));
  out.markup = await verifyFile(page, hostileName, readFileSync(markupPath));

  // The switch: Chinese, remembered across a reload.
  await page.click('#language-switch');
  out.switched_lang = await page.evaluate(() => document.documentElement.lang);
  out.switched_title = await page.textContent('h1');
  await page.reload();
  out.remembered_lang = await page.evaluate(() => document.documentElement.lang);

  // An asset and its ETag.
  const asset = await context.request.get(`${base}/assets/verify.js`);
  out.asset = { status: asset.status(), headers: asset.headers() };
  const again = await context.request.get(`${base}/assets/verify.js`, {
    headers: { 'If-None-Match': asset.headers()['etag'] },
  });
  out.asset_revalidated = { status: again.status(), etag: again.headers()['etag'] ?? null };
  await context.close();
}

// Chinese from Accept-Language, a phone-sized window.
{
  const { context, page } = await newPage('zh-CN', { width: 390, height: 844 });
  await page.goto(`${base}/verify`);
  out.zh_initial_lang = await page.evaluate(() => document.documentElement.lang);
  out.zh_good = await verifyFile(page, 'contract.pdf', readFileSync(goodPath));
  out.zh_title = await page.textContent('h1');
  out.zh_overflows = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  await page.screenshot({ path: `${shots}/verify-zh-CN-phone.png`, fullPage: true });
  await context.close();
}

await browser.close();
process.stdout.write(JSON.stringify(out) + '\n');
