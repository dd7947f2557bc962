// Drives Debian's chromium through playwright-core over signetd's operator console and prints
// one JSON object of what it saw; tests/web/console_test.cpp asserts on it.
// node console_page.mjs BASE_URL OPERATOR_TOKEN VIEWER_TOKEN CONTRACT_ID REVOKE_SERIAL KEEP_SERIAL
//                       MARKUP_NAME CHECKPOINT_SIZE SCREENSHOT_DIR DOWNLOAD_DIR
import { chromium } from 'playwright-core';
import { watchedPage } from './page_watch.mjs';

const [base, operatorToken, viewerToken, contractId, revokeSerial, keepSerial, markupName, checkpointSize, shots,
  downloads] =
  process.argv.slice(2);
const out = { console_errors: [], page_errors: [], csp_violations: [], dialogs: [], expected_refusals: [] };

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  // The tests run as root in a container, where chromium's sandbox cannot start.
  args: ['--no-sandbox'],
});

// Chromium reports every 4xx answer to a fetch as a console error. The ones this run provokes on
// purpose (no session yet, the viewer's refused revocation) are counted apart; any other is an
// error of the page.
function expectedRefusal(message) {
  const url = message.location()?.url ?? '';
  return /status of 40[13]/.test(message.text()) &&
    (url.endsWith('/console/session') || url.includes('/revoke'));
}

function newPage(locale, viewport = { width: 1100, height: 900 }) {
  return watchedPage(browser, out, { locale, viewport, acceptDownloads: true },
    (message) => (expectedRefusal(message) ? 'expected_refusals' : null));
}

async function login(page, token) {
  await page.goto(`${base}/console`);
  await page.waitForSelector('#login-view:not([hidden])');
  await page.fill('#token', token);
  await page.click('#login-button');
  await page.waitForSelector('#app:not([hidden])');
}

async function screen(page, name) {
  await page.click(`#tabs button[data-view="${name}"]`);
  await page.waitForFunction(() => document.getElementById('status').textContent === '');
}

async function shoot(page, name) {
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

async function searchCertificate(page, serial) {
  await screen(page, 'certificates');
  await page.fill('#certificate-serial', serial);
  await page.click('#certificate-search button[type=submit]');
  await page.waitForSelector('#certificate-results table, #certificate-results p');
}

// The text of the first element `selector` matches now, or null (no waiting).
const textOf = (page, selector) => page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);

// The audit screen drawn from a latest checkpoint that `change` altered on its way to the page:
// what the page then says of its signature and of its unsigned fields, and the size it shows.
async function alteredCheckpoint(page, change, shot) {
  let served = null;
  await page.route('**/v1/audit/checkpoints/latest', async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    served = json.size;
    change(json);
    await route.fulfill({ response, json });
  });
  await screen(page, 'audit');
  const seen = {
    served_size: served,
    signature: await textOf(page, '#latest-checkpoint .signature-verdict'),
    differs: await textOf(page, '#latest-checkpoint .differs'),
    shown_size: await page.evaluate(() => document.querySelector('#latest-checkpoint dl.signed-fields dd:nth-of-type(2)')?.textContent ?? null),
  };
  if (shot) await shoot(page, shot);
  await page.unroute('**/v1/audit/checkpoints/latest');
  return seen;
}

const cookieOf = async (context) => (await context.cookies()).find((c) => c.name === '__Host-signet-console');

