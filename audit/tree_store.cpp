#include "audit/tree_store.hpp"

#include <algorithm>
#include <bit>
#include <map>
#include <set>
#include <string>

#include "audit/compact_range.hpp"
#include "common/error.hpp"

namespace signet::audit {

namespace {

using store::Connection;
using store::Param;
using store::Statement;

constexpr Statement kTreeLock{"audit_tree.lock", "SELECT pg_advisory_xact_lock($1::bigint)"};
constexpr Statement kCovered{
    "audit_tree.covered",
    "SELECT coalesce(max(idx) + 1, 0) * 16 AS covered FROM audit_tree WHERE level = 4"};
constexpr Statement kLogSize{"audit_tree.log_size",
                             "SELECT coalesce(max(seq), 0) AS size FROM audit_events"};
constexpr Statement kLeaves{"audit_tree.leaves",
                            "SELECT seq, leaf_hash FROM audit_events WHERE seq > $1 AND seq <= $2 "
                            "ORDER BY seq"};
constexpr Statement kSomeLeaves{
    "audit_tree.some_leaves",
    "SELECT seq, leaf_hash FROM audit_events WHERE seq = ANY($1::bigint[])"};
constexpr Statement kSomeNodes{
    "audit_tree.some_nodes",
    "SELECT t.level, t.idx, t.hash FROM audit_tree t "
    "JOIN unnest($1::smallint[], $2::bigint[]) AS want(level, idx) "
    "ON t.level = want.level AND t.idx = want.idx"};
constexpr Statement kInsertNodes{
    "audit_tree.insert",
    "INSERT INTO audit_tree (level, idx, hash) "
    "SELECT l, i, decode(h, 'hex') FROM unnest($1::smallint[], $2::bigint[], $3::text[]) "
    "AS u(l, i, h)"};

static_assert(TreeStore::kStoredLevel == 4, "the SQL above says 4 and 16");
constexpr std::uint64_t kBlock = std::uint64_t{1} << TreeStore::kStoredLevel;

using NodeKey = std::pair<unsigned, std::uint64_t>;  // level, index

Hash to_hash(const Bytes& bytes, std::string_view what) {
    if (bytes.size() != 32)
        throw Error(Errc::internal, std::string(what) + " is not 32 bytes");
    Hash hash{};
    std::copy(bytes.begin(), bytes.end(), hash.begin());
    return hash;
}

bool stored(std::uint64_t start, std::uint64_t size) {
    return std::has_single_bit(size) && size >= kBlock && start % size == 0;
}

// What the RFC 9162 recursion asked for, as stored rows and single leaves.
struct Needs {
    std::set<NodeKey> nodes;
    std::set<std::uint64_t> leaves;  // 0-based leaf index

    // MTH(D[start : start + size]) by its definition (RFC 9162 §2.1.1), down to stored subtrees
    // and leaves. Any range splits this way; aligned ones meet stored rows.
    void add(std::uint64_t start, std::uint64_t size) {
        if (size == 1) {
            leaves.insert(start);
        } else if (stored(start, size)) {
            nodes.insert({static_cast<unsigned>(std::countr_zero(size)), start / size});
        } else {
            const std::uint64_t k = std::bit_floor(size - 1);
            add(start, k);
            add(start + k, size - k);
        }
    }
};

struct Loaded {
    std::map<NodeKey, Hash> nodes;
    std::map<std::uint64_t, Hash> leaves;

