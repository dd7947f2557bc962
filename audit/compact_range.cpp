#include "audit/compact_range.hpp"

#include <bit>
#include <string>

#include "common/error.hpp"

namespace signet::audit {

CompactRange::CompactRange(std::uint64_t size, std::vector<Hash> roots)
    : size_(size), roots_(std::move(roots)) {
    if (roots_.size() != static_cast<std::size_t>(std::popcount(size)))
        throw Error(Errc::invalid_argument,
                    "compact range of " + std::to_string(size) + " leaves needs " +
                        std::to_string(std::popcount(size)) + " subtree roots, got " +
                        std::to_string(roots_.size()));
}

void CompactRange::append(const Hash& leaf, const OnSubtree& on_subtree) {
    Hash node = leaf;
    std::uint64_t index = size_;
    unsigned level = 0;
    if (on_subtree)
        on_subtree(0, index, node);
    // Each set low bit of size is a perfect subtree of that height waiting for its right
    // sibling: the new node is that sibling, and they merge one level up.
    for (std::uint64_t bits = size_; (bits & 1) != 0; bits >>= 1) {
        node = interior_hash(roots_.back(), node);
        roots_.pop_back();
        ++level;
        index >>= 1;
        if (on_subtree)
            on_subtree(level, index, node);
    }
    roots_.push_back(node);
    ++size_;
}

Hash CompactRange::root() const {
    if (roots_.empty())
        return empty_tree_hash();
    // MTH splits at the largest power of two below the size, so the ragged right edge nests:
    // MTH = H(1 || T_big || H(1 || T_next || ... T_smallest)).
    Hash hash = roots_.back();
    for (auto it = roots_.rbegin() + 1; it != roots_.rend(); ++it)
        hash = interior_hash(*it, hash);
    return hash;
}

}  // namespace signet::audit
