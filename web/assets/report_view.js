// The verification report (sign/verify_report.hpp's JSON) made readable: one card per signature
// saying who signed, when, whether it is intact, what it covers, its level and its chain, with
// what failed listed plainly. The DOM is built element by element and every value from the
// report or the file goes in through textContent: a name with markup stays text. An evidence
// package's report ("format": "evidence-package") is package_view.js's, with the helpers
// exported here.
import { t, timeElement } from './i18n.js';

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function fact(list, label, value) {
  list.append(element('dt', '', label));
  const dd = element('dd');
  if (value instanceof Node) dd.append(value); else dd.textContent = value;
  list.append(dd);
  return dd;
}

function verdictOf(signature) {
  if (signature.valid) return 'valid';
  return signature.intact ? 'invalid' : 'broken';
}

// The checks that failed, each as a sentence naming the part.
function failuresOf(signature) {
  const failures = [];
  if (!signature.intact) failures.push(t('fail.intact'));
  const cms = signature.cms;
  if (cms && !cms.signature_valid) failures.push(t('fail.signature'));
  if (cms && cms.signature_valid && !cms.signing_certificate_matches) failures.push(t('fail.signing_certificate'));
  const coverage = signature.coverage;
  if (coverage && coverage.problem) failures.push(t('fail.coverage', { problem: coverage.problem }));
  if (coverage && !coverage.later_changes_permitted && coverage.later_changes && coverage.later_changes.length)
    failures.push(t('fail.later_changes', { changes: coverage.later_changes.join('; ') }));
  const chain = signature.chain;
  const untrusted = signature.kind === 'document_timestamp' ? 'fail.untrusted_tsa' : 'fail.untrusted';
  if (chain && !chain.trusted) failures.push(t(untrusted, { problem: chain.problem ? `: ${chain.problem}` : '' }));
  const stamp = signature.time_stamp;
  if (stamp && stamp.present && (!stamp.signature_valid || !stamp.imprint_matches))
    failures.push(t('fail.timestamp', { problem: stamp.problem ? `: ${stamp.problem}` : '' }));
  for (const certificate of chain?.certificates ?? [])
    if (certificate.revocation?.status === 'revoked') failures.push(t('fail.revoked', { subject: certificate.subject }));
  return failures;
}

function coverageText(signature) {
  const coverage = signature.coverage;
  if (!coverage) return t('sig.coverage.all_bytes');
  if (coverage.covers_whole_file) return t('sig.coverage.whole');
  let text = t('sig.coverage.revision', { end: coverage.revision_end });
  if (coverage.later_changes_permitted) text += ' ' + t('sig.coverage.permitted');
  return text;
}

function timeFact(signature) {
  const holder = element('span');
  if (signature.time) {
    holder.append(timeElement(signature.time), ' ', t('sig.time.proved'));
  } else {
    holder.append(t('sig.time.none'));
    if (signature.claimed_time) {
      holder.append(' (');
      const [before, after] = t('sig.time.claimed').split('{time}');
      holder.append(before, timeElement(signature.claimed_time), after ?? '', ')');
    }
  }
  return holder;
}

function chainView(chain) {
  const box = element('div', 'chain');
  box.append(element('p', chain.trusted ? '' : 'error', t(chain.trusted ? 'sig.chain.trusted' : 'sig.chain.untrusted')));
  const list = element('ol');
  for (const certificate of chain.certificates ?? []) {
    const item = element('li');
    item.append(element('strong', '', certificate.subject));
    item.append(element('br'), `${t('sig.issuer')}: ${certificate.issuer}`);
    item.append(element('br'), `${t('cert.valid_until')}: `, timeElement(certificate.not_after));
    const status = certificate.revocation?.status;
    if (status) item.append(element('br'), `${t('cert.revocation')}: ${t('revocation.' + status)}`);
    list.append(item);
  }
  box.append(list);
  return box;
}

function signatureCard(signature, index) {
  const verdict = verdictOf(signature);
  const card = element('article', 'signature');
  card.dataset.verdict = verdict;
  const timestamp = signature.kind === 'document_timestamp';
  card.append(element('h3', '', t(timestamp ? 'sig.timestamp_title' : 'sig.title', { n: index + 1 })));
  card.append(element('p', `verdict ${verdict}`, t(`sig.verdict.${verdict}`)));

  const facts = element('dl', 'facts');
  if (signature.field) fact(facts, t('sig.field'), signature.field);
  fact(facts, t(timestamp ? 'sig.tsa' : 'sig.signer'), signature.signer?.subject ?? t('sig.unknown')).className = 'signer';
  fact(facts, t('sig.time'), timeFact(signature));
  fact(facts, t('sig.intact'), t(signature.intact ? 'sig.intact.yes' : 'sig.intact.no'));
  fact(facts, t('sig.coverage'), coverageText(signature));
  if (!timestamp) fact(facts, t('sig.level'), signature.level === 'none' ? t('sig.level.none') : `PAdES/CAdES ${signature.level}`);
  card.append(facts);

  const failures = failuresOf(signature);
  if (failures.length) {
    const box = element('div', 'failures');
    box.append(element('h4', '', t('sig.failures')));
    const list = element('ul');
    for (const failure of failures) list.append(element('li', '', failure));
    box.append(list);
    card.append(box);
  }
  if (signature.chain) {
    const details = element('details');
    details.append(element('summary', '', t('sig.chain')));
    details.append(chainView(signature.chain));
    card.append(details);
  }
  if (signature.problems?.length) {
    const details = element('details', 'problems');
    details.append(element('summary', '', t('sig.details')));
    const list = element('ul');
    for (const problem of signature.problems) list.append(element('li', '', problem));
    details.append(list);
    card.append(details);
  }
  return card;
}

export function fileLine(fileName) {
  const line = element('p', 'file');
  line.append(element('strong', '', `${t('report.file')}: `), element('span', 'file-name', fileName));
  return line;
}

// Replaces `target`'s content with the report of `fileName`.
export function renderReport(target, fileName, report) {
  target.replaceChildren(fileLine(fileName));
  const signatures = report.signatures ?? [];
  const overall = element('p', `verdict ${report.valid ? 'valid' : 'invalid'}`, t(report.valid ? 'report.valid' : 'report.invalid'));
  overall.id = 'overall';
  target.append(overall);
  if (!signatures.length) target.append(element('p', '', t('report.no_signatures')));
  if (report.problems?.length) {
    target.append(element('h4', '', t('report.document_problems')));
    const list = element('ul', 'failures');
    for (const problem of report.problems) list.append(element('li', '', problem));
    target.append(list);
  }
  signatures.forEach((signature, index) => target.append(signatureCard(signature, index)));
}

// Replaces `target`'s content with a refusal: its problem+json detail, as text.
export function renderProblem(target, fileName, message) {
  target.replaceChildren(fileLine(fileName), element('p', 'verdict invalid', t('error.title')), element('p', 'error', message));
}
