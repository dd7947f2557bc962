// An evidence package's report (POST /verify/report with a ZIP: evidence::report_json plus
// "format": "evidence-package", docs/web.md) made readable: the verdict, the contract, what
// failed first and plainly, then every check grouped by what it is about. Built with
// textContent only, as report_view.js: a subject or detail from the package stays text.
import { t } from './i18n.js';
import { element, fact, fileLine } from './report_view.js';

// The groups, in the order the verifier checks them (evidence/verify_package.hpp), each by the
// subjects it holds: a file of the package, a folder, or "checkpoint".
const groups = [
  { key: 'documents', holds: (s) => s === 'evidence-certificate.pdf' || s === 'document' || s.startsWith('document/') },
  { key: 'checkpoint', holds: (s) => s === 'checkpoint' || s.startsWith('audit/checkpoint/') },
  { key: 'audit', holds: (s) => s.startsWith('audit/') },
  { key: 'contract_events', holds: (s) => s.startsWith('contract-events/') },
];
// manifest.json, manifest.p7s, and whatever else the manifest check names (certificates/,
// validation/, a file added to the package).
const manifestGroup = { key: 'manifest', holds: () => true };

function groupOf(subject) {
  return groups.find((group) => group.holds(subject)) ?? manifestGroup;
}

function checkItem(check) {
  const item = element('li', check.ok ? 'check ok' : 'check failed');
  item.dataset.ok = String(check.ok);
  item.append(element('strong', 'subject', check.subject), ': ', element('span', 'detail', check.detail));
  return item;
}

function list(checks) {
  const out = element('ul', 'checks');
  for (const check of checks) out.append(checkItem(check));
  return out;
}

// One group: its failures shown, its passed checks folded away under a count.
function groupCard(key, checks) {
  const failed = checks.filter((check) => !check.ok);
  const passed = checks.filter((check) => check.ok);
  const card = element('section', 'check-group');
  card.dataset.group = key;
  card.dataset.verdict = failed.length ? 'invalid' : 'valid';
  card.append(element('h3', '', t(`package.group.${key}`)));
  let summary = 'package.group.failed';
  if (!failed.length) summary = checks.length === 1 ? 'package.group.passed_one' : 'package.group.passed';
  card.append(element('p', `verdict ${failed.length ? 'invalid' : 'valid'}`,
    t(summary, { failed: failed.length, count: checks.length })));
  if (failed.length) {
    const box = element('div', 'failures');
    box.append(list(failed));
    card.append(box);
  }
  if (passed.length) {
    const details = element('details', 'passed');
    details.append(element('summary', '', t('package.passed_checks', { count: passed.length })));
    details.append(list(passed));
    card.append(details);
  }
  return card;
}

// Replaces `target`'s content with the package report of `fileName`.
export function renderPackageReport(target, fileName, report) {
  const checks = Array.isArray(report.checks) ? report.checks : [];
  const failed = checks.filter((check) => !check.ok);
  target.replaceChildren(fileLine(fileName));
  const overall = element('p', `verdict ${report.valid ? 'valid' : 'invalid'}`,
    t(report.valid ? 'package.valid' : 'package.invalid', { failed: failed.length }));
  overall.id = 'overall';
  target.append(overall);

  const facts = element('dl', 'facts');
  fact(facts, t('package.kind'), t('package.kind.value'));
  fact(facts, t('package.contract'), report.contract || t('sig.unknown')).className = 'contract-id';
  fact(facts, t('package.checks'), t('package.checks.count', { passed: checks.length - failed.length, count: checks.length }));
  target.append(facts);

  // What failed, first: each check's subject (the file) and what is wrong with it.
  if (failed.length) {
    const box = element('div', 'failures package-failures');
    box.append(element('h3', '', t('package.failures')));
    box.append(list(failed));
    target.append(box);
  }
  if (!checks.length) target.append(element('p', 'error', t('package.no_checks')));

  const byGroup = new Map();
  for (const check of checks) {
    const key = groupOf(check.subject).key;
    if (!byGroup.has(key)) byGroup.set(key, []);
    byGroup.get(key).push(check);
  }
  for (const key of ['manifest', ...groups.map((group) => group.key)])
    if (byGroup.has(key)) target.append(groupCard(key, byGroup.get(key)));
}