// The operator, in English: login, the contract, its evidence package, a revocation.
{
  const { context, page } = await newPage('en-US');
  const answer = await page.goto(`${base}/console`);
  out.page_status = answer.status();
  out.page_headers = answer.headers();
  await page.waitForSelector('#login-view:not([hidden])');
  out.initial_lang = await page.evaluate(() => document.documentElement.lang);
  await shoot(page, 'console-login-en');

  // A wrong token is refused on the page.
  await page.fill('#token', 'not-a-token');
  await page.click('#login-button');
  await page.waitForFunction(() => document.getElementById('login-status').textContent !== '');
  out.wrong_token_message = await page.textContent('#login-status');

  await login(page, operatorToken);
  out.operator_line = await page.textContent('#operator');
  const cookie = await cookieOf(context);
  out.cookie = cookie ? { httpOnly: cookie.httpOnly, secure: cookie.secure, sameSite: cookie.sameSite, path: cookie.path } : null;
  out.token_field_after_login = await page.inputValue('#token');

  // Contracts: search by a word of the title, open the one the fixture signed.
  await screen(page, 'contracts');
  await page.fill('#contract-title', 'Drill');
  await page.click('#contract-search button[type=submit]');
  await page.waitForSelector(`#contract-results button.open-contract[data-id="${contractId}"]`);
  out.contract_rows = await page.$$eval('#contract-results tbody tr', (rows) => rows.length);
  await page.click(`#contract-results button.open-contract[data-id="${contractId}"]`);
  await page.waitForSelector('#contract-detail article.contract');
  out.contract = await page.evaluate(() => {
    const detail = document.getElementById('contract-detail');
    return {
      title: detail.querySelector('.contract-title').textContent,
      parties: [...detail.querySelectorAll('table.parties tbody tr')].map((tr) => tr.textContent),
      revisions: detail.querySelectorAll('table.revisions tbody tr').length,
      events: [...detail.querySelectorAll('table.events tbody tr')].map((tr) => tr.children[1].textContent),
      time_title: detail.querySelector('table.events time')?.title ?? null,
      evidence_href: detail.querySelector('a.evidence')?.getAttribute('href') ?? null,
    };
  });
  await shoot(page, 'console-contracts-en');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#contract-detail a.evidence')]);
  out.evidence_file = `${downloads}/browser-evidence.zip`;
  out.evidence_name = download.suggestedFilename();
  await download.saveAs(out.evidence_file);

  // The session is refused on /v1 without its CSRF token, and from another origin even with it.
  const csrf = await page.evaluate(async () => (await (await fetch('/console/session')).json()).csrf_token);
  const noToken = await context.request.post(`${base}/v1/certificates/${revokeSerial}/revoke`, {
    data: { reason: 'superseded' }, headers: { Origin: base, 'Sec-Fetch-Site': 'same-origin' },
  });
  out.without_csrf = { status: noToken.status(), body: await noToken.json().catch(() => null) };
  const crossSite = await context.request.post(`${base}/v1/certificates/${revokeSerial}/revoke`, {
    data: { reason: 'superseded' }, headers: { Origin: 'https://attacker.example', 'X-CSRF-Token': csrf },
  });
  out.cross_site = { status: crossSite.status(), body: await crossSite.json().catch(() => null) };

  // Certificates: the revocation goes through its confirmation step.
  await searchCertificate(page, revokeSerial);
  await page.click(`#certificate-results button.revoke[data-serial="${revokeSerial}"]`);
  await page.waitForSelector('#revoke-confirmation');
  out.confirmation_text = await page.textContent('#revoke-confirmation');
  out.status_before_confirm = await page.textContent(`#certificate-results span[data-serial="${revokeSerial}"]`);
  await page.selectOption('#revoke-reason', 'keyCompromise');
  await shoot(page, 'console-certificates-en');
  await page.click('#revoke-confirm');
  await page.waitForSelector('#revoke-outcome');
  out.revoke_outcome = await page.textContent('#revoke-outcome');
  await page.waitForSelector(`#certificate-results span.status-revoked[data-serial="${revokeSerial}"]`);

  // The subjects: a name that is markup is text.
  await screen(page, 'subjects');
  await page.waitForSelector('#subject-results table');
  out.subject_names = await page.$$eval('#subject-results .subject-name', (cells) => cells.map((c) => c.textContent));
  out.img_elements = await page.evaluate(() => document.querySelectorAll('img').length);
  await shoot(page, 'console-subjects-en');
  for (const name of ['cas', 'audit', 'health']) {
    await screen(page, name);
    await shoot(page, `console-${name}-en`);
  }
  // The audit log's consistency, checked in the browser against an earlier checkpoint.
  await screen(page, 'audit');
  out.audit_text = await page.textContent('#view');
  if (await page.$('#audit-size')) {
    await page.fill('#audit-size', checkpointSize);
    await page.click('#view form.search button[type=submit]');
    await page.waitForSelector('#audit-verdict, #view .results p.error');
    out.audit_verdict = await page.textContent('#view .results');
  }
  // The checkpoints' signatures, checked in the browser: the latest's and the earlier one's.
  out.audit_signature = await textOf(page, '#latest-checkpoint .signature-verdict');
  out.audit_signer_status = await textOf(page, '#latest-checkpoint .signer-status');
  out.audit_differs = await textOf(page, '#latest-checkpoint .differs');
  out.audit_earlier_signature = await textOf(page, '#view .results .signature-verdict');
  // A checkpoint altered in transit: its signature, its signed text, or an unsigned field.
  out.altered_signature = await alteredCheckpoint(page, (c) => {
    const signature = Buffer.from(c.signature, 'base64');
    signature[10] ^= 0x01;  // inside r (ECDSA) or the RSA signature value
    c.signature = signature.toString('base64');
  }, 'console-audit-altered-en');
  out.altered_body = await alteredCheckpoint(page, (c) => {
    c.body = c.body.replace(/\n(\d+)\n/, (line, size) => `\n${Number(size) + 1}\n`);
    c.size += 1;
  });
  out.altered_field = await alteredCheckpoint(page, (c) => { c.size += 1; });

  // The CAs and their CRLs; a CRL past its nextUpdate (an answer altered to say so) is marked.
  await screen(page, 'cas');
  out.cas = await page.evaluate(() => ({
    names: [...document.querySelectorAll('#view table.cas tbody tr')].map((tr) => tr.children[0].textContent),
    roles: [...document.querySelectorAll('#view table.cas tbody tr')].map((tr) => tr.children[1].textContent),
    fingerprints: [...document.querySelectorAll('#view table.cas code.digest')].map((c) => c.textContent),
    crl_states: [...document.querySelectorAll('#view table.crls .crl-state')].map((s) => s.textContent),
    time_title: document.querySelector('#view table.crls time')?.title ?? null,
    crl_links: [...document.querySelectorAll('#view table.crls a.download')].map((a) => a.getAttribute('href')),
  }));
  await page.route('**/v1/cas', async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    const issuing = json.cas.find((ca) => ca.name === 'issuing-ca');
    issuing.crl.next_update = '2020-01-01T00:00:00.000000Z';
    issuing.crl.overdue = true;
    const root = json.cas.find((ca) => ca.name === 'root-ca');
    root.next_crl_entries = root.crl.entries + 1;  // a revocation its CRL does not list yet
    await route.fulfill({ response, json });
  });
  await screen(page, 'cas');
  out.cas_overdue = {
    alert: await textOf(page, '#crl-overdue'),
    state: await textOf(page, '#view .crl-state[data-ca="issuing-ca"]'),
    marked: await page.evaluate(() => document.querySelector('#view .crl-state[data-ca="issuing-ca"]')?.classList.contains('overdue') ?? null),
    behind: await textOf(page, '#view .crl-state[data-ca="root-ca"]'),
  };
  await shoot(page, 'console-cas-overdue-en');
  await page.unroute('**/v1/cas');

  await screen(page, 'health');
  out.health_charts = await page.$$eval('#view figure.chart svg rect', (bars) => bars.length);

  // Logout ends the session on the server: its cookie no longer opens one.
  const before = await cookieOf(context);
  await page.click('#logout');
  await page.waitForSelector('#login-view:not([hidden])');
  const after = await context.request.get(`${base}/console/session`, {
    headers: { Cookie: `__Host-signet-console=${before.value}`, 'Sec-Fetch-Site': 'same-origin' },
  });
  out.after_logout_status = after.status();
  await context.close();
}

