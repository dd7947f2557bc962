// The console's audit screen: the latest checkpoint with its signature checked in this browser
// (console_checkpoint.js) and its fields as signed, its signing certificate found among the
// appliance's certificates by serial and SHA-256 fingerprint, and a consistency check against an
// earlier checkpoint, itself checked the same way (console_merkle.js, RFC 9162 §2.1.4.2). The
// chain to the root and the RFC 3161 token are left to `signetctl audit verify --root`.
import { t } from './i18n.js';
import { checkCheckpoint } from './console_checkpoint.js';
import { verifyConsistency } from './console_merkle.js';
import { api, button, element, facts, field, heading, input, message, problemText, when } from './console_kit.js';

// The certificate whose key signed: the appliance's record of that serial, when its fingerprint
// is the one of the certificate in the checkpoint (a serial alone could name another one).
async function signerFacts(certificate) {
  const rows = [[t('audit.signer_serial'), element('code', 'serial', certificate.serial)],
    [t('audit.signer_fingerprint'), element('code', 'digest', certificate.fingerprint)]];
  const answer = await api(`/v1/certificates/${encodeURIComponent(certificate.serial)}`);
  if (answer.ok && answer.json?.fingerprint_sha256 === certificate.fingerprint) {
    const status = element('span', `signer-status status-${answer.json.status}`, t(`cert.${answer.json.status}`));
    rows.push([t('certificates.status'), status], [t('certificates.subject'), answer.json.subject_dn],
      [t('certificates.not_after'), when(answer.json.not_after)]);
  } else {
    rows.push([t('certificates.status'), answer.ok || answer.status === 404 ? t('audit.signer_unknown') : problemText(answer)]);
  }
  return facts(rows);
}

// One checkpoint as checked: the verdict on its signature, a warning when the answer's unsigned
// fields disagree with the signed text, the fields as signed, and who signed.
async function checkpointView(answer, check) {
  const box = element('section', 'checkpoint');
  const verdict = check.verified
    ? message(t('audit.signature_ok', { algorithm: check.algorithm }), 'notice')
    : message(t('audit.signature_bad', { why: t(`audit.why_${check.why ?? 'signature'}`) }));
  verdict.classList.add('signature-verdict');
  box.append(verdict);
  if (check.differing.length) {
    const differs = message(t('audit.differs', { fields: check.differing.join(', ') }));
    differs.classList.add('differs');
    box.append(differs);
  }
  if (check.signed) {
    const s = check.signed;
    const signed = facts([[t('audit.origin'), s.origin], [t('audit.size'), s.size],
      [t('audit.root'), element('code', 'digest', s.root)], [t('audit.time'), when(s.time)]]);
    signed.classList.add('signed-fields');
    box.append(signed);
  }
  if (check.certificate) {
    box.append(element('h4', '', t('audit.signer')), await signerFacts(check.certificate));
  }
  return box;
}

async function checkConsistency(latest, size, out) {
  const earlier = await api(`/v1/audit/checkpoints/${encodeURIComponent(size)}`);
  if (!earlier.ok) {
    out.replaceChildren(message(problemText(earlier)));
    return;
  }
  const check = await checkCheckpoint(earlier.json);
  const shown = await checkpointView(earlier.json, check);
  if (!check.signed) {
    out.replaceChildren(shown);
    return;
  }
  // The sizes and roots compared are the signed ones.
  const first = check.signed;
  const second = latest.signed;
  const proof = first.size === second.size ? { ok: true, json: { path: [] } }
    : await api(`/v1/audit/proof/consistency?first=${first.size}&second=${second.size}`);
  if (!proof.ok) {
    out.replaceChildren(shown, message(problemText(proof)));
    return;
  }
  const good = await verifyConsistency(first.size, second.size, first.root, second.root, proof.json.path);
  const sizes = { first: first.size, second: second.size };
  let verdict;
  if (!good) verdict = message(t('audit.inconsistent', sizes));
  else if (check.verified && latest.verified) verdict = message(t('audit.consistent', sizes), 'notice');
  else verdict = message(t('audit.consistent_unsigned', sizes));
  verdict.id = 'audit-verdict';
  out.replaceChildren(shown, verdict);
}

export async function renderAudit(view) {
  const latest = await api('/v1/audit/checkpoints/latest');
  const parts = [heading(t('nav.audit'))];
  if (!latest.ok) {
    view.replaceChildren(...parts, message(problemText(latest)));
    return;
  }
  const check = await checkCheckpoint(latest.json);
  const shown = await checkpointView(latest.json, check);
  shown.id = 'latest-checkpoint';
  parts.push(element('h3', '', t('audit.latest')), shown, element('p', 'hint', t('audit.checked_here')));
  if (check.signed) {
    const form = element('form', 'search');
    const size = input('1');
    size.inputMode = 'numeric';
    const out = element('div', 'results');
    form.append(field('audit-size', t('audit.earlier_size'), size), button(t('audit.verify'), '', 'submit'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      checkConsistency(check, size.value.trim(), out);
    });
    parts.push(element('h3', '', t('audit.consistency')), element('p', 'hint', t('audit.verify_hint')), form, out);
  }
  view.replaceChildren(...parts);
}
