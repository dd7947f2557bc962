// The signer's page's views (sign.js holds the flow): the contract's facts, the parties in
// signing order, the state a link or contract is in, an OTP refusal and the result. Built
// element by element; every value from the server (a title, a name, a file name) goes in through
// textContent, so markup in it stays text.
import { t, timeElement } from './i18n.js';

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// A sentence whose {time} is a <time> in the viewer's zone (the UTC time on hover).
export function sentenceWithTime(key, iso, params = {}) {
  const paragraph = element('p');
  const [before, after = ''] = t(key, params).split('{time}');
  paragraph.append(before, timeElement(iso), after);
  return paragraph;
}

function fact(list, label, value) {
  list.append(element('dt', '', label));
  const dd = element('dd');
  dd.append(value);
  list.append(dd);
}

export function renderFacts(list, info) {
  list.replaceChildren();
  fact(list, t('sign.title_label'), info.contract.title);
  fact(list, t('sign.deadline'), timeElement(info.contract.expires_at));
  fact(list, t('sign.link_expires'), timeElement(info.link_expires_at));
}

function partyName(party) {
  if (party.kind !== 'seal') return party.name;
  const seal = t('sign.party.seal', { name: party.name });
  return party.agent_name ? `${seal}, ${t('sign.party.agent', { name: party.agent_name })}` : seal;
}

function partyState(party) {
  if (party.state === 'signed') return 'signed';
  return party.due ? 'due' : 'waiting';
}

// The parties in order: who, and signed (when) / signing now / waiting; the viewer's own marked.
export function renderParties(list, parties, ownPosition) {
  list.replaceChildren();
  for (const party of parties) {
    const item = element('li', `party ${partyState(party)}`);
    item.dataset.position = String(party.position);
    item.dataset.state = partyState(party);
    const name = element('span', 'party-name', partyName(party));
    item.append(name);
    if (party.position === ownPosition) item.append(' ', element('span', 'party-you', t('sign.party.you')));
    const state = element('span', 'party-state', t(`sign.party.${partyState(party)}`));
    if (party.signed_at) state.append(' ', timeElement(party.signed_at));
    item.append(' ', state);
    list.append(item);
  }
}

// Why this link cannot sign now, or null when it can. `info` is GET /v1/signing/{token}'s answer.
export function stateOf(info) {
  const contract = info.contract;
  if (contract.state === 'cancelled') return { key: 'state.cancelled' };
  if (contract.state === 'expired') return { key: 'state.contract_expired' };
  if (info.signer.state === 'signed') return { key: 'state.already_signed' };
  if (contract.state === 'completed') return { key: 'state.completed' };
  if (contract.shredded) return { key: 'state.shredded' };
  if (contract.state === 'draft') return { key: 'state.not_sent' };
  if (!info.signer.due) {
    const due = info.parties.find((party) => party.due);
    return due ? { key: 'state.not_your_turn', params: { position: due.position, name: partyName(due) } }
      : { key: 'state.not_sent' };
  }
  return null;
}

// The state message: `closed` names a link that opens nothing (expired, used, unknown) or a
// contract state from stateOf.
export function renderState(section, state) {
  section.replaceChildren(element('p', 'state-message', t(state.key, state.params ?? {})));
  section.dataset.state = state.key;
  section.hidden = false;
}

// An OTP refusal (api/ra_routes.hpp otp_problem) as a sentence; null for other answers.
export function otpMessage(problem, retryAfter) {
  const slug = typeof problem?.type === 'string' ? problem.type.split('/').pop() : '';
  switch (slug) {
    case 'otp-wrong-code': return element('p', '', t('otp.wrong_code', { n: problem.attempts_left ?? 0 }));
    case 'otp-locked':
      return problem.locked_until ? sentenceWithTime('otp.locked', problem.locked_until)
        : element('p', '', t('otp.locked_unknown'));
    case 'otp-expired': return element('p', '', t('otp.expired'));
    case 'otp-already-used': return element('p', '', t('otp.used'));
    case 'otp-voided': return element('p', '', t('otp.voided'));
    case 'otp-not-found': return element('p', '', t('otp.not_found'));
    case 'otp-rate-limited':
      return element('p', '', t('otp.rate_limited', { seconds: problem.retry_after ?? retryAfter ?? 60 }));
    default: return null;
  }
}

// The signed contract (the sign route's answer): done, this signer's revision, what comes next.
export function renderResult(section, contract, ownPosition) {
  const own = contract.signers.find((signer) => signer.position === ownPosition);
  section.replaceChildren(
    element('p', 'verdict valid', t('sign.done')),
    element('p', '', t('sign.done_detail', { revision: own?.revision ?? '?' })),
    element('p', '', t(contract.state === 'completed' ? 'sign.done_completed' : 'sign.done_next')));
  section.hidden = false;
}
