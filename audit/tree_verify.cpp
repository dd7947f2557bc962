#include "audit/tree_verify.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include "audit/checkpoint.hpp"
#include "audit/compact_range.hpp"
#include "audit/tree_store.hpp"
#include "common/error.hpp"

namespace signet::audit {

namespace {

using store::Connection;

constexpr std::int64_t kBatch = 10000;

Hash to_hash(const Bytes& bytes) {
    Hash hash{};
    if (bytes.size() == hash.size())
        std::copy(bytes.begin(), bytes.end(), hash.begin());
    return hash;
}

struct StoredCheckpoint {
    std::uint64_t size = 0;
    Hash column_root{};
    std::string body;
};

std::string leaves_text(unsigned level, std::uint64_t index) {
    const std::uint64_t first = (index << level) + 1;
    return "(events " + std::to_string(first) + ".." +
           std::to_string(first + (std::uint64_t{1} << level) - 1) + ")";
}

}  // namespace

TreeVerifyReport verify_tree(store::Database& database) {
    TreeVerifyReport report;
    auto problem = [&](std::string text) {
        if (!report.first_problem)
            report.first_problem = std::move(text);
    };
    database.with_connection([&](Connection& c) {
        const auto log_size =
            static_cast<std::uint64_t>(c.exec("SELECT coalesce(max(seq), 0) FROM audit_events")
                                           .one()[0]
                                           .int64());
        std::vector<StoredCheckpoint> checkpoints;
        const auto rows = c.exec("SELECT size, root, body FROM audit_checkpoints ORDER BY size");
        for (std::size_t i = 0; i < rows.size(); ++i)
            checkpoints.push_back({static_cast<std::uint64_t>(rows[i]["size"].int64()),
                                   to_hash(rows[i]["root"].bytes()),
                                   rows[i]["body"].as<std::string>()});
        // Stored rows keyed by (level, index), read level by level as the leaves go by would be
        // more frugal; a log of 10^7 events has about 1.25 million rows, which fit in memory.
        std::map<std::pair<unsigned, std::uint64_t>, Hash> stored;
        const auto tree_rows = c.exec("SELECT level, idx, hash FROM audit_tree");
        for (std::size_t i = 0; i < tree_rows.size(); ++i)
            stored[{static_cast<unsigned>(tree_rows[i]["level"].int64()),
                    static_cast<std::uint64_t>(tree_rows[i]["idx"].int64())}] =
                to_hash(tree_rows[i]["hash"].bytes());

        std::size_t next_checkpoint = 0;
        CompactRange range;
        auto check_checkpoints = [&] {
            while (next_checkpoint < checkpoints.size() &&
                   checkpoints[next_checkpoint].size == range.size()) {
                const auto& cp = checkpoints[next_checkpoint++];
                ++report.checkpoints;
                const std::string name = "checkpoint " + std::to_string(cp.size);
                Checkpoint signed_part;
                try {
                    signed_part = parse_checkpoint_body(cp.body);
                } catch (const Error& e) {
                    problem(name + ": its body does not parse: " + e.what());
                    continue;
                }
                const Hash root = range.root();
                if (signed_part.size != cp.size)
                    problem(name + ": its signed body says size " +
                            std::to_string(signed_part.size));
                else if (signed_part.root != root)
                    problem(name + ": its signed root does not match the events' tree");
                else if (cp.column_root != root)
                    problem(name + ": its stored root does not match the events' tree");
            }
        };
        check_checkpoints();
        std::vector<std::pair<std::pair<unsigned, std::uint64_t>, Hash>> completed;
        for (std::uint64_t from = 0; from < log_size && !report.first_problem;
             from += kBatch) {
            const auto leaves =
                c.exec("SELECT leaf_hash FROM audit_events WHERE seq > $1 AND seq <= $2 "
                       "ORDER BY seq",
                       {from, from + kBatch});
            for (std::size_t i = 0; i < leaves.size() && !report.first_problem; ++i) {
                completed.clear();
                range.append(to_hash(leaves[i]["leaf_hash"].bytes()),
                             [&](unsigned level, std::uint64_t index, const Hash& hash) {
                                 if (level >= TreeStore::kStoredLevel)
                                     completed.push_back({{level, index}, hash});
                             });
                for (const auto& [key, hash] : completed) {
                    const auto it = stored.find(key);
                    if (it == stored.end())
                        continue;  // not extended that far yet
                    ++report.stored_subtrees;
                    if (it->second != hash)
                        problem("stored subtree level " + std::to_string(key.first) + " index " +
                                std::to_string(key.second) + " " +
                                leaves_text(key.first, key.second) +
                                " does not match the events");
                    stored.erase(it);
                }
                ++report.leaves;
                check_checkpoints();
            }
        }
        if (!report.first_problem && next_checkpoint < checkpoints.size())
            problem("checkpoint " + std::to_string(checkpoints[next_checkpoint].size) +
                    " is larger than the log (" + std::to_string(log_size) + " events)");
        if (!report.first_problem && !stored.empty())
            problem("stored subtree level " + std::to_string(stored.begin()->first.first) +
                    " index " + std::to_string(stored.begin()->first.second) +
                    " covers events the log does not have");
    });
    return report;
}

}  // namespace signet::audit
