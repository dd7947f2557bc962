// The console's other screens: subjects (GET /v1/subjects, scope `subjects:read`; a manual
// verification, POST /v1/subjects/{id}/verification, scope `ra:officer`), the CAs (their CRLs
// and certificates, and the OCSP responder's health and figures), the audit log's checkpoints
// with a consistency check made in the browser (console_merkle.js), and health with the key
// figures of /metrics as small charts (console_charts.js).
import { t } from './i18n.js';
import { barChart, parseMetrics, sumBy } from './console_charts.js';
import { verifyConsistency } from './console_merkle.js';
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

// ---- CAs: CRLs and OCSP ---------------------------------------------------------------------

export async function renderCas(view) {
  const [certificates, health, metrics] = await Promise.all([
    api('/v1/certificates?limit=1000'), api('/healthz'), api('/metrics'),
  ]);
  const parts = [heading(t('nav.cas'))];
  if (certificates.ok) {
    // The CAs that issued something, each with its CRL and certificate as relying parties fetch
    // them (the CRL distribution point and AIA of its certificates).
    const cas = [...new Set((certificates.json.certificates ?? []).map((c) => c.issuer_ca))].sort();
    const counts = (ca, status) => certificates.json.certificates.filter((c) => c.issuer_ca === ca && c.status === status).length;
    parts.push(table([t('cas.ca'), t('cert.issued'), t('cert.revoked'), t('cas.crl'), t('cas.certificate')],
      cas.map((ca) => [ca, counts(ca, 'issued'), counts(ca, 'revoked'),
        downloadLink(`/crl/${encodeURIComponent(ca)}.crl`, `${ca}.crl`),
        downloadLink(`/ca/${encodeURIComponent(ca)}.crt`, `${ca}.crt`)]), 'cas'));
  } else {
    parts.push(message(problemText(certificates)));
  }
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

// ---- audit ----------------------------------------------------------------------------------

function checkpointFacts(c) {
  return facts([[t('audit.origin'), c.origin], [t('audit.size'), c.size], [t('audit.root'), element('code', 'digest', c.root)],
    [t('audit.time'), when(c.time)]]);
}

async function checkConsistency(latest, size, out) {
  const earlier = await api(`/v1/audit/checkpoints/${encodeURIComponent(size)}`);
  if (!earlier.ok) {
    out.replaceChildren(message(problemText(earlier)));
    return;
  }
  const proof = earlier.json.size === latest.size ? { ok: true, json: { path: [] } }
    : await api(`/v1/audit/proof/consistency?first=${earlier.json.size}&second=${latest.size}`);
  if (!proof.ok) {
    out.replaceChildren(message(problemText(proof)));
    return;
  }
  const good = await verifyConsistency(earlier.json.size, latest.size, earlier.json.root, latest.root, proof.json.path);
  const verdict = message(good ? t('audit.consistent', { first: earlier.json.size, second: latest.size })
    : t('audit.inconsistent', { first: earlier.json.size, second: latest.size }), good ? 'notice' : 'error');
  verdict.id = 'audit-verdict';
  out.replaceChildren(checkpointFacts(earlier.json), verdict);
}

export async function renderAudit(view) {
  const latest = await api('/v1/audit/checkpoints/latest');
  const parts = [heading(t('nav.audit'))];
  if (!latest.ok) {
    view.replaceChildren(...parts, message(problemText(latest)));
    return;
  }
  parts.push(element('h3', '', t('audit.latest')), checkpointFacts(latest.json));
  const form = element('form', 'search');
  const size = input('1');
  size.inputMode = 'numeric';
  const out = element('div', 'results');
  form.append(field('audit-size', t('audit.earlier_size'), size), button(t('audit.verify'), '', 'submit'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    checkConsistency(latest.json, size.value.trim(), out);
  });
  parts.push(element('p', 'hint', t('audit.verify_hint')), form, out);
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
