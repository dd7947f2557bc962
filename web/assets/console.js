// The operator console (GET /console): log in with an API client's bearer token or client
// certificate (POST /console/session gives an HttpOnly session cookie and a CSRF token), then
// screens that call the /v1 routes as that client. Each screen is drawn from scratch (a language
// switch draws it again); what it shows lives in its module.
import { addStrings, applyStrings, onLanguageSwitch, t } from './i18n.js';
import { api, problemText, useSession } from './console_kit.js';
import { renderCertificates } from './console_certificates.js';
import { renderContracts } from './console_contracts.js';
import { renderAudit } from './console_audit.js';
import { renderCas, renderHealth, renderSubjects } from './console_operations.js';
import en from './strings/console.en.js';
import zhCN from './strings/console.zh-CN.js';

addStrings({ 'en': en, 'zh-CN': zhCN });

const loginView = document.getElementById('login-view');
const loginForm = document.getElementById('login-form');
const tokenInput = document.getElementById('token');
const loginStatus = document.getElementById('login-status');
const app = document.getElementById('app');
const view = document.getElementById('view');
const status = document.getElementById('status');
const operator = document.getElementById('operator');
const logoutButton = document.getElementById('logout');
const switcher = document.getElementById('language-switch');
const tabs = [...document.querySelectorAll('#tabs button')];

const screens = {
  contracts: renderContracts, certificates: renderCertificates, subjects: renderSubjects,
  cas: renderCas, audit: renderAudit, health: renderHealth,
};
let session = null;  // { client, scopes, csrf_token, expires_at }
let current = 'contracts';

function showLogin(reason = '') {
  session = null;
  useSession('', () => {});
  app.hidden = true;
  logoutButton.hidden = true;
  operator.textContent = '';
  loginView.hidden = false;
  loginStatus.textContent = reason;
  tokenInput.focus();
}

async function showScreen(name) {
  current = name;
  for (const tab of tabs) tab.setAttribute('aria-current', tab.dataset.view === name ? 'page' : 'false');
  status.textContent = t('status.loading');
  await screens[name](view, session);
  if (session) status.textContent = '';
}

async function started(answer) {
  session = answer.json;
  useSession(session.csrf_token, () => showLogin(t('console.session_ended')));
  tokenInput.value = '';
  loginView.hidden = true;
  app.hidden = false;
  logoutButton.hidden = false;
  operator.textContent = t('console.operator', { client: session.client });
  await showScreen(current);
}

// The bearer token goes once, in Authorization, to POST /console/session; without one the TLS
// client certificate the browser presented is the credential.
async function login(withToken) {
  const token = tokenInput.value.trim();
  if (withToken && !token) {
    loginStatus.textContent = t('console.token_missing');
    return;
  }
  loginStatus.textContent = '';
  const answer = await api('/console/session', {
    method: 'POST', headers: withToken ? { Authorization: `Bearer ${token}` } : {},
  });
  if (answer.ok) await started(answer);
  else loginStatus.textContent = answer.status === 401 ? t('console.login_refused') : problemText(answer);
}

async function logout() {
  const answer = await api('/console/session', { method: 'DELETE' });
  // 401: the session had ended already, and the answer cleared the cookie too.
  if (answer.ok || answer.status === 401) showLogin(t('console.logged_out'));
  else document.getElementById('status').textContent = problemText(answer);
}

function render() {
  applyStrings();
  document.title = t('console.page_title');
  switcher.textContent = t('language.switch');
  switcher.setAttribute('aria-label', t('language.switch_label'));
  if (session) {
    operator.textContent = t('console.operator', { client: session.client });
    showScreen(current);
  }
}

loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  login(true);
});
document.getElementById('login-certificate').addEventListener('click', () => login(false));
logoutButton.addEventListener('click', logout);
for (const tab of tabs) tab.addEventListener('click', () => showScreen(tab.dataset.view).then(() => view.focus()));
onLanguageSwitch(switcher, render);

render();
// A reloaded page still has its cookie: the session (and its CSRF token) is asked for again.
const resumed = await api('/console/session');
if (resumed.ok) await started(resumed);
else showLogin();
