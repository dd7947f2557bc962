// The console's other screens: subjects (GET /v1/subjects, scope `subjects:read`; a manual
// verification, POST /v1/subjects/{id}/verification, scope `ra:officer`), the CAs (GET /v1/cas,
// scope `certificates:read`: their certificates and the state of their CRLs; the OCSP
// responder's health and figures), and health with the key figures of /metrics as small charts
// (console_charts.js). The audit screen is console_audit.js.
import { t } from './i18n.js';
import { barChart, parseMetrics, sumBy } from './console_charts.js';
import {
  api, button, downloadLink, element, facts, field, heading, input, message, problemText, select, table, when,
} from './console_kit.js';

// ---- subjects -------------------------------------------------------------------------------

const subjectsShown = { kind: '', status: '', outcome: null };

function verificationForm(subject, action, list) {
  const form = element('form', 'card confirm');
  form.id = 'verification-form';
  form.append(element('h3', '', t('subjects.verify_title', { name: subject.name })));
  const level = select([['1', '1'], ['2', '2'], ['3', '3']], String(Math.max(1, subject.assurance_level ?? 1)));
  const reason = input();
  const number = input('', 'password');
  number.autocomplete = 'off';
  const save = button(t('subjects.record'), '', 'submit');
  const cancel = button(t('console.cancel'), 'secondary');
  form.append(field('verification-level', t('subjects.level'), level),
    field('verification-reason', t('subjects.reason'), reason),
    field('verification-document', t('subjects.document_number'), number),
    element('p', 'hint', t('subjects.document_hint')), save, cancel);
  cancel.addEventListener('click', () => action.replaceChildren());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const answer = await api(`/v1/subjects/${encodeURIComponent(subject.id)}/verification`, {
      method: 'POST', body: { level: Number(level.value), reason: reason.value, document_number: number.value },
    });
    number.value = '';
    action.replaceChildren(answer.ok ? message(t('subjects.recorded'), 'notice') : message(problemText(answer)));
    if (answer.ok) await listSubjects(list, action);
  });
  action.replaceChildren(form);
  reason.focus();
}

async function listSubjects(list, action) {
  const query = new URLSearchParams({ limit: '50' });
  if (subjectsShown.kind) query.set('kind', subjectsShown.kind);
  if (subjectsShown.status) query.set('status', subjectsShown.status);
  const answer = await api(`/v1/subjects?${query}`);
  if (!answer.ok) {
    list.replaceChildren(message(problemText(answer)));
    return;
  }
  const rows = (answer.json.subjects ?? []).map((s) => {
    const verify = button(t('subjects.verify'), 'secondary verify');
    verify.addEventListener('click', () => verificationForm(s, action, list));
    const name = element('span', 'subject-name', s.name);
    return [s.id, name, t(`kind.${s.kind}`), s.id_masked, s.assurance_level, s.status, when(s.verified_at), verify];
  });
  list.replaceChildren(rows.length ? table(['#', t('subjects.name'), t('contracts.kind'), t('subjects.document'),
    t('subjects.level'), t('certificates.status'), t('subjects.verified_at'), ''], rows, 'subjects')
    : message(t('subjects.none'), 'notice'));
}

export async function renderSubjects(view) {
  const list = element('div', 'results');
  list.id = 'subject-results';
  const action = element('section', 'detail');
  const form = element('form', 'search');
  const kind = select([['', t('subjects.any_kind')], ['person', t('kind.person')], ['organization', t('kind.organization')]], subjectsShown.kind);
  const status = select([['', t('certificates.any_status')], ['active', 'active'], ['deactivated', 'deactivated']], subjectsShown.status);
  form.append(field('subject-kind', t('contracts.kind'), kind), field('subject-status', t('certificates.status'), status),
    button(t('console.search'), '', 'submit'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    Object.assign(subjectsShown, { kind: kind.value, status: status.value });
    listSubjects(list, action);
  });
  view.replaceChildren(heading(t('nav.subjects')), form, action, list);
  await listSubjects(list, action);
}

// ---- CAs: certificates, CRLs and OCSP --------------------------------------------------------

// A CRL's state in words, marked plainly: overdue (its nextUpdate has passed, RFC 5280 §5.1.2.5),
// behind (a revocation it does not list yet: the next CRL would have more entries; fewer is
// normal, a revoked certificate's entry leaving the CRL once it has expired), or current.
function crlState(ca) {
  const state = element('span', 'crl-state');
  state.dataset.ca = ca.name;
  if (!ca.crl) {
    state.classList.add('overdue');
    state.textContent = t('cas.no_crl');
  } else if (ca.crl.overdue) {
    state.classList.add('overdue');
    state.textContent = t('cas.state_overdue');
  } else if (ca.next_crl_entries > ca.crl.entries) {
    state.classList.add('overdue');
    state.textContent = t('cas.state_behind', { entries: ca.next_crl_entries });
  } else {
    state.textContent = t('cas.state_current');
  }
  return state;
}

