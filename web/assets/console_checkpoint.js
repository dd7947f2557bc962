// An audit checkpoint's signature checked in the browser with WebCrypto, no library: the
// certificate's SubjectPublicKeyInfo found by a small DER walker, the key imported (ECDSA P-256 or
// P-384, or RSASSA-PKCS1-v1_5), the signature verified over the signed body's bytes with SHA-256
// (audit/checkpoint.hpp: ECDSA as a DER Ecdsa-Sig-Value, RSA PKCS#1 v1.5), and the fields read
// from that body, which is what was signed (the answer's other fields are not). What this does
// not check — the certificate's chain to the root at the time-stamp's time and the RFC 3161 token
// over SHA-256(body) — is `signetctl audit verify --root`'s (docs/evidence.md).

export function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function hex(bytes, separator = '') {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(separator);
}

// One DER TLV at `at` of `bytes` (X.690 §8.1): its tag, where its content starts and ends. A
// length in long form has at most 4 octets; anything running past `end` is malformed.
function tlv(bytes, at, end = bytes.length) {
  if (at + 2 > end) throw new Error('truncated');
  const tag = bytes[at];
  if ((tag & 0x1f) === 0x1f) throw new Error('multi-octet tag');
  let length = bytes[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4 || start + octets > end) throw new Error('bad length');
    length = 0;
    for (let i = 0; i < octets; i += 1) length = length * 256 + bytes[start + i];
    start += octets;
  }
  if (start + length > end) throw new Error('content runs past its container');
  return { tag, at, start, end: start + length };
}

// The TLVs inside a constructed one, in order; its content must be exactly these.
function children(bytes, parent) {
  const out = [];
  for (let at = parent.start; at < parent.end;) {
    const child = tlv(bytes, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OID = 0x06;

function expect(node, tag, what) {
  if (node?.tag !== tag) throw new Error(`${what} is not where a certificate has it`);
  return node;
}

// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature } and
// tbsCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer, validity,
// subject, subjectPublicKeyInfo, ... } (RFC 5280 §4.1).
export function certificateParts(der) {
  const certificate = expect(tlv(der, 0), SEQUENCE, 'the certificate');
  if (certificate.end !== der.length) throw new Error('bytes after the certificate');
  const tbs = expect(children(der, certificate)[0], SEQUENCE, 'tbsCertificate');
  const fields = children(der, tbs);
  const first = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serial = expect(fields[first], INTEGER, 'serialNumber');
  const spki = expect(fields[first + 5], SEQUENCE, 'subjectPublicKeyInfo');
  return { serial: hex(der.subarray(serial.start, serial.end)), spki: der.slice(spki.at, spki.end) };
}

// RFC 5480 §2.1.1 and RFC 3279 §2.3.1: the key's algorithm and, for EC, its named curve.
const OIDS = {
  '2a864886f70d010101': 'rsaEncryption',
  '2a8648ce3d0201': 'id-ecPublicKey',
  '2a8648ce3d030107': 'P-256',
  '2b81040022': 'P-384',
};

// `der`: a SubjectPublicKeyInfo.
function keyAlgorithm(der) {
  const algorithm = expect(children(der, tlv(der, 0))[0], SEQUENCE, 'the key algorithm');
  const [oid, parameter] = children(der, algorithm);
  const name = OIDS[hex(der.subarray(expect(oid, OID, 'the key OID').start, oid.end))];
  if (name === 'rsaEncryption') {
    return { label: 'RSA PKCS#1 v1.5', import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verify: { name: 'RSASSA-PKCS1-v1_5' } };
  }
  const curve = parameter?.tag === OID ? OIDS[hex(der.subarray(parameter.start, parameter.end))] : undefined;
  if (name === 'id-ecPublicKey' && (curve === 'P-256' || curve === 'P-384')) {
    return {
      label: `ECDSA ${curve}`, size: curve === 'P-256' ? 32 : 48,
      import: { name: 'ECDSA', namedCurve: curve }, verify: { name: 'ECDSA', hash: 'SHA-256' },
    };
  }
  throw new Error('a key type checkpoints are not signed with');
}

// Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3) to what WebCrypto
// verifies, IEEE P1363's r || s, each left-padded to the curve's size.
export function ecdsaP1363(der, size) {
  const sequence = expect(tlv(der, 0), SEQUENCE, 'the signature');
  if (sequence.end !== der.length) throw new Error('bytes after the signature');
  const integers = children(der, sequence);
  if (integers.length !== 2) throw new Error('the signature is not two integers');
  const out = new Uint8Array(2 * size);
  integers.forEach((node, i) => {
    let value = der.subarray(expect(node, INTEGER, 'r or s').start, node.end);
    while (value.length > 1 && value[0] === 0) value = value.subarray(1);
    if (value.length > size) throw new Error('r or s is longer than the curve');
    out.set(value, (i + 1) * size - value.length);
  });
  return out;
}

// The signed text (audit/checkpoint.hpp checkpoint_body): origin, size, root (base64 of 32 bytes),
// time (RFC 3339 UTC, six fractional digits), each line ending "\n", nothing after.
export function parseBody(body) {
  const lines = body.split('\n');
  if (lines.length !== 5 || lines[4] !== '') throw new Error('not four lines');
  const [origin, size, root, time] = lines;
  if (!/^[A-Za-z0-9._:/-]{1,128}$/.test(origin)) throw new Error('the origin line');
  if (!/^(0|[1-9][0-9]{0,19})$/.test(size) || !Number.isSafeInteger(Number(size))) throw new Error('the size line');
  if (!/^[A-Za-z0-9+/]{43}=$/.test(root) || fromBase64(root).length !== 32) throw new Error('the root line');
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(time) || Number.isNaN(Date.parse(time))) throw new Error('the time line');
  return { origin, size: Number(size), root, time };
}

async function fingerprint(der) {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', der)), ':');
}

// The whole check of one answer of GET /v1/audit/checkpoints/{latest|N}:
//   { verified, why (when not), algorithm, signed (the body's fields, or null),
//     differing (names of the answer's fields that disagree with the body),
//     certificate: { serial, fingerprint } or null }
export async function checkCheckpoint(answer) {
  const out = { verified: false, why: null, algorithm: null, signed: null, differing: [], certificate: null };
  try {
    out.signed = parseBody(String(answer.body ?? ''));
    out.differing = ['origin', 'size', 'root', 'time'].filter((name) => answer[name] !== out.signed[name]);
  } catch {
    out.why = 'body';
  }
  let der;
  let parts;
  try {
    der = fromBase64(String(answer.certificate ?? ''));
    parts = certificateParts(der);
    out.certificate = { serial: parts.serial, fingerprint: await fingerprint(der) };
  } catch {
    out.why ??= 'certificate';
    return out;
  }
  let algorithm;
  let key;
  try {
    algorithm = keyAlgorithm(parts.spki);
    out.algorithm = algorithm.label;
    key = await crypto.subtle.importKey('spki', parts.spki, algorithm.import, false, ['verify']);
  } catch {
    out.why ??= 'key';
    return out;
  }
  let signature;
  try {
    signature = fromBase64(String(answer.signature ?? ''));
    if (algorithm.size) signature = ecdsaP1363(signature, algorithm.size);
  } catch {
    out.why ??= 'signature';
    return out;
  }
  const good = await crypto.subtle.verify(algorithm.verify, key, signature, new TextEncoder().encode(String(answer.body ?? '')));
  if (!good) out.why ??= 'signature';
  out.verified = good && out.signed !== null;
  return out;
}
