// The contracts screen: search the logged-in API client's contracts (GET /v1/contracts, scope
// `contracts`; /v1 shows a client its own contracts only), open one (GET /v1/contracts/{id}):
// its parties (names from GET /v1/subjects/{id} when the session has `subjects:read`), its
// revisions (each downloadable), its events with their time-stamps, and its evidence package.
import { t } from './i18n.js';
import {
  api, button, downloadLink, element, facts, field, heading, input, message, problemText, select,
  table, when,
} from './console_kit.js';

const states = ['', 'draft', 'sent', 'partially_signed', 'completed', 'cancelled', 'expired'];
// Kept across a language switch, which draws the screen again.
const shown = { title: '', state: '', searched: false, opened: null };

function searchForm(results, detail, session) {
  const form = element('form', 'search');
  form.id = 'contract-search';
  const title = input(shown.title, 'search');
  const state = select(states.map((s) => [s, s ? t(`state.${s}`) : t('contracts.any_state')]), shown.state);
  form.append(field('contract-title', t('contracts.title_words'), title),
    field('contract-state', t('contracts.state'), state),
    button(t('console.search'), '', 'submit'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    Object.assign(shown, { title: title.value.trim(), state: state.value, searched: true, opened: null });
    detail.replaceChildren();
    await search(results, detail, session);
  });
  return form;
}

async function search(results, detail, session) {
  const query = new URLSearchParams({ limit: '50' });
  if (shown.title) query.set('title', shown.title);
  if (shown.state) query.set('state', shown.state);
  const answer = await api(`/v1/contracts?${query}`);
  if (!answer.ok) {
    results.replaceChildren(message(problemText(answer)));
    return;
  }
  const items = answer.json.items ?? [];
  if (!items.length) {
    results.replaceChildren(message(t('contracts.none'), 'notice'));
    return;
  }
  const rows = items.map((c) => {
    const open = button(c.title, 'link open-contract');
    open.dataset.id = c.id;
    open.addEventListener('click', () => {
      shown.opened = c.id;
      openContract(detail, session);
    });
    return [open, t(`state.${c.state}`), c.signer_count, when(c.created_at), c.id];
  });
  results.replaceChildren(table([t('contracts.col_title'), t('contracts.state'), t('contracts.col_signers'),
    t('contracts.col_created'), t('contracts.col_id')], rows, 'contracts'));
}

async function partyName(subjectId, session) {
  if (!session.scopes.includes('subjects:read')) return `#${subjectId}`;
  const answer = await api(`/v1/subjects/${encodeURIComponent(subjectId)}`);
  return answer.ok ? `${answer.json.name} (#${subjectId})` : `#${subjectId}`;
}

async function openContract(detail, session) {
  const id = shown.opened;
  const answer = await api(`/v1/contracts/${encodeURIComponent(id)}`);
  if (!answer.ok) {
    detail.replaceChildren(message(problemText(answer)));
    return;
  }
  const c = answer.json;
  const base = `/v1/contracts/${encodeURIComponent(c.id)}`;
  const card = element('article', 'card contract');
  card.append(element('h3', 'contract-title', c.title));
  card.append(facts([
    [t('contracts.col_id'), c.id], [t('contracts.state'), t(`state.${c.state}`)],
    [t('contracts.format'), c.format], [t('contracts.col_created'), when(c.created_at)],
    [t('contracts.expires'), when(c.expires_at)], [t('contracts.completed'), when(c.completed_at)],
  ]));
  card.append(downloadLink(`${base}/evidence`, t('contracts.evidence'), 'download evidence'));

  card.append(element('h4', '', t('contracts.parties')));
  const parties = await Promise.all(c.signers.map(async (s) => [
    s.position, t(`kind.${s.kind}`), await partyName(s.subject_id, session),
    t(`signer.${s.state}`), when(s.signed_at), s.certificate_serial,
  ]));
  card.append(table([t('contracts.position'), t('contracts.kind'), t('contracts.party'), t('contracts.state'),
    t('contracts.signed_at'), t('contracts.certificate')], parties, 'parties'));

  card.append(element('h4', '', t('contracts.revisions')));
  card.append(table([t('contracts.revision'), t('contracts.kind'), 'SHA-256', t('contracts.size'),
    t('contracts.col_created'), ''], c.revisions.map((r) => [
    r.number, r.kind, element('code', 'digest', r.sha256), r.size, when(r.created_at),
    downloadLink(`${base}/document?revision=${r.number}`, t('contracts.download')),
  ]), 'revisions'));

  card.append(element('h4', '', t('contracts.events')));
  card.append(table(['#', t('contracts.event'), t('contracts.event_at'), t('contracts.timestamp'),
    t('contracts.position')], c.events.map((e) => [
    e.seq, e.type, when(e.at), when(e.timestamp_time), e.signer,
  ]), 'events'));
  detail.replaceChildren(card);
}

export async function renderContracts(view, session) {
  const results = element('div', 'results');
  results.id = 'contract-results';
  const detail = element('section', 'detail');
  detail.id = 'contract-detail';
  view.replaceChildren(heading(t('nav.contracts')), searchForm(results, detail, session), results, detail);
  if (shown.searched) await search(results, detail, session);
  if (shown.opened) await openContract(detail, session);
}
