// The signer's page (GET /sign/{token}, the link in the signing e-mail): reads the contract
// through GET /v1/signing/{token}, shows its title, the parties and the document (a PDF's pages
// drawn by pdf.js; other bytes offered for download with their SHA-256) with the fingerprint
// the SMS will name, then signs: send a code by SMS, enter it, sign. The token is the only
// credential; it stays in this page (never logged, never sent as a Referer: the page's
// Referrer-Policy). Keyboard: ordinary buttons and a labelled input, in order; the outcome of
// each step is announced and receives focus.
import { applyStrings, onLanguageSwitch, t } from './i18n.js';
import { renderPdfPages } from './pdf_pages.js';
import { element, otpMessage, renderFacts, renderParties, renderResult, renderState,
  sentenceWithTime, stateOf } from './sign_view.js';

// A malformed escape (a link cut or mangled by a mail client) reads as no token: the page then
// says the link is not valid instead of stopping here.
function tokenOfPath() {
  try {
    return decodeURIComponent(window.location.pathname.split('/')[2] ?? '');
  } catch {
    return '';
  }
}
const token = tokenOfPath();
const api = `/v1/signing/${encodeURIComponent(token)}`;
const $ = (id) => document.getElementById(id);
const status = $('status');
const switcher = $('language-switch');
const sendButton = $('send-code');
const codeInput = $('code');
const signButton = $('sign-button');
const otpArea = $('otp-message');

// What is shown, so that a switch of language renders it again.
const view = { info: null, closed: null, challenge: null, otp: null, result: null, pages: null };

