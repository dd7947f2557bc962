// The public verification page (GET /verify): a file chosen or dropped is posted to
// POST /verify/report and its report shown: a document's (report_view.js) or, when the answer's
// "format" is "evidence-package", an evidence package's (package_view.js). Keyboard: the file inputs and the
// button are ordinary controls; the drop zone is an extra, not the only way in.
import { applyStrings, onLanguageSwitch, t } from './i18n.js';
import { renderPackageReport } from './package_view.js';
import { renderProblem, renderReport } from './report_view.js';

const form = document.getElementById('verify-form');
const signatureInput = document.getElementById('signature-file');
const dataInput = document.getElementById('data-file');
const dropZone = document.getElementById('drop-zone');
const status = document.getElementById('status');
const result = document.getElementById('result');
const switcher = document.getElementById('language-switch');

// What is shown, so that switching the language renders it again.
let shown = null;

function render() {
  applyStrings();
  switcher.textContent = t('language.switch');
  switcher.setAttribute('aria-label', t('language.switch_label'));
  if (shown?.report?.format === 'evidence-package') renderPackageReport(result, shown.fileName, shown.report);
  else if (shown?.report) renderReport(result, shown.fileName, shown.report);
  else if (shown?.problem) renderProblem(result, shown.fileName, shown.problem());
}

// The refusal as a function, so that it is worded again in the language switched to (a
// server's detail stays as the server wrote it).
function problemMessage(answer, body) {
  const seconds = answer.headers.get('Retry-After') ?? '60';
  if (answer.status === 429) return () => t('error.rate_limited', { seconds });
  if (answer.status === 413) return () => t('error.too_large');
  const detail = typeof body?.detail === 'string' ? body.detail : `HTTP ${answer.status}`;
  return () => detail;
}

async function verify(event) {
  event.preventDefault();
  const file = signatureInput.files[0];
  if (!file) {
    status.textContent = t('status.choose');
    return;
  }
  const body = new FormData();
  body.append('signature', file, file.name);
  if (dataInput.files[0]) body.append('data', dataInput.files[0], dataInput.files[0].name);
  status.textContent = t('status.working');
  shown = null;
  result.replaceChildren();
  try {
    const answer = await fetch('/verify/report', { method: 'POST', body, credentials: 'omit' });
    const json = await answer.json().catch(() => null);
    shown = answer.ok && json ? { fileName: file.name, report: json }
      : { fileName: file.name, problem: problemMessage(answer, json) };
  } catch {
    shown = { fileName: file.name, problem: () => t('error.network') };
  }
  status.textContent = t('status.done');
  render();
  result.focus();
}

function dropped(event) {
  event.preventDefault();
  dropZone.classList.remove('over');
  const files = event.dataTransfer?.files;
  if (!files?.length) return;
  signatureInput.files = files;
  form.requestSubmit();
}

form.addEventListener('submit', verify);
dropZone.addEventListener('dragover', (event) => { event.preventDefault(); dropZone.classList.add('over'); });
dropZone.addEventListener('dragleave', () => dropZone.classList.remove('over'));
dropZone.addEventListener('drop', dropped);
onLanguageSwitch(switcher, render);
result.tabIndex = -1;
render();
