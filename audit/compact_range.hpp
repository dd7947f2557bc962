#pragma once

// The Merkle tree of a growing list of leaves kept as its "compact range": the roots of the
// perfect subtrees that cover leaves 0..size-1, one per set bit of size (the binary counter of
// transparency logs). Appending a leaf completes subtrees, which are reported so that they can be
// stored (audit/tree_store.cpp) or compared with stored ones (signetctl audit verify); root()
// is RFC 9162 §2.1.1 MTH of all leaves so far, at any size.

#include <cstdint>
#include <functional>
#include <vector>

#include "audit/merkle.hpp"

namespace signet::audit {

class CompactRange {
  public:
    // A complete subtree: 2^level leaves starting at leaf index << level.
    using OnSubtree = std::function<void(unsigned level, std::uint64_t index, const Hash& hash)>;

    CompactRange() = default;
    // Resumes at `size` leaves: `roots` are the perfect subtrees covering them, the largest
    // (leftmost) first, one per set bit of size. Errc::invalid_argument when the count differs.
    CompactRange(std::uint64_t size, std::vector<Hash> roots);

    // Appends one leaf; `on_subtree` (may be empty) hears of the leaf itself (level 0) and of
    // every subtree it completes, bottom up.
    void append(const Hash& leaf, const OnSubtree& on_subtree = {});

    std::uint64_t size() const noexcept { return size_; }
    // MTH of leaves 0..size-1 (empty_tree_hash() when size is 0).
    Hash root() const;

  private:
    std::uint64_t size_ = 0;
    std::vector<Hash> roots_;  // largest subtree first
};

}  // namespace signet::audit
