#include "tsa/journal.hpp"

#include "common/error.hpp"

namespace signet::tsa {

// One caller's row; a copy, so a caller that stops waiting leaves nothing dangling.
struct GroupCommitJournal::Row final : store::GroupCommitMember {
    explicit Row(const store::TsaTokenRecord& token) : record(token) {}
    store::TsaTokenRecord record;
};

GroupCommitJournal::GroupCommitJournal(store::Database& database, store::TsaTokenWriter& writer,
                                       store::GroupCommitOptions options)
    : database_(database),
      writer_(writer),
      committer_(
          database, [this](std::span<store::GroupCommitMember* const> members) { commit(members); },
          options) {}

void GroupCommitJournal::record(const store::TsaTokenRecord& token) {
    committer_.submit(std::make_shared<Row>(token));
}

void GroupCommitJournal::commit(std::span<store::GroupCommitMember* const> members) {
    std::vector<const store::TsaTokenRecord*> rows;
    rows.reserve(members.size());
    for (store::GroupCommitMember* member : members)
        rows.push_back(&static_cast<Row*>(member)->record);
    // One INSERT is one transaction by itself (autocommit): atomic, and one round trip where
    // BEGIN ... COMMIT would take three. It returns once the commit is flushed
    // (synchronous_commit, the server's default).
    const std::vector<bool> inserted =
        database_.with_connection([&](store::Connection& c) { return writer_.append(c, rows); });
    // (Nothing may throw past the commit: a committed batch would be taken for a refused one.)
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (!inserted.at(i)) {
            members[i]->error.emplace(
                Errc::already_exists,
                "the serial " + to_hex(rows[i]->serial) + " is already recorded");
        }
    }
}

void GroupCommitJournal::register_metrics(MetricsRegistry& metrics) {
    committer_.register_metrics(metrics, "signet_tsa", "time-stamp token records");
}

}  // namespace signet::tsa
