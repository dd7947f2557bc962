#include "api/signetd_evidence.hpp"

#include <optional>
#include <vector>

#include "api/evidence_route.hpp"
#include "common/error.hpp"
#include "evidence/package.hpp"
#include "evidence/seal.hpp"
#include "sign/signing_credentials.hpp"
#include "sign/tsa_time_stamper.hpp"

namespace signet::signetd {

struct EvidenceNode::Parts {
    std::optional<sign::CmsSigner> seal;
    sign::TimeStamper stamper;
    std::vector<X509Ptr> tsa_chain;
    std::vector<const X509*> tsa_chain_view;
    std::unique_ptr<evidence::PackageBuilder> builder;
    std::string unavailable;  // what is missing, "" when packages can be made
    unsigned max_concurrent_builds = 0;
};

EvidenceNode::EvidenceNode(Dependencies d) : parts_(std::make_unique<Parts>()) {
    auto& p = *parts_;
    p.max_concurrent_builds = d.max_concurrent_builds;
    try {
        p.seal = evidence::load_evidence_seal(d.certificates, *d.token);
        if (!p.seal)
            p.unavailable = "no evidence-seal certificate (run the key ceremony with an "
                            "evidence_seal section, then restart)";
    } catch (const Error& e) {
        p.unavailable = std::string("the evidence seal cannot be used: ") + e.what();
    }
    if (p.unavailable.empty() && !d.checkpoints_unavailable.empty())
        p.unavailable = "no audit checkpoints: " + d.checkpoints_unavailable;
    if (p.unavailable.empty() && !d.tsa)
        p.unavailable = "the TSA cannot sign (the evidence certificate and manifest.p7s are "
                        "time-stamped by it)";
    if (!p.unavailable.empty()) {
        d.log->warn("evidence packages are not made", {{"reason", p.unavailable}});
        return;
    }
    p.stamper = sign::tsa_time_stamper(*d.tsa, {std::nullopt, "signet-evidence"});
    p.tsa_chain = sign::tsa_chain(d.certificates);
    for (const auto& c : p.tsa_chain)
        p.tsa_chain_view.push_back(c.get());
    p.builder = std::make_unique<evidence::PackageBuilder>(evidence::PackageDependencies{
        .contracts = d.contracts,
        .database = d.database,
        .certificates = d.certificates,
        .subjects = d.subjects,
        .audit_log = d.audit,
        .audit_reader = d.audit,
        .checkpoints = d.checkpoints,
        .checkpointer = d.checkpoints,
        .seal = sign::SigningParties{*p.seal, p.stamper, d.validation, p.tsa_chain_view},
        .clock = d.clock,
    });
    d.log->info("evidence packages ready");
}

EvidenceNode::~EvidenceNode() = default;

void EvidenceNode::add_routes(api::Router& router) {
    api::EvidenceServices services;
    services.unavailable = parts_->unavailable;
    services.max_concurrent_builds = parts_->max_concurrent_builds;
    if (parts_->builder)
        services.write_package = [builder = parts_->builder.get()](
                                     std::string_view id, const sign::ContractCaller& caller,
                                     const evidence::ZipSink& sink) {
            builder->build(id, caller, sink);
        };
    api::add_evidence_route(router, std::move(services));
}

}  // namespace signet::signetd
