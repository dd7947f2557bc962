// Drives Debian's chromium through playwright-core over signetd's public verification page with
// a contract's evidence package, and prints one JSON object of what it saw;
// tests/web/sign_page_test.cpp asserts on it.
// node verify_package.mjs BASE_URL GOOD_ZIP CHANGED_ZIP SCREENSHOT_DIR
// The good package is dropped on the drop zone (a real drop event carrying the file), the changed
// one chosen with the file input; English on a desktop window, then Chinese on a phone-sized one.
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { watchedPage } from './page_watch.mjs';

const [base, goodPath, changedPath, shots] = process.argv.slice(2);
const out = { console_errors: [], page_errors: [], csp_violations: [], dialogs: [] };

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  // The tests run as root in a container, where chromium's sandbox cannot start.
  args: ['--no-sandbox'],
});

const bound = 180_000;  // generous: a busy 2-core machine; a hang fails, nothing is timed

async function newPage(locale, viewport = { width: 1024, height: 900 }) {
  const watched = await watchedPage(browser, out, { locale, viewport });
  watched.page.setDefaultTimeout(bound);
  return watched;
}

// What the page shows of a package report.
function readReport(page) {
  return page.evaluate(() => {
    const text = (node) => (node ? node.textContent : null);
    return {
      overall: document.querySelector('#overall').className,
      overall_text: text(document.querySelector('#overall')),
      file_name: text(document.querySelector('.file-name')),
      contract: text(document.querySelector('dd.contract-id')),
      // The failures box comes before the groups: what failed is the first thing read.
      failures_first: document.querySelector('.package-failures') !== null
        && document.querySelector('.package-failures').compareDocumentPosition(
          document.querySelector('.check-group')) === Node.DOCUMENT_POSITION_FOLLOWING,
      failures: [...document.querySelectorAll('.package-failures li')].map((li) => ({
        subject: text(li.querySelector('.subject')), detail: text(li.querySelector('.detail')) })),
      groups: [...document.querySelectorAll('section.check-group')].map((group) => ({
        group: group.dataset.group,
        verdict: group.dataset.verdict,
        heading: text(group.querySelector('h3')),
        failed: [...group.querySelectorAll('li.failed .subject')].map((s) => s.textContent),
        passed: group.querySelectorAll('li.ok').length,
      })),
      signature_cards: document.querySelectorAll('article.signature').length,
      img_elements: document.querySelectorAll('img').length,
    };
  });
}

async function clearResult(page) {
  // The previous report goes first, so that waiting for one waits for this one.
  await page.evaluate(() => document.getElementById('result').replaceChildren());
}

// Drops `bytes` as a file named `name` on the drop zone, as a file dragged from the desktop.
async function dropFile(page, name, bytes) {
  await clearResult(page);
  const transfer = await page.evaluateHandle(({ name, base64 }) => {
    const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([data], name, { type: 'application/zip' }));
    return dt;
  }, { name, base64: bytes.toString('base64') });
  await page.dispatchEvent('#drop-zone', 'dragover', { dataTransfer: transfer });
  await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: transfer });
  await page.waitForSelector('#overall');
  return readReport(page);
}

async function chooseFile(page, name, bytes) {
  await clearResult(page);
  await page.setInputFiles('#signature-file', { name, mimeType: 'application/zip', buffer: bytes });
  await page.click('#verify-button');
  await page.waitForSelector('#overall');
  return readReport(page);
}

const good = readFileSync(goodPath);
const changed = readFileSync(changedPath);

// English, a desktop window.
{
  const { context, page } = await newPage('en-US');
  await page.goto(`${base}/verify`);
  out.hint = await page.textContent('#drop-zone');
  out.good = await dropFile(page, 'contract-evidence.zip', good);
  await page.screenshot({ path: `${shots}/verify-package-en.png`, fullPage: true });
  out.changed = await chooseFile(page, 'contract-evidence-changed.zip', changed);
  // The failed group's passed checks stay folded; the failures are open.
  await page.screenshot({ path: `${shots}/verify-package-changed-en.png`, fullPage: true });
  await context.close();
}

// Chinese from Accept-Language, a phone-sized window: the changed package.
{
  const { context, page } = await newPage('zh-CN', { width: 390, height: 844 });
  await page.goto(`${base}/verify`);
  out.zh_hint = await page.textContent('#drop-zone');
  out.zh_changed = await chooseFile(page, 'contract-evidence-changed.zip', changed);
  out.zh_overflows = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  await page.screenshot({ path: `${shots}/verify-package-changed-zh-CN-phone.png`, fullPage: true });
  await context.close();
}

await browser.close();
process.stdout.write(JSON.stringify(out) + '\n');
