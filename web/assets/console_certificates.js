// The certificates screen: search (GET /v1/certificates, scope `certificates:read`) and revoke
// with a reason (POST /v1/certificates/{serial}/revoke, scope `certificates:revoke`) after a
// confirmation step that names the certificate. Without the scope the server refuses and the
// refusal is shown as it came.
import { t } from './i18n.js';
import {
  api, button, element, facts, field, heading, input, message, problemText, select, table, when,
} from './console_kit.js';

const statuses = ['', 'issued', 'revoked', 'reserved', 'abandoned'];
// RFC 5280 §5.3.1's reasons an operator may give (removeFromCRL is not a revocation).
const reasons = ['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded',
  'cessationOfOperation', 'privilegeWithdrawn'];
const shown = { subject: '', serial: '', status: '', searched: false, outcome: null };

function searchForm(results, confirm) {
  const form = element('form', 'search');
  form.id = 'certificate-search';
  const subject = input(shown.subject);
  subject.inputMode = 'numeric';
  const serial = input(shown.serial);
  const status = select(statuses.map((s) => [s, s ? t(`cert.${s}`) : t('certificates.any_status')]), shown.status);
  form.append(field('certificate-subject', t('certificates.subject_id'), subject),
    field('certificate-serial', t('certificates.serial'), serial),
    field('certificate-status', t('certificates.status'), status),
    button(t('console.search'), '', 'submit'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    Object.assign(shown, {
      subject: subject.value.trim(), serial: serial.value.trim(), status: status.value, searched: true, outcome: null,
    });
    confirm.replaceChildren();
    await search(results, confirm);
  });
  return form;
}

async function search(results, confirm) {
  const query = new URLSearchParams({ limit: '50' });
  if (shown.subject) query.set('subject_id', shown.subject);
  if (shown.serial) query.set('serial', shown.serial);
  if (shown.status) query.set('status', shown.status);
  const answer = await api(`/v1/certificates?${query}`);
  if (!answer.ok) {
    results.replaceChildren(message(problemText(answer)));
    return;
  }
  const items = answer.json.certificates ?? [];
  if (!items.length) {
    results.replaceChildren(message(t('certificates.none'), 'notice'));
    return;
  }
  const rows = items.map((c) => {
    let action = '';
    if (c.status === 'issued') {
      action = button(t('certificates.revoke'), 'danger revoke');
      action.dataset.serial = c.serial;
      action.addEventListener('click', () => askToRevoke(c, results, confirm));
    }
    const status = element('span', `status-${c.status}`, t(`cert.${c.status}`));
    status.dataset.serial = c.serial;
    return [element('code', 'serial', c.serial), c.subject_dn, c.profile, status, when(c.not_after), action];
  });
  results.replaceChildren(table([t('certificates.serial'), t('certificates.subject'), t('certificates.profile'),
    t('certificates.status'), t('certificates.not_after'), ''], rows, 'certificates'));
}

// The confirmation step: what will be revoked, a reason, and a button that says it.
function askToRevoke(certificate, results, confirm) {
  const box = element('form', 'card confirm');
  box.id = 'revoke-confirmation';
  box.setAttribute('role', 'alertdialog');
  box.setAttribute('aria-labelledby', 'revoke-question');
  const question = element('h3', '', t('certificates.confirm_question'));
  question.id = 'revoke-question';
  const reason = select(reasons.map((r) => [r, t(`reason.${r}`)]), 'unspecified');
  const yes = button(t('certificates.confirm'), 'danger', 'submit');
  yes.id = 'revoke-confirm';
  const no = button(t('console.cancel'), 'secondary');
  no.id = 'revoke-cancel';
  box.append(question, facts([[t('certificates.serial'), certificate.serial],
    [t('certificates.subject'), certificate.subject_dn], [t('certificates.not_after'), when(certificate.not_after)]]),
  field('revoke-reason', t('certificates.reason'), reason), element('p', 'hint', t('certificates.irreversible')), yes, no);
  no.addEventListener('click', () => confirm.replaceChildren());
  box.addEventListener('submit', async (event) => {
    event.preventDefault();
    yes.disabled = true;
    const answer = await api(`/v1/certificates/${encodeURIComponent(certificate.serial)}/revoke`, {
      method: 'POST', body: { reason: reason.value },
    });
    const outcome = answer.ok ? message(t('certificates.revoked', { serial: certificate.serial }), 'notice')
      : message(problemText(answer));
    outcome.id = 'revoke-outcome';
    confirm.replaceChildren(outcome);
    if (answer.ok) await search(results, confirm);
  });
  confirm.replaceChildren(box);
  reason.focus();
}

export async function renderCertificates(view) {
  const results = element('div', 'results');
  results.id = 'certificate-results';
  const confirm = element('section', 'detail');
  confirm.id = 'certificate-action';
  view.replaceChildren(heading(t('nav.certificates')), searchForm(results, confirm), confirm, results);
  if (shown.searched) await search(results, confirm);
}
