// Retention and crypto-shredding (sign/contracts.hpp Contracts::shred, docs/signing.md
// "Retention"): a contract that ended is kept signing.retention_years, then its documents may be
// destroyed by deleting their wrapped data keys, leaving the record and the evidence.
#include <chrono>
#include <vector>

#include "common/error.hpp"
#include "sign/contracts_impl.hpp"

namespace signet::sign {

namespace {

// The same day and time `years` later; 29 February becomes 28 February in a common year.
Clock::time_point add_years(Clock::time_point t, unsigned years) {
    using namespace std::chrono;
    const auto day = floor<days>(t);
    year_month_day date{day};
    date += std::chrono::years(static_cast<int>(years));
    if (!date.ok())
        date = date.year() / date.month() / last;
    return sys_days(date) + (t - day);
}

}  // namespace

std::optional<Clock::time_point> Contracts::retention_end(
    const store::ContractRecord& record) const {
    const std::optional<Clock::time_point> ended =
        record.completed_at ? record.completed_at
                            : (record.cancelled_at ? record.cancelled_at : record.expired_at);
    if (!ended)
        return std::nullopt;
    return add_years(*ended, impl_->deps.options.retention_years);
}

Contract Contracts::shred(std::string_view id, const ContractCaller& caller) {
    return impl_->deps.database.transaction([&](store::Connection& tx) {
        store::ContractRecord c = impl_->lock(tx, id, caller);
        if (c.shredded_at)
            throw Error(
                Errc::failed_precondition,
                "contract " + c.id + " was already shredded at " + format_utc(*c.shredded_at));
        const std::optional<Clock::time_point> end = retention_end(c);
        if (!end)
            throw Error(Errc::failed_precondition,
                        "contract " + c.id + " is " + c.state +
                            ": only a completed, cancelled or expired contract can be shredded");
        const Clock::time_point now = impl_->now();
        if (now < *end)
            throw Error(Errc::failed_precondition,
                        "contract " + c.id + " is kept until " + format_utc(*end) + " (" +
                            std::to_string(impl_->deps.options.retention_years) +
                            " years after it was " + c.state +
                            ", signing.retention_years): it cannot be shredded before");
        nlohmann::json revisions = nlohmann::json::array();
        for (const auto& r : impl_->deps.contracts.revisions(tx, c.id)) {
            impl_->deps.vault.shred(tx, r.document_id, now);
            revisions.push_back({{"number", r.number},
                                 {"sha256", to_hex(r.sha256)},
                                 {"size", r.size},
                                 {"document", r.document_id}});
        }
        impl_->deps.contracts.mark_shredded(tx, c.id, now);
        c.shredded_at = now;
        const std::vector<audit::AuditEvent> shredded{
            {"contract.shredded", caller.actor, "contract:" + c.id,
             nlohmann::json{{"state", c.state},
                            {"retention_end", format_utc(*end)},
                            {"revisions", std::move(revisions)}}}};
        impl_->deps.audit.defer_many(tx, shredded);
        return impl_->load(tx, c);
    });
}

}  // namespace signet::sign