// A viewer without certificates:revoke, in Chinese on a phone: refused, the page says so.
{
  const { context, page } = await newPage('zh-CN', { width: 390, height: 844 });
  await login(page, viewerToken);
  out.zh_lang = await page.evaluate(() => document.documentElement.lang);
  out.zh_tab = await page.textContent('#tabs button[data-view="contracts"]');
  await searchCertificate(page, keepSerial);
  await page.click(`#certificate-results button.revoke[data-serial="${keepSerial}"]`);
  await page.waitForSelector('#revoke-confirmation');
  await page.click('#revoke-confirm');
  await page.waitForSelector('#revoke-outcome');
  out.viewer_refusal = await page.textContent('#revoke-outcome');
  out.viewer_status_after = await page.textContent(`#certificate-results span[data-serial="${keepSerial}"]`);
  await shoot(page, 'console-certificates-zh-CN-phone');
  out.zh_overflows = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  await context.close();
}

// Every screen in Chinese on a desktop window (the operator again).
{
  const { context, page } = await newPage('zh-CN');
  await page.goto(`${base}/console`);
  await page.waitForSelector('#login-view:not([hidden])');
  await shoot(page, 'console-login-zh-CN');
  await login(page, operatorToken);
  for (const name of ['contracts', 'certificates', 'subjects', 'cas', 'audit', 'health']) {
    await screen(page, name);
    await shoot(page, `console-${name}-zh-CN`);
    if (name === 'audit') out.zh_audit_signature = await textOf(page, '#latest-checkpoint .signature-verdict');
    if (name === 'cas') out.zh_crl_states = await page.$$eval('#view .crl-state', (s) => s.map((e) => e.textContent));
  }
  out.zh_switched = await page.evaluate(() => document.documentElement.lang);
  await page.click('#language-switch');
  out.switched_lang = await page.evaluate(() => document.documentElement.lang);
  out.switched_tab = await page.textContent('#tabs button[data-view="contracts"]');
  await context.close();
}

await browser.close();
process.stdout.write(JSON.stringify(out) + '\n');
