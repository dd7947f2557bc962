#include "api/signetd_audit.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "api/audit_routes.hpp"
#include "audit/checkpoints.hpp"
#include "common/error.hpp"
#include "sign/checkpoint_signing.hpp"
#include "sign/checkpoint_witness.hpp"

namespace signet::signetd {

struct AuditNode::Parts {
    explicit Parts(Dependencies dependencies) : d(std::move(dependencies)) {}

    Dependencies d;
    std::unique_ptr<audit::PostgresCheckpoints> checkpoints;
    bool making = false;
    std::string why_not;  // "" when this node makes checkpoints
    std::optional<sign::CheckpointWitness> witness;
    std::mutex mutex;  // one checkpoint_now and witness offer at a time in this node
    std::jthread interval;

    void checkpoint(std::string_view why) noexcept {
        try {
            std::lock_guard lock(mutex);
            const auto made = checkpoints->checkpoint_now();
            d.log->info("audit checkpoint", {{"size", made.checkpoint.size},
                                             {"root", to_hex(made.checkpoint.root)},
                                             {"reason", why}});
            if (witness) {
                try {
                    witness->offer(made);
                } catch (const std::exception& e) {
                    d.log->warn("audit checkpoint witness failed (offered again next time)",
                                {{"error", e.what()}});
                }
            }
        } catch (const std::exception& e) {
            d.log->warn("audit checkpoint failed", {{"reason", why}, {"error", e.what()}});
        }
    }
};

AuditNode::AuditNode(Dependencies dependencies)
    : parts_(std::make_unique<Parts>(std::move(dependencies))) {
    auto& p = *parts_;
    const auto& settings = p.d.config.audit;
    std::optional<audit::CheckpointSigning> signing;
    std::string why_not;
    if (!p.d.tsa) {
        why_not = "the TSA cannot sign (a checkpoint is time-stamped by it)";
    } else {
        try {
            signing = sign::checkpoint_signing(p.d.certificates, *p.d.token, *p.d.tsa,
                                               settings.log_name, p.d.node);
            if (!signing)
                why_not = "no audit-checkpoint certificate (run the key ceremony with an "
                          "audit_checkpoint section, then restart)";
        } catch (const Error& e) {
            why_not = std::string("the audit-checkpoint key cannot be used: ") + e.what();
        }
    }
    if (signing) {
        p.checkpoints = std::make_unique<audit::PostgresCheckpoints>(p.d.database, p.d.audit,
                                                                     p.d.clock, std::move(*signing));
        p.making = true;
        if (!settings.witness_file.empty() || !settings.witness_url.empty())
            p.witness.emplace(settings.witness_file, settings.witness_url);
        p.d.log->info("audit checkpoints ready",
                      {{"log_name", settings.log_name},
                       {"interval_s", static_cast<std::int64_t>(settings.checkpoint_interval.count())},
                       {"witness", !settings.witness_file.empty() ? "file"
                                   : !settings.witness_url.empty() ? "url"
                                                                   : "none"}});
    } else {
        p.checkpoints = std::make_unique<audit::PostgresCheckpoints>(p.d.database);
        p.d.log->warn("audit checkpoints are not made", {{"reason", why_not}});
        p.why_not = why_not;
    }
}

AuditNode::~AuditNode() {
    stop();
}

void AuditNode::add_routes(api::Router& router) {
    api::add_audit_routes(router, *parts_->checkpoints, parts_->d.audit);
}

audit::PostgresCheckpoints& AuditNode::checkpoints() {
    return *parts_->checkpoints;
}

const std::string& AuditNode::checkpoints_unavailable() const {
    return parts_->why_not;
}

void AuditNode::start() {
    auto& p = *parts_;
    const auto interval = p.d.config.audit.checkpoint_interval;
    if (!p.making || interval.count() == 0)
        return;
    p.interval = std::jthread([&p, interval](std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any wake;
        for (;;) {
            std::unique_lock lock(mutex);
            wake.wait_for(lock, stop, interval, [] { return false; });
            if (stop.stop_requested())
                return;
            lock.unlock();
            p.checkpoint("interval");
        }
    });
}

void AuditNode::stop() noexcept {
    auto& p = *parts_;
    if (!p.making)
        return;
    if (p.interval.joinable()) {
        p.interval.request_stop();
        p.interval.join();
    }
    p.making = false;  // once
    p.checkpoint("shutdown");
}

}  // namespace signet::signetd