function casTables(cas) {
  const parts = [];
  const late = cas.filter((ca) => !ca.crl || ca.crl.overdue).map((ca) => ca.name);
  if (late.length) {
    const alert = message(t('cas.overdue_alert', { names: late.join(', ') }));
    alert.id = 'crl-overdue';
    parts.push(alert);
  }
  // Each CA's certificate and CRL as relying parties fetch them (the AIA and CRL distribution
  // point of the certificates it issues).
  const certificate = (ca) => downloadLink(`/ca/${encodeURIComponent(ca.name)}.crt`, `${ca.name}.crt`);
  const crl = (ca) => downloadLink(`/crl/${encodeURIComponent(ca.name)}.crl`, `${ca.name}.crl`);
  parts.push(element('h3', '', t('cas.certificates')),
    table([t('cas.ca'), t('cas.role'), t('cas.parent'), t('cas.key_type'), t('certificates.subject'), t('cas.not_before'),
      t('certificates.not_after'), t('cas.fingerprint'), t('cas.certificate')],
    cas.map((ca) => [ca.name, t(`cas.role_${ca.role}`), ca.parent, ca.key_type, ca.subject_dn, when(ca.not_before),
      when(ca.not_after), element('code', 'digest', ca.fingerprint_sha256), certificate(ca)]), 'cas'),
    element('h3', '', t('cas.crls')),
    table([t('cas.ca'), t('cas.crl_number'), t('cas.this_update'), t('cas.next_update'), t('cas.entries'),
      t('cas.next_entries'), t('cas.state'), t('cas.crl')],
    cas.map((ca) => [ca.name, ca.crl?.number, when(ca.crl?.this_update), when(ca.crl?.next_update), ca.crl?.entries,
      ca.next_crl_entries, crlState(ca), crl(ca)]), 'crls'));
  return parts;
}

export async function renderCas(view) {
  const [cas, health, metrics] = await Promise.all([api('/v1/cas'), api('/healthz'), api('/metrics')]);
  const parts = [heading(t('nav.cas'))];
  if (cas.ok) parts.push(...casTables(cas.json.cas ?? []));
  else parts.push(message(problemText(cas)));
  parts.push(element('h3', '', t('cas.ocsp')));
  const ocsp = health.json?.checks?.ocsp;
  if (ocsp) parts.push(facts([[t('health.status'), ocsp.status], [t('health.detail'), ocsp.detail]]));
  if (metrics.ok) {
    const figures = parseMetrics(metrics.text ?? '');
    parts.push(barChart(t('cas.ocsp_responses'), sumBy(figures, 'signet_ocsp_responses_total', 'status')));
    parts.push(facts(['signet_ocsp_cache_certificates', 'signet_ocsp_cache_responses', 'signet_ocsp_refresh_backlog',
      'signet_ocsp_refresh_failures_total'].map((name) => [name, sumBy(figures, name).reduce((a, [, v]) => a + v, 0)])));
  } else {
    parts.push(message(problemText(metrics)));
  }
  view.replaceChildren(...parts);
}

// ---- health and metrics ---------------------------------------------------------------------

export async function renderHealth(view) {
  const [health, metrics] = await Promise.all([api('/healthz'), api('/metrics')]);
  const parts = [heading(t('nav.health'))];
  if (health.json?.checks) {
    parts.push(message(t('health.overall', { status: health.json.status }), health.json.status === 'ok' ? 'notice' : 'error'));
    parts.push(table([t('health.check'), t('health.status'), t('health.detail')],
      Object.entries(health.json.checks).map(([name, c]) => [name, c.status, c.detail]), 'health'));
  } else {
    parts.push(message(problemText(health)));
  }
  if (metrics.ok) {
    const figures = parseMetrics(metrics.text ?? '');
    parts.push(barChart(t('health.requests_by_status'), sumBy(figures, 'signet_http_requests_total', 'status')));
    parts.push(barChart(t('health.tsa_responses'), sumBy(figures, 'signet_tsa_responses_total', 'result')));
    parts.push(barChart(t('health.db_pool'), [['in use', sumBy(figures, 'signet_db_pool_in_use').reduce((a, [, v]) => a + v, 0)],
      ['open', sumBy(figures, 'signet_db_pool_open').reduce((a, [, v]) => a + v, 0)],
      ['waiting', sumBy(figures, 'signet_db_pool_waiting').reduce((a, [, v]) => a + v, 0)]]));
  } else {
    parts.push(message(problemText(metrics)));
  }
  view.replaceChildren(...parts);
}
