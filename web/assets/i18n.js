// The pages' languages: one string table per language (strings/*.js), the first choice from the
// server (<html lang>, which it set from Accept-Language), the visitor's own choice remembered in
// localStorage. Every string reaches the page through textContent, never as markup.
import en from './strings/en.js';
import zhCN from './strings/zh-CN.js';

const tables = { 'en': en, 'zh-CN': zhCN };
const storageKey = 'signet.language';

function known(lang) {
  return typeof lang === 'string' && Object.hasOwn(tables, lang);
}

function remembered() {
  try {
    return localStorage.getItem(storageKey);
  } catch {
    return null;  // storage disabled: the server's choice stands
  }
}

let current = known(remembered()) ? remembered()
  : (known(document.documentElement.lang) ? document.documentElement.lang : 'en');
document.documentElement.lang = current;

// More strings for one page (the console's own tables): they join, and may override, the
// shared ones.
export function addStrings(more) {
  for (const [lang, table] of Object.entries(more)) if (known(lang)) Object.assign(tables[lang], table);
}

export function language() {
  return current;
}

export function languages() {
  return Object.keys(tables);
}

export function setLanguage(lang) {
  if (!known(lang)) return;
  current = lang;
  document.documentElement.lang = lang;
  try {
    localStorage.setItem(storageKey, lang);
  } catch {
    // not remembered; still switched
  }
  applyStrings();
}

// The string `key` in the current language (English when the table lacks it), with {name}
// placeholders replaced by params' values as plain text.
// The page's language switch: each click moves to the next language, then `render` redraws
// the page in it.
export function onLanguageSwitch(button, render) {
  button.addEventListener('click', () => {
    const all = languages();
    setLanguage(all[(all.indexOf(language()) + 1) % all.length]);
    render();
  });
}

export function t(key, params = {}) {
  let text = tables[current][key] ?? tables.en[key] ?? key;
  for (const [name, value] of Object.entries(params)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

export function applyStrings(root = document) {
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  // Each page names its title's string on <html data-title>; the verification page's by default.
  document.title = t(document.documentElement.dataset.title ?? 'page.title');
}

// A PDF date (ISO 32000-1 §7.9.4: D:YYYYMMDDHHmmSSOHH'mm') as an ISO 8601 string, or the text
// unchanged when it is not one.
function fromPdfDate(text) {
  const m = /^D:(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:(Z)|([+-])(\d{2})'?(\d{2})'?)?$/.exec(text);
  if (!m) return text;
  const zone = m[8] ? `${m[8]}${m[9]}:${m[10]}` : 'Z';
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${zone}`;
}

// A <time> in the viewer's time zone and language; the UTC time on hover (title). Takes RFC 3339
// or a PDF date (a signature's claimed /M).
export function timeElement(iso) {
  const element = document.createElement('time');
  const date = new Date(fromPdfDate(iso));
  if (Number.isNaN(date.getTime())) {
    element.textContent = iso;
    return element;
  }
  element.dateTime = date.toISOString();
  element.textContent = new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'long' }).format(date);
  element.title = date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return element;
}
