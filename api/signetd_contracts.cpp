// signetd's contracts (api/signetd_contracts.hpp).
#include "api/signetd_contracts.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/contract_routes.hpp"
#include "api/signing_routes.hpp"
#include "sign/contract_signing.hpp"
#include "sign/pdf_inspector.hpp"
#include "sign/tsa_time_stamper.hpp"
#include "sign/validation_source.hpp"
#include "api/signing_link_routes.hpp"
#include "common/error.hpp"
#include "sign/contracts.hpp"
#include "sign/document_vault.hpp"
#include "sign/notification_deliverer.hpp"
#include "sign/outbox_notifier.hpp"
#include "sign/signing_links.hpp"
#include "store/contract_notifications.hpp"
#include "store/contracts.hpp"
#include "store/documents.hpp"

namespace signet::signetd {

namespace {

unsigned profile_level(const policy::Config& config, const char* profile) {
    const auto it = config.ca.profiles.find(profile);
    return it == config.ca.profiles.end() ? 1u : it->second.required_assurance;
}

sign::EventStamper stamper(const std::shared_ptr<tsa::Responder>& responder,
                           const std::string& unavailable) {
    if (responder)
        return sign::responder_stamper(responder);
    return [unavailable](ByteView) -> Bytes { throw Error(Errc::unavailable, unavailable); };
}

// A party's signature's time-stamp (B-T) and the document time-stamp (B-LTA), from our TSA.
sign::TimeStamper signature_stamper(const std::shared_ptr<tsa::Responder>& responder,
                                    const std::string& unavailable) {
    if (responder)
        return sign::tsa_time_stamper(*responder, {std::nullopt, "signet-signing"});
    return [unavailable](Digest, ByteView) -> Bytes {
        throw Error(Errc::unavailable, unavailable);
    };
}

sign::ContractSigningOptions signing_options(const policy::Config& config) {
    sign::ContractSigningOptions options;
    options.person_profile = kPersonProfile;
    options.seal_profile = kSealProfile;
    options.totp_signs = config.signing.totp_signs;
    return options;
}

}  // namespace

struct ContractsNode::Parts {
    store::PostgresDocuments documents;
    store::PostgresContracts contracts;
    // Telling the next party (sign/outbox_notifier.hpp, sign/notification_deliverer.hpp).
    store::PostgresContractNotifications outbox;
    store::PostgresSigningLinks link_rows;
    sign::SigningLinks links;
    std::shared_ptr<sign::OutboxNotifier> notifier;
    sign::CurlWebhookSender webhook_sender;
    sign::CurlEmailSender email_sender;
    sign::DocumentVault vault;
    sign::Contracts service;
    std::unique_ptr<sign::ValidationSource> validation;
    sign::ContractSigning signing;
    std::size_t max_document_bytes;
    bool tsa_ready;
    std::string tsa_unavailable;
    std::shared_ptr<Logger> log;
    const Clock& clock;
    ra::Registry& registry;
    sign::NotificationDeliverer deliverer;
    std::jthread expirer;

    explicit Parts(const Dependencies& d)
        : links(d.database, link_rows, d.clock),
          notifier(std::make_shared<sign::OutboxNotifier>(
              outbox, contracts, d.clock,
              sign::outbox_notifier_options(d.config.signing.notifications))),
          vault(d.database, documents, d.token, d.clock,
                {d.config.signing.documents_key_label, d.config.signing.max_document_bytes}),
          service(sign::ContractsDependencies{
              .database = d.database,
              .contracts = contracts,
              .documents = documents,
              .vault = vault,
              .registry = d.registry,
              .audit = d.audit,
              .clock = d.clock,
              .stamp = stamper(d.tsa, d.tsa_unavailable),
              // The outbox, written in each transition's transaction; the deliverer sends.
              .notifier = notifier,
              .inspect = sign::pdf_document_inspector(),
              .options =
                  sign::contracts_options(d.config.signing, profile_level(d.config, kPersonProfile),
                                          profile_level(d.config, kSealProfile)),
          }),
          validation(sign::signet_validation_source(d.ocsp, d.certificates, d.clock)),
          signing(sign::ContractSigningDependencies{
              .contracts = service,
              .registry = d.registry,
              .challenges = d.challenges,
              .totp = d.totp,
              .sms = d.sms,
              .certificates = d.certificates,
              .token = d.token,
              .vault = vault,
              .time_stamper = signature_stamper(d.tsa, d.tsa_unavailable),
              .validation = *validation,
              .clock = d.clock,
              .options = signing_options(d.config),
          }),
          max_document_bytes(d.config.signing.max_document_bytes),
          tsa_ready(d.tsa != nullptr),
          tsa_unavailable(d.tsa_unavailable),
          log(d.log),
          clock(d.clock),
          registry(d.registry),
          // Reads the webhook secrets and the SMTP password from their sources (an env:
          // variable once per process): a missing one stops signetd at start.
          deliverer(sign::DelivererDependencies{d.database, outbox, contracts, links,
                                                webhook_sender, email_sender, d.clock, d.log},
                    sign::deliverer_settings(d.config.signing.notifications)) {}
};

ContractsNode::ContractsNode(Dependencies dependencies)
    : parts_(std::make_unique<Parts>(dependencies)) {}

ContractsNode::~ContractsNode() {
    stop();
}

void ContractsNode::add_routes(api::Router& router) {
    api::add_contract_routes(router, {parts_->service, parts_->max_document_bytes});
    api::add_signing_routes(router, {parts_->signing, &parts_->links});
    api::add_signing_link_routes(router, {parts_->links, parts_->service, parts_->registry});
}

void ContractsNode::start() {
    parts_->deliverer.start();
    parts_->expirer = std::jthread([parts = parts_.get()](std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any wake;
        while (!stop.stop_requested()) {
            try {
                // Several nodes may run this at once: each expiry locks its contract and
                // checks again.
                const std::size_t expired = parts->service.expire_due(parts->clock.now(), 100);
                if (expired > 0)
                    parts->log->info("contracts expired", {{"count", expired}});
            } catch (const std::exception& e) {
                parts->log->warn("contract expiry failed", {{"error", e.what()}});
            }
            std::unique_lock lock(mutex);
            wake.wait_for(lock, stop, std::chrono::minutes(1), [] { return false; });
        }
    });
}

void ContractsNode::stop() {
    if (!parts_)
        return;
    if (parts_->expirer.joinable()) {
        parts_->expirer.request_stop();
        parts_->expirer.join();
    }
    parts_->deliverer.stop();
}

sign::Contracts& ContractsNode::service() {
    return parts_->service;
}

sign::ValidationSource& ContractsNode::validation() {
    return *parts_->validation;
}

api::HealthCheck ContractsNode::health_check() const {
    return {"contracts", [parts = parts_.get()] {
                if (const auto missing = parts->vault.missing_key(); !missing.empty())
                    return api::HealthResult{api::HealthStatus::degraded, missing};
                if (!parts->tsa_ready)
                    return api::HealthResult{
                        api::HealthStatus::degraded,
                        "contracts cannot change state: " + parts->tsa_unavailable};
                return api::HealthResult{api::HealthStatus::ok,
                                         "documents key present, TSA time-stamping events"};
            }};
}

}  // namespace signet::signetd
