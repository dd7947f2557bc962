#include "ops/signetctl_audit.hpp"

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "audit/checkpoints.hpp"
#include "audit/tree_verify.hpp"
#include "ca/service_purposes.hpp"
#include "ca/x509.hpp"
#include "common/clock.hpp"
#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/exit_status.hpp"
#include "ops/appliance.hpp"
#include "sign/checkpoint_signing.hpp"
#include "sign/checkpoint_witness.hpp"
#include "store/tsa_tokens.hpp"
#include "tsa/identity.hpp"
#include "tsa/journal.hpp"
#include "tsa/responder.hpp"
#include "tsa/serials.hpp"
#include "tsa/verify.hpp"

namespace signet::ops {

const char* const kAuditUsage =
    R"(Audit log commands (option --config FILE, or SIGNET_CONFIG; default signet.yaml):
  audit verify [--root PEM]              recompute every event's leaf hash, rebuild the Merkle
                                         tree from them and check every stored subtree hash and
                                         every checkpoint's root, signature (its certificate an
                                         audit-checkpoint one, chained to the root at the time
                                         its time-stamp proves) and time-stamp; names the FIRST
                                         event, subtree or checkpoint that does not match and
                                         exits non-zero. --root: the root certificates to trust,
                                         kept apart from the database (without it, the roots the
                                         database records, which whoever can rewrite the
                                         database can rewrite too)
  audit checkpoint                       make a checkpoint of the log now (needs the ceremony's
                                         audit-checkpoint key and the TSA certificate)
  audit export --to FILE                 append every checkpoint FILE does not have yet, one
                                         JSON line each (a witness's copy)
)";

