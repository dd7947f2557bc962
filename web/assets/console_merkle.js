// The audit log's consistency check in the browser: that the tree of `second` events extends
// the tree of `first` (nothing removed or changed), from the two checkpoints' roots and the
// server's proof — RFC 9162 §2.1.4.2 ("Verifying Consistency between Two Tree Heads"), with
// RFC 6962's node hash SHA-256(0x01 || left || right). The checkpoints' signatures are checked
// by `signetctl audit verify`, not here.

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function nodeHash(left, right) {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = 1;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', input));
}

function equal(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

const odd = (n) => n % 2 === 1;
const half = (n) => Math.floor(n / 2);

export async function verifyConsistency(first, second, firstRootB64, secondRootB64, proofB64) {
  try {
    const firstRoot = fromBase64(firstRootB64);
    const secondRoot = fromBase64(secondRootB64);
    let proof = proofB64.map(fromBase64);
    if (first === second) return proof.length === 0 && equal(firstRoot, secondRoot);
    if (first < 1 || first > second || proof.length === 0) return false;
    // §2.1.4.2 step 2: a first tree of a power-of-two size is itself a node of the second.
    if (Number.isInteger(Math.log2(first))) proof = [firstRoot, ...proof];
    let fn = first - 1;
    let sn = second - 1;
    while (odd(fn)) {
      fn = half(fn);
      sn = half(sn);
    }
    let fr = proof[0];
    let sr = proof[0];
    for (const c of proof.slice(1)) {
      if (sn === 0) return false;
      if (odd(fn) || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = half(fn);
      sn = half(sn);
    }
    return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
  } catch {
    return false;
  }
}