async function call(method, path, body) {
  const init = { method, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    // JSON only: the signing routes refuse anything else (CSRF, api/same_origin.hpp).
    init.headers = { 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const answer = await fetch(path, init);
  const json = await answer.json().catch(() => null);
  return { status: answer.status, json, retryAfter: answer.headers.get('Retry-After') };
}

// A link that opens nothing: 404 unknown, 410 used or expired (the contract's state with it).
function closedState(answer) {
  const slug = typeof answer.json?.type === 'string' ? answer.json.type.split('/').pop() : '';
  if (slug === 'signing-link-used') return { key: 'state.used' };
  if (slug === 'signing-link-expired')
    return { key: answer.json.contract_state === 'expired' ? 'state.contract_expired' : 'state.expired' };
  if (answer.status === 404) return { key: 'state.unknown' };
  return null;
}

function render() {
  applyStrings();
  switcher.textContent = t('language.switch');
  switcher.setAttribute('aria-label', t('language.switch_label'));
  sendButton.textContent = t(view.challenge ? 'sign.send_again' : 'sign.send_code');
  const state = view.closed ?? (view.info && !view.result ? stateOf(view.info) : null);
  if (state) renderState($('state'), state); else $('state').hidden = true;
  if (view.info) {
    const { contract, signer } = view.info;
    $('contract').hidden = false;
    $('contract-title').textContent = contract.title;
    renderFacts($('contract-facts'), view.info);
    renderParties($('parties'), view.result ? partiesAfter(view.result) : view.info.parties, signer.position);
    $('fingerprint').textContent = contract.fingerprint;
    $('document-sha256').textContent = contract.document_sha256;
    const download = $('download');
    download.href = `${api}/document`;
    download.download = contract.file_name;
    download.textContent = t('sign.download', { name: contract.file_name });
    $('document-size').textContent = t('sign.size', { bytes: contract.document_size });
    $('pages-status').textContent = view.pages ? t(view.pages) : '';
    for (const canvas of $('pages').querySelectorAll('canvas'))
      canvas.setAttribute('aria-label', t('sign.page_label', { n: canvas.dataset.n, count: canvas.dataset.count }));
  }
  $('signing').hidden = !(view.info && !view.closed && !view.result && !stateOf(view.info));
  $('code-sent').replaceChildren(view.challenge?.expires_at
    ? sentenceWithTime('sign.code_sent', view.challenge.expires_at) : '');
  otpArea.replaceChildren(view.otp ? view.otp() : '');
  if (view.result) renderResult($('result'), view.result, view.info.signer.position);
}

// The parties as the signed contract shows them (names from the page's first read).
function partiesAfter(contract) {
  const due = contract.state === 'completed' ? null
    : contract.signers.find((s) => s.state !== 'signed')?.position;
  return view.info.parties.map((party) => {
    const now = contract.signers.find((s) => s.position === party.position);
    return { ...party, state: now?.state ?? party.state, signed_at: now?.signed_at ?? party.signed_at,
      due: party.position === due };
  });
}

async function showDocument(contract) {
  // data-state on the pages tells when drawing is over (for the reader of the DOM: the tests).
  if (contract.format !== 'pdf') {
    view.pages = 'sign.not_pdf';
    $('pages').dataset.state = 'none';
    render();
    return;
  }
  view.pages = 'sign.rendering';
  render();
  try {
    const answer = await fetch(`${api}/document`, { credentials: 'omit', cache: 'no-store' });
    if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
    const bytes = new Uint8Array(await answer.arrayBuffer());
    await renderPdfPages($('pages'), bytes, (n, count) => t('sign.page_label', { n, count }));
    view.pages = null;
    $('pages').dataset.state = 'shown';
  } catch {
    view.pages = 'sign.render_failed';
    $('pages').dataset.state = 'failed';
  }
  render();
}

async function open() {
  status.textContent = t('sign.loading');
  let answer;
  try {
    answer = await call('GET', api);
  } catch {
    status.textContent = t('error.network');
    return;
  }
  status.textContent = '';
  if (answer.status !== 200 || !answer.json) {
    view.closed = closedState(answer) ?? { key: 'state.unknown' };
    render();
    $('state').focus();
    return;
  }
  view.info = answer.json;
  render();
  if (stateOf(view.info)) $('state').focus();
  if (!view.info.contract.shredded) await showDocument(view.info.contract);
}

// Anything but an OTP refusal: a closed link, else the server's own words.
function otherRefusal(answer) {
  const closed = closedState(answer);
  if (closed) {
    view.closed = closed;
    return;
  }
  const detail = typeof answer.json?.detail === 'string' ? answer.json.detail : `HTTP ${answer.status}`;
  view.otp = () => element('p', '', detail);
}

async function sendCode() {
  sendButton.disabled = true;
  status.textContent = t('sign.sending');
  view.otp = null;
  try {
    const answer = await call('POST', `${api}/challenge`, { channel: 'sms' });
    if (answer.status === 201) {
      view.challenge = answer.json;
      codeInput.disabled = false;
      signButton.disabled = false;
    } else {
      const message = otpMessage(answer.json, answer.retryAfter);
      if (message) view.otp = () => otpMessage(answer.json, answer.retryAfter); else otherRefusal(answer);
    }
  } catch {
    view.otp = () => element('p', '', t('error.network'));
  }
  status.textContent = '';
  sendButton.disabled = false;
  render();
  if (view.challenge && !view.otp) codeInput.focus();
}

async function sign(event) {
  event.preventDefault();
  if (!view.challenge) {
    view.otp = () => element('p', '', t('otp.send_first'));
    render();
    return;
  }
  const code = codeInput.value.trim();
  if (!/^[0-9]{6,8}$/.test(code)) {
    view.otp = () => element('p', '', t('otp.choose_code'));
    render();
    codeInput.focus();
    return;
  }
  signButton.disabled = true;
  status.textContent = t('sign.signing');
  view.otp = null;
  try {
    const answer = await call('POST', `${api}/sign`, {
      revision_sha256: view.challenge.revision_sha256,
      challenge_id: view.challenge.challenge_id,
      code,
    });
    if (answer.status === 200 && answer.json) {
      view.result = answer.json;
    } else if (otpMessage(answer.json, answer.retryAfter)) {
      view.otp = () => otpMessage(answer.json, answer.retryAfter);
    } else {
      otherRefusal(answer);
    }
  } catch {
    view.otp = () => element('p', '', t('error.network'));
  }
  status.textContent = '';
  signButton.disabled = false;
  codeInput.value = '';
  render();
  if (view.result) $('result').focus();
  else if (view.closed) $('state').focus();
  else codeInput.focus();
}

sendButton.addEventListener('click', sendCode);
$('code-form').addEventListener('submit', sign);
onLanguageSwitch(switcher, render);
render();
open();