namespace {

struct Pki {
    std::vector<X509Ptr> roots;
    std::vector<X509Ptr> issuing;
};

Pki appliance_pki(store::PostgresCertificates& certificates) {
    Pki pki;
    for (const auto& ca : certificates.list_cas())
        (ca.role == "root" ? pki.roots : pki.issuing)
            .push_back(ca::certificate_from_der(ca.certificate));
    return pki;
}

// Empty when the checkpoint's signature verifies with its certificate, that certificate is an
// audit-checkpoint one (ca/service_purposes.hpp) chaining to one of the roots at the token's
// genTime (not at the time the body claims: a key whose certificate had expired could otherwise
// sign a checkpoint dated back), and the time-stamp token is over SHA-256(body) and verifies;
// else why not.
std::string check_signed(const audit::SignedCheckpoint& cp, const Pki& pki) {
    X509Ptr certificate;
    try {
        certificate = ca::certificate_from_der(cp.certificate_der);
    } catch (const Error& e) {
        return e.what();
    }
    const bool signature_ok =
        audit::checkpoint_signature_verifies(certificate.get(), cp.body, ByteView(cp.signature));
    if (!signature_ok)
        return "its signature does not verify with its certificate";
    if (!ca::has_key_purpose(certificate.get(), ca::kAuditCheckpointPurpose))
        return "its certificate is not an audit-checkpoint certificate (its extended key usage "
               "lacks " +
               std::string(ca::kAuditCheckpointPurpose) + ")";
    Clock::time_point stamped;
    try {
        stamped = tsa::summarize(tsa::parse_token(cp.time_stamp_token)).gen_time_utc;
    } catch (const Error& e) {
        return std::string("its time-stamp token does not read: ") + e.what();
    }
    if (cp.checkpoint.time > stamped + audit::kCheckpointClockTolerance)
        return "it claims the time " + format_utc(cp.checkpoint.time) +
               ", after its time-stamp's " + format_utc(stamped);
    X509StorePtr store(X509_STORE_new());
    X509StoreCtxPtr verify(X509_STORE_CTX_new());
    X509StackPtr untrusted(sk_X509_new_null());
    for (const auto& root : pki.roots)
        X509_STORE_add_cert(store.get(), root.get());
    for (const auto& ca : pki.issuing) {
        X509_up_ref(ca.get());  // the stack owns what it holds
        sk_X509_push(untrusted.get(), ca.get());
    }
    bool chained =
        X509_STORE_CTX_init(verify.get(), store.get(), certificate.get(), untrusted.get()) == 1;
    if (chained) {
        X509_STORE_CTX_set_time(verify.get(), 0, std::chrono::system_clock::to_time_t(stamped));
        chained = X509_verify_cert(verify.get()) == 1;
    }
    clear_openssl_errors();
    if (!chained)
        return "its certificate does not chain to the root at its time-stamp's time " +
               format_utc(stamped);
    try {
        tsa::VerifyOptions options;
        for (const auto& root : pki.roots) {
            X509_up_ref(root.get());
            options.trusted.emplace_back(root.get());
        }
        for (const auto& ca : pki.issuing) {
            X509_up_ref(ca.get());
            options.untrusted.emplace_back(ca.get());
        }
        options.data = Bytes(cp.body.begin(), cp.body.end());
        tsa::verify_token(tsa::parse_token(cp.time_stamp_token), options);
    } catch (const Error& e) {
        return std::string("its time-stamp token does not verify: ") + e.what();
    }
    return "";
}

int audit_verify(const Arguments& args) {
    args.allow({"config", "root"});
    if (args.words.size() != 2)
        throw UsageError("'audit verify' takes no argument");
    std::vector<X509Ptr> given_roots;
    if (args.options.contains("root")) {
        try {
            given_roots = tsa::read_pem_certificates(args.options.at("root"));
        } catch (const Error& e) {
            throw Error(Errc::invalid_argument, std::string("--root: ") + e.what());
        }
    }
    Appliance appliance(args);
    const auto events = audit::verify(*appliance.audit);
    std::cout << "events:           " << events.checked << "\n";
    if (!events.ok()) {
        std::cout << "FIRST PROBLEM:    " << events.problems.front() << "\n";
        return to_exit_code(ExitStatus::failure);
    }
    const auto tree = audit::verify_tree(*appliance.database);
    std::cout << "stored subtrees:  " << tree.stored_subtrees << " checked\n"
              << "checkpoint roots: " << tree.checkpoints << " checked\n";
    if (!tree.ok()) {
        std::cout << "FIRST PROBLEM:    " << *tree.first_problem << "\n";
        return to_exit_code(ExitStatus::failure);
    }
    Pki pki = appliance_pki(*appliance.certificates);
    if (!given_roots.empty())
        pki.roots = std::move(given_roots);
    std::cout << "roots:            "
              << (args.options.contains("root")
                      ? "from " + args.options.at("root")
                      : std::string("as this appliance's database records them"
                                    " (--root checks against roots kept "
                                    "elsewhere)"))
              << "\n";
    std::uint64_t signed_ok = 0;
    const auto sizes = appliance.database->with_connection([](store::Connection& c) {
        std::vector<std::uint64_t> out;
        const auto rows = c.exec("SELECT size FROM audit_checkpoints ORDER BY size");
        for (std::size_t i = 0; i < rows.size(); ++i)
            out.push_back(static_cast<std::uint64_t>(rows[i][0].int64()));
        return out;
    });
    audit::PostgresCheckpoints reader(*appliance.database);
    for (const std::uint64_t size : sizes) {
        const std::string why = check_signed(reader.at_size(size), pki);
        if (!why.empty()) {
            std::cout << "FIRST PROBLEM:    checkpoint " << size << ": " << why << "\n";
            return to_exit_code(ExitStatus::failure);
        }
        ++signed_ok;
    }
    std::cout << "signatures:       " << signed_ok << " checkpoints signed and time-stamped\n"
              << "the audit log is intact\n";
    return 0;
}

int audit_checkpoint(const Arguments& args) {
    args.allow({"config"});
    if (args.words.size() != 2)
        throw UsageError("'audit checkpoint' takes no argument");
    Appliance appliance(args);
    auto identity = tsa::load_signing_identity(*appliance.certificates, *appliance.token,
                                               appliance.config.tsa.key_label);
    if (!identity)
        throw Error(Errc::failed_precondition,
                    "the TSA has no certificate (run the key ceremony): a checkpoint is "
                    "time-stamped by it");
    store::PostgresTsaTokens tokens(*appliance.database);
    auto journal = std::make_shared<tsa::GroupCommitJournal>(*appliance.database, tokens);
    auto token = appliance.token;
    const std::string node = "signetctl:" + operator_actor();
    tsa::Responder responder(tsa::ResponderOptions{
        appliance.config.tsa, std::move(*identity),
        std::shared_ptr<const Clock>(&appliance.clock, [](const Clock*) {}),
        std::make_shared<tsa::RandomSerials>([token](std::size_t n) { return token->random(n); }),
        journal, node});
    auto signing = sign::checkpoint_signing(*appliance.certificates, *appliance.token, responder,
                                            appliance.config.audit.log_name, node);
    if (!signing)
        throw Error(Errc::failed_precondition,
                    "no audit-checkpoint certificate: run the key ceremony with an "
                    "audit_checkpoint section");
    audit::PostgresCheckpoints checkpoints(*appliance.database, *appliance.audit, appliance.clock,
                                           std::move(*signing));
    const auto made = checkpoints.checkpoint_now();
    std::cout << made.body;
    return 0;
}

// The largest size FILE holds (its last line's), 0 when it is empty or absent.
std::optional<std::uint64_t> last_exported(const std::string& file) {
    std::ifstream in(file);
    std::string line, last;
    while (std::getline(in, line))
        if (!line.empty())
            last = line;
    if (last.empty())
        return std::nullopt;
    try {
        return nlohmann::json::parse(last).at("size").get<std::uint64_t>();
    } catch (const std::exception&) {
        throw Error(Errc::invalid_argument,
                    file + ": its last line is not a checkpoint this command wrote");
    }
}

int audit_export(const Arguments& args) {
    args.allow({"config", "to"});
    if (args.words.size() != 2)
        throw UsageError("'audit export' takes no argument but --to FILE");
    const std::string file = args.required("to");
    const auto after = last_exported(file);
    ConfiguredDatabase db(args);
    audit::PostgresCheckpoints reader(*db.database);
    const auto sizes = db.database->with_connection([&](store::Connection& c) {
        std::vector<std::uint64_t> out;
        const auto rows = c.exec("SELECT size FROM audit_checkpoints WHERE size > $1 ORDER BY size",
                                 {after ? static_cast<std::int64_t>(*after) : std::int64_t{-1}});
        for (std::size_t i = 0; i < rows.size(); ++i)
            out.push_back(static_cast<std::uint64_t>(rows[i][0].int64()));
        return out;
    });
    for (const std::uint64_t size : sizes)
        sign::append_checkpoint_line(file, reader.at_size(size));
    std::cout << sizes.size() << " checkpoint(s) appended to " << file << "\n";
    return 0;
}

}  // namespace

std::optional<int> run_audit_command(const Arguments& args) {
    const std::string command = args.command();
    if (command == "audit verify")
        return audit_verify(args);
    if (command == "audit checkpoint")
        return audit_checkpoint(args);
    if (command == "audit export")
        return audit_export(args);
    return std::nullopt;
}

}  // namespace signet::ops
