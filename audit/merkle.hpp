#pragma once

// RFC 9162 (Certificate Transparency 2.0) §2.1 Merkle tree arithmetic over SHA-256, as pure
// functions: no database, no I/O. The audit log's leaves are RFC 6962 leaf hashes
// (audit/log.hpp leaf_hash); the interior hash is SHA-256(0x01 || left || right). The same
// functions serve the server (proofs from stored subtree hashes, audit/tree_store.hpp) and the
// offline verifiers (signetctl audit verify, evidence packages), so both sides compute alike.

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace signet::audit {

using Hash = std::array<std::uint8_t, 32>;

// RFC 9162 §2.1.1: MTH({}) = SHA-256() (the hash of the empty string).
Hash empty_tree_hash();

// SHA-256(0x01 || left || right).
Hash interior_hash(const Hash& left, const Hash& right);

// MTH(D[n]) of the given leaf hashes (already 0x00-prefixed and hashed).
Hash tree_root(std::span<const Hash> leaf_hashes);

// The hash of the subtree of `size` leaves starting at leaf `start` (0-based), where the
// range is one RFC 9162 subtree: `size` a power of two and `start` a multiple of it, or the
// right edge of a tree. Given by whoever holds the hashes: memory, or stored subtree hashes.
using SubtreeHash = std::function<Hash(std::uint64_t start, std::uint64_t size)>;

// RFC 9162 §2.1.3.1 PATH(m, D[n]): the inclusion proof of leaf `index` (0-based) in the tree of
// the first `tree_size` leaves, bottom to top. Errc::invalid_argument unless index < tree_size.
std::vector<Hash> inclusion_proof(std::uint64_t index, std::uint64_t tree_size,
                                  const SubtreeHash& subtree);

// RFC 9162 §2.1.4.1 PROOF(m, D[n]): the consistency proof between the trees of the first
// `first_size` and `second_size` leaves. Errc::invalid_argument unless
// 0 < first_size <= second_size. Empty when the sizes are equal.
std::vector<Hash> consistency_proof(std::uint64_t first_size, std::uint64_t second_size,
                                    const SubtreeHash& subtree);

// RFC 9162 §2.1.3.2: true when `proof` proves `leaf` is leaf `index` of the tree of
// `tree_size` leaves whose root is `root`. Never throws; any malformed input is false.
bool verify_inclusion(std::uint64_t index, std::uint64_t tree_size, const Hash& leaf,
                      std::span<const Hash> proof, const Hash& root) noexcept;

// RFC 9162 §2.1.4.2: true when `proof` proves the tree of `first_size` leaves with root
// `first_root` is a prefix of the tree of `second_size` leaves with root `second_root`.
// Never throws; any malformed input is false.
bool verify_consistency(std::uint64_t first_size, std::uint64_t second_size,
                        const Hash& first_root, const Hash& second_root,
                        std::span<const Hash> proof) noexcept;

}  // namespace signet::audit
