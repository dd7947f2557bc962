// What the console's screens share: the one way they call the server (the session cookie goes
// by itself; a state-changing call adds the session's CSRF token, web/csrf.hpp), and DOM helpers
// that put every server value into the page through textContent, never as markup.
import { t, timeElement } from './i18n.js';

let csrfToken = '';
let sessionEnded = () => {};

// The session's CSRF token (from POST or GET /console/session), and what to do when the server
// says the session is gone (401).
export function useSession(token, ended) {
  csrfToken = token;
  sessionEnded = ended;
}

// One call: { ok, status, json } (json: the body when it is JSON, else null). Never throws for
// an HTTP error; a network failure gives status 0.
export async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const sent = { ...headers };
  if (method !== 'GET' && method !== 'HEAD') sent['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) sent['Content-Type'] = 'application/json';
  let answer;
  try {
    answer = await fetch(path, {
      method, headers: sent, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, json: null };
  }
  const type = answer.headers.get('Content-Type') ?? '';
  const json = type.includes('json') ? await answer.json().catch(() => null) : null;
  if (answer.status === 401 && path !== '/console/session') sessionEnded();
  return { ok: answer.ok, status: answer.status, json, text: json ? null : await answer.text().catch(() => '') };
}

// A refusal in words: the problem document's detail (RFC 9457), as the server wrote it.
export function problemText(answer) {
  if (answer.status === 0) return t('error.network');
  const detail = typeof answer.json?.detail === 'string' ? answer.json.detail : '';
  return t('console.refused', { status: answer.status, detail });
}

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function cell(tag, value) {
  const node = element(tag);
  if (value instanceof Node) node.append(value);
  else node.textContent = value === null || value === undefined ? '—' : String(value);
  return node;
}

// A table: column headings (strings) and rows (arrays of strings or nodes), in a scrolling box
// so a phone scrolls the table rather than the page.
export function table(headings, rows, className = '') {
  const box = element('div', 'table-box');
  const grid = element('table', className);
  const head = element('tr');
  for (const heading of headings) head.append(cell('th', heading));
  grid.append(element('thead'));
  grid.tHead.append(head);
  const body = element('tbody');
  for (const row of rows) {
    const line = element('tr');
    for (const value of row) line.append(cell('td', value));
    body.append(line);
  }
  grid.append(body);
  box.append(grid);
  return box;
}

// A definition list of [label, value] pairs.
export function facts(pairs) {
  const list = element('dl', 'facts');
  for (const [label, value] of pairs) {
    list.append(element('dt', '', label));
    list.append(cell('dd', value));
  }
  return list;
}

// A time in the viewer's zone, UTC on hover; a dash when there is none.
export function when(iso) {
  return iso ? timeElement(iso) : '—';
}

// A link the browser downloads (the route's Content-Disposition names the file); the session
// cookie goes with it, so the route's own scope check applies.
export function downloadLink(href, label, className = 'download') {
  const link = element('a', className, label);
  link.href = href;
  link.setAttribute('download', '');
  return link;
}

export function button(label, className = '', type = 'button') {
  const node = element('button', className, label);
  node.type = type;
  return node;
}

export function heading(text) {
  return element('h2', '', text);
}

// A labelled input or select inside a search form.
export function field(id, label, control) {
  const box = element('div', 'inline-field');
  const name = element('label', '', label);
  name.htmlFor = id;
  control.id = id;
  box.append(name, control);
  return box;
}

export function input(value = '', type = 'text') {
  const node = element('input');
  node.type = type;
  node.value = value;
  return node;
}

export function select(options, value) {
  const node = element('select');
  for (const [optionValue, label] of options) {
    const option = element('option', '', label);
    option.value = optionValue;
    node.append(option);
  }
  node.value = value;
  return node;
}

// The message line of a screen: a refusal shown plainly (role=alert), or a confirmation.
export function message(text, kind = 'error') {
  const node = element('p', kind === 'error' ? 'error' : 'notice', text);
  node.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  return node;
}
