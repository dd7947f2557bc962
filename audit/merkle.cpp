#include "audit/merkle.hpp"

#include <bit>
#include <cstring>
#include <string>

#include "common/digest.hpp"
#include "common/error.hpp"

// RFC 9162 (Certificate Transparency 2.0) §2.1. The proofs follow the recursive definitions of
// §2.1.3.1 PATH and §2.1.4.1 SUBPROOF literally; the verifiers are the iterative algorithms of
// §2.1.3.2 and §2.1.4.2 step by step, so a reader can hold the code against the RFC text.

namespace signet::audit {

namespace {

// "k is the largest power of two smaller than n (i.e., k < n <= 2k)" (§2.1.1). n >= 2.
std::uint64_t split_point(std::uint64_t n) {
    return std::bit_floor(n - 1);
}

std::string decimal(std::uint64_t value) {
    return std::to_string(value);
}

Hash root_of(std::span<const Hash> leaves) {
    if (leaves.size() == 1)
        return leaves[0];
    const std::uint64_t k = split_point(leaves.size());
    return interior_hash(root_of(leaves.first(k)), root_of(leaves.subspan(k)));
}

// PATH(m, D[offset : offset + n]) appended bottom to top.
void path(std::uint64_t m, std::uint64_t offset, std::uint64_t n, const SubtreeHash& subtree,
          std::vector<Hash>& out) {
    // "The path for the single leaf in a tree with a one-element input list D[1] = {d(0)} is
    // empty: PATH(0, {d(0)}) = {}" (§2.1.3.1).
    if (n == 1)
        return;
    const std::uint64_t k = split_point(n);
    if (m < k) {
        // "PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k"
        path(m, offset, k, subtree, out);
        out.push_back(subtree(offset + k, n - k));
    } else {
        // "PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k]) for m >= k"
        path(m - k, offset + k, n - k, subtree, out);
        out.push_back(subtree(offset, k));
    }
}

// SUBPROOF(m, D[offset : offset + n], b) appended bottom to top.
void subproof(std::uint64_t m, std::uint64_t offset, std::uint64_t n, bool b,
              const SubtreeHash& subtree, std::vector<Hash>& out) {
    if (m == n) {
        // "SUBPROOF(m, D[m], true) = {}" and "SUBPROOF(m, D[m], false) = {MTH(D[m])}"
        if (!b)
            out.push_back(subtree(offset, n));
        return;
    }
    const std::uint64_t k = split_point(n);
    if (m <= k) {
        // "SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])"
        subproof(m, offset, k, b, subtree, out);
        out.push_back(subtree(offset + k, n - k));
    } else {
        // "SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])"
        subproof(m - k, offset + k, n - k, false, subtree, out);
        out.push_back(subtree(offset, k));
    }
}

}  // namespace

Hash empty_tree_hash() {
    return sha256_of(std::string_view());
}

Hash interior_hash(const Hash& left, const Hash& right) {
    // RFC 9162 §2.1.1: MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])).
    std::uint8_t buffer[1 + 2 * 32];
    buffer[0] = 0x01;
    std::memcpy(buffer + 1, left.data(), left.size());
    std::memcpy(buffer + 1 + 32, right.data(), right.size());
    return sha256_of(ByteView(buffer, sizeof buffer));
}

Hash tree_root(std::span<const Hash> leaf_hashes) {
    if (leaf_hashes.empty())
        return empty_tree_hash();
    return root_of(leaf_hashes);
}

std::vector<Hash> inclusion_proof(std::uint64_t index, std::uint64_t tree_size,
                                  const SubtreeHash& subtree) {
    if (index >= tree_size)
        throw Error(Errc::invalid_argument, "inclusion proof: leaf index " +
                                                decimal(index) +
                                                " is not below the tree size " +
                                                decimal(tree_size));
    std::vector<Hash> out;
    path(index, 0, tree_size, subtree, out);
    return out;
}

std::vector<Hash> consistency_proof(std::uint64_t first_size, std::uint64_t second_size,
                                    const SubtreeHash& subtree) {
    if (first_size == 0 || first_size > second_size)
        throw Error(Errc::invalid_argument,
                    "consistency proof: need 0 < first size <= second size, got " +
                        decimal(first_size) + " and " + decimal(second_size));
    std::vector<Hash> out;
    // "PROOF(m, D[n]) = SUBPROOF(m, D[n], true)" (§2.1.4.1); m == n gives {}.
    subproof(first_size, 0, second_size, true, subtree, out);
    return out;
}

bool verify_inclusion(std::uint64_t index, std::uint64_t tree_size, const Hash& leaf,
                      std::span<const Hash> proof, const Hash& root) noexcept {
    try {
        // §2.1.3.2 step 1: "Compare leaf_index against tree_size. If leaf_index is greater
        // than or equal to tree_size, then fail the proof verification."
        if (index >= tree_size)
            return false;
        // Step 2: "Set fn to leaf_index and sn to tree_size - 1." Step 3: "Set r to hash."
        std::uint64_t fn = index;
        std::uint64_t sn = tree_size - 1;
        Hash r = leaf;
        // Step 4: "For each value p in the inclusion_path array:"
        for (const Hash& p : proof) {
            // a. "If sn is 0, then stop the iteration and fail the proof verification."
            if (sn == 0)
                return false;
            // b. "If LSB(fn) is set, or if fn is equal to sn, then:"
            if ((fn & 1) != 0 || fn == sn) {
                // i. "Set r to HASH(0x01 || p || r)."
                r = interior_hash(p, r);
                // ii. "If LSB(fn) is not set, then right-shift both fn and sn equally until
                // either LSB(fn) is set or fn is 0."
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                // "Otherwise: Set r to HASH(0x01 || r || p)."
                r = interior_hash(r, p);
            }
            // c. "Finally, right-shift both fn and sn one time."
            fn >>= 1;
            sn >>= 1;
        }
        // Step 5: "Compare sn to 0. Compare r against the root_hash. If sn is equal to 0 and
        // r and the root_hash are equal, then the log has proven the inclusion of hash."
        return sn == 0 && r == root;
    } catch (...) {
        return false;
    }
}

bool verify_consistency(std::uint64_t first_size, std::uint64_t second_size,
                        const Hash& first_root, const Hash& second_root,
                        std::span<const Hash> proof) noexcept {
    try {
        if (first_size == 0 || first_size > second_size)
            return false;
        // Equal sizes: PROOF is {} (§2.1.4.1: SUBPROOF(m, D[m], true) = {}), and the trees are
        // the same tree, so the roots must be equal.
        if (first_size == second_size)
            return proof.empty() && first_root == second_root;
        // §2.1.4.2 step 1: "If consistency_path is an empty array, stop and fail the proof
        // verification."
        if (proof.empty())
            return false;
        // Step 2: "If first is an exact power of 2, then prepend first_hash to the
        // consistency_path array."
        std::vector<Hash> path;
        path.reserve(proof.size() + 1);
        if (std::has_single_bit(first_size))
            path.push_back(first_root);
        path.insert(path.end(), proof.begin(), proof.end());
        // Step 3: "Set fn to first - 1 and sn to second - 1."
        std::uint64_t fn = first_size - 1;
        std::uint64_t sn = second_size - 1;
        // Step 4: "If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is
        // not set."
        while ((fn & 1) != 0) {
            fn >>= 1;
            sn >>= 1;
        }
        // Step 5: "Set both fr and sr to the first value in the consistency_path array."
        Hash fr = path.front();
        Hash sr = path.front();
        // Step 6: "For each subsequent value c in the consistency_path array:"
        for (std::size_t i = 1; i < path.size(); ++i) {
            const Hash& c = path[i];
            // a. "If sn is 0, then stop the iteration and fail the proof verification."
            if (sn == 0)
                return false;
            // b. "If LSB(fn) is set, or if fn is equal to sn, then:"
            if ((fn & 1) != 0 || fn == sn) {
                // i. "Set fr to HASH(0x01 || c || fr). Set sr to HASH(0x01 || c || sr)."
                fr = interior_hash(c, fr);
                sr = interior_hash(c, sr);
                // ii. "If LSB(fn) is not set, then right-shift both fn and sn equally until
                // either LSB(fn) is set or fn is 0."
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                // "Otherwise: Set sr to HASH(0x01 || sr || c)."
                sr = interior_hash(sr, c);
            }
            // c. "Finally, right-shift both fn and sn one time."
            fn >>= 1;
            sn >>= 1;
        }
        // Step 7: "After completing iterating through the consistency_path array as described
        // above, verify that the fr calculated is equal to the first_hash supplied, that the sr
        // calculated is equal to the second_hash supplied, and that sn is 0."
        return fr == first_root && sr == second_root && sn == 0;
    } catch (...) {
        return false;
    }
}

}  // namespace signet::audit