    Hash hash(std::uint64_t start, std::uint64_t size) const {
        if (size == 1)
            return leaves.at(start);
        if (stored(start, size))
            return nodes.at({static_cast<unsigned>(std::countr_zero(size)), start / size});
        const std::uint64_t k = std::bit_floor(size - 1);
        return interior_hash(hash(start, k), hash(start + k, size - k));
    }
};

Loaded load(Connection& c, const Needs& needs, std::uint64_t tree_size) {
    Loaded loaded;
    if (!needs.leaves.empty()) {
        std::vector<std::string> seqs;
        for (std::uint64_t index : needs.leaves)
            seqs.push_back(std::to_string(index + 1));
        const store::Result rows = c.exec(kSomeLeaves, {Param::text_array(seqs)});
        for (std::size_t i = 0; i < rows.size(); ++i)
            loaded.leaves[static_cast<std::uint64_t>(rows[i]["seq"].int64()) - 1] =
                to_hash(rows[i]["leaf_hash"].bytes(), "a leaf hash");
    }
    if (!needs.nodes.empty()) {
        std::vector<std::string> levels, indexes;
        for (const auto& [level, index] : needs.nodes) {
            levels.push_back(std::to_string(level));
            indexes.push_back(std::to_string(index));
        }
        const store::Result rows =
            c.exec(kSomeNodes, {Param::text_array(levels), Param::text_array(indexes)});
        for (std::size_t i = 0; i < rows.size(); ++i)
            loaded.nodes[{static_cast<unsigned>(rows[i]["level"].int64()),
                          static_cast<std::uint64_t>(rows[i]["idx"].int64())}] =
                to_hash(rows[i]["hash"].bytes(), "a stored subtree hash");
    }
    if (loaded.leaves.size() != needs.leaves.size() || loaded.nodes.size() != needs.nodes.size()) {
        const auto log_size = static_cast<std::uint64_t>(c.exec(kLogSize).one()["size"].int64());
        if (tree_size > log_size)
            throw Error(Errc::invalid_argument, "tree size " + std::to_string(tree_size) +
                                                    " is beyond the audit log's size " +
                                                    std::to_string(log_size));
        throw Error(Errc::internal, "a stored subtree hash of the audit log's tree is missing");
    }
    return loaded;
}

// The perfect subtrees that cover the first `covered` leaves, largest first, from audit_tree.
std::vector<Hash> covering_roots(Connection& c, std::uint64_t covered) {
    Needs needs;
    std::uint64_t start = 0;
    for (int level = 63; level >= static_cast<int>(TreeStore::kStoredLevel); --level) {
        const std::uint64_t size = std::uint64_t{1} << level;
        if ((covered & size) != 0) {
            needs.add(start, size);
            start += size;
        }
    }
    const Loaded loaded = load(c, needs, covered);
    std::vector<Hash> roots;
    start = 0;
    for (int level = 63; level >= static_cast<int>(TreeStore::kStoredLevel); --level) {
        const std::uint64_t size = std::uint64_t{1} << level;
        if ((covered & size) != 0) {
            roots.push_back(loaded.hash(start, size));
            start += size;
        }
    }
    return roots;
}

}  // namespace

std::uint64_t TreeStore::covered() {
    const auto value = static_cast<std::uint64_t>(database_.with_connection(
        [](Connection& c) { return c.exec(kCovered).one()["covered"].int64(); }));
    covered_known_ = std::max<std::uint64_t>(covered_known_, value);
    return value;
}

std::uint64_t TreeStore::extend(std::uint64_t batch_leaves) {
    batch_leaves = std::max(kBlock, batch_leaves / kBlock * kBlock);
    for (;;) {
        const auto [covered, done] = database_.transaction([&](Connection& c) {
            c.exec(kTreeLock, {store::advisory_lock::kAuditTree});
            const auto from = static_cast<std::uint64_t>(c.exec(kCovered).one()["covered"].int64());
            const auto log_size =
                static_cast<std::uint64_t>(c.exec(kLogSize).one()["size"].int64());
            const std::uint64_t to = std::min(log_size / kBlock * kBlock, from + batch_leaves);
            if (to <= from)
                return std::pair{from, true};
            CompactRange range(from, covering_roots(c, from));
            std::vector<std::string> levels, indexes, hashes;
            const auto keep = [&](unsigned level, std::uint64_t index, const Hash& hash) {
                if (level < kStoredLevel)
                    return;
                levels.push_back(std::to_string(level));
                indexes.push_back(std::to_string(index));
                hashes.push_back(to_hex(hash));
            };
            const store::Result rows = c.exec(kLeaves, {from, to});
            if (rows.size() != to - from)
                throw Error(Errc::internal, "the audit log has a gap between events " +
                                                std::to_string(from + 1) + " and " +
                                                std::to_string(to));
            for (std::size_t i = 0; i < rows.size(); ++i)
                range.append(to_hash(rows[i]["leaf_hash"].bytes(), "a leaf hash"), keep);
            c.exec(kInsertNodes, {Param::text_array(levels), Param::text_array(indexes),
                                  Param::text_array(hashes)});
            return std::pair{to, false};
        });
        covered_known_ = std::max<std::uint64_t>(covered_known_, covered);
        if (done)
            return covered;
    }
}

template <class Compute>
auto TreeStore::with_subtrees(std::uint64_t tree_size, const Compute& compute) {
    // The stored rows a proof of this size reads lie below tree_size rounded down to a block.
    if (covered_known_ < tree_size / kBlock * kBlock && covered() < tree_size / kBlock * kBlock)
        extend();
    Needs needs;
    compute(SubtreeHash([&](std::uint64_t start, std::uint64_t size) {
        needs.add(start, size);
        return Hash{};
    }));
    const Loaded loaded = database_.with_connection(
        [&](Connection& c) { return load(c, needs, tree_size); });
    return compute(SubtreeHash(
        [&](std::uint64_t start, std::uint64_t size) { return loaded.hash(start, size); }));
}

Hash TreeStore::root(std::uint64_t size) {
    if (size == 0)
        return empty_tree_hash();
    return with_subtrees(size, [&](const SubtreeHash& subtree) { return subtree(0, size); });
}

std::vector<Hash> TreeStore::inclusion(std::uint64_t index, std::uint64_t tree_size) {
    if (index >= tree_size)  // before any query: the same error audit/merkle.hpp gives
        return inclusion_proof(index, tree_size, {});
    return with_subtrees(tree_size, [&](const SubtreeHash& subtree) {
        return inclusion_proof(index, tree_size, subtree);
    });
}

std::vector<Hash> TreeStore::consistency(std::uint64_t first_size, std::uint64_t second_size) {
    if (first_size == 0 || first_size > second_size)
        return consistency_proof(first_size, second_size, {});
    return with_subtrees(second_size, [&](const SubtreeHash& subtree) {
        return consistency_proof(first_size, second_size, subtree);
    });
}

}  // namespace signet::audit
