#pragma once

// The audit log's Merkle tree in PostgreSQL: the hash of every complete aligned subtree of
// 2^level leaves for level >= kStoredLevel (table audit_tree, store migration 13), the rest
// computed from at most 2^kStoredLevel - 1 leaf hashes of audit_events. A root or a proof then
// reads O(log n) stored rows in two queries, whatever the log's size: the RFC 9162 recursion of
// audit/merkle.hpp is run once to learn which subtrees it needs, those are fetched, and it runs
// again over them.

#include <atomic>
#include <cstdint>
#include <vector>

#include "audit/merkle.hpp"
#include "store/database.hpp"

namespace signet::audit {

class TreeStore {
  public:
    // Subtrees of 16 leaves and up are stored: about n / 8 rows for n events, and a proof reads
    // at most two runs of 15 leaves besides its stored rows.
    static constexpr unsigned kStoredLevel = 4;

    explicit TreeStore(store::Database& database) : database_(database) {}

    // Stores the hashes of the subtrees the events added since the last call complete, in
    // transactions of at most `batch_leaves` leaves, one extender at a time across nodes
    // (advisory lock store::advisory_lock::kAuditTree). Returns how many leaves the stored
    // hashes cover now (the log's size rounded down to a multiple of 2^kStoredLevel).
    std::uint64_t extend(std::uint64_t batch_leaves = 1 << 16);

    // The leaves covered by stored hashes (a multiple of 2^kStoredLevel).
    std::uint64_t covered();

    // MTH of the first `size` events; RFC 9162 PATH and PROOF as in audit/merkle.hpp, from the
    // stored hashes (extended first when they do not reach far enough). Errc::invalid_argument
    // when a size is beyond the log's.
    Hash root(std::uint64_t size);
    std::vector<Hash> inclusion(std::uint64_t index, std::uint64_t tree_size);
    std::vector<Hash> consistency(std::uint64_t first_size, std::uint64_t second_size);

  private:
    template <class Compute>
    auto with_subtrees(std::uint64_t tree_size, const Compute& compute);

    store::Database& database_;
    std::atomic<std::uint64_t> covered_known_{0};
};

}  // namespace signet::audit
