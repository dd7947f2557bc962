// Certificate paths of the verifier: built from what the CMS embeds and the trust anchors, each
// certificate's revocation status from the embedded data, and OpenSSL's path validation.
#include <openssl/x509v3.h>

#include <algorithm>

#include "common/error.hpp"
#include "sign/verify_evidence.hpp"

namespace signet::sign {

namespace {

// Longer than any path Signet's CAs make (root, issuing CA, end entity), with room for a
// foreign hierarchy; a bound on the work a crafted set of certificates can cause.
constexpr std::size_t kMaxChainLength = 8;

bool is_self_signed(X509* certificate) {
    const bool self = X509_self_signed(certificate, 1) == 1;
    clear_openssl_errors();
    return self;
}

// A certificate of `pool`, not yet on `path`, that names the last one's issuer (RFC 5280 §4.1.2.4,
// and its key identifiers when present: X509_check_issued) and whose key verifies its signature.
X509* find_issuer(const std::vector<X509*>& path, const std::vector<X509*>& pool) {
    X509* subject = path.back();
    for (X509* candidate : pool) {
        const bool on_path = std::any_of(path.begin(), path.end(),
                                         [&](X509* c) { return X509_cmp(c, candidate) == 0; });
        if (on_path || X509_check_issued(candidate, subject) != X509_V_OK)
            continue;
        EVP_PKEY* key = X509_get0_pubkey(candidate);
        if (key != nullptr && X509_verify(subject, key) == 1)
            return candidate;
        clear_openssl_errors();
    }
    return nullptr;
}

// RFC 5280 §6 as OpenSSL does it, at `at`: the path from `leaf` to one of the anchors, through
// the pool's certificates; revocation is the verifier's own (from the embedded data).
bool validate_path(X509* leaf, const std::vector<X509*>& pool, const Evidence& evidence,
                   Clock::time_point at, int purpose, std::string& problem) {
    X509StorePtr store(X509_STORE_new());
    X509StackPtr untrusted(sk_X509_new_null());
    X509StoreCtxPtr context(X509_STORE_CTX_new());
    if (!store || !untrusted || !context)
        throw_openssl_error("cannot set up path validation");
    for (X509* anchor : evidence.anchors)
        check_openssl(X509_STORE_add_cert(store.get(), anchor), "cannot add a trust anchor");
    for (X509* certificate : pool) {
        if (sk_X509_push(untrusted.get(), certificate) <= 0)
            throw_openssl_error("cannot list certificates");
        X509_up_ref(certificate);
    }
    check_openssl(X509_STORE_CTX_init(context.get(), store.get(), leaf, untrusted.get()),
                  "cannot set up path validation");
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(context.get()), to_time_t(at));
    if (purpose != 0)
        check_openssl(X509_STORE_CTX_set_purpose(context.get(), purpose), "cannot set a purpose");
    const bool valid = X509_verify_cert(context.get()) == 1;
    if (!valid) {
        problem = std::string("the path does not validate at the validation time: ") +
                  X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get()));
    }
    clear_openssl_errors();
    return valid;
}

}  // namespace

ChainReport chain_report(X509* leaf, const std::vector<X509*>& pool, const Evidence& evidence,
                         Clock::time_point at, int purpose) {
    ChainReport report;
    std::vector<X509*> path{leaf};
    while (true) {
        if (is_self_signed(path.back())) {
            report.complete = true;
            break;
        }
        if (path.size() == kMaxChainLength) {
            report.problem =
                "the path is longer than " + std::to_string(kMaxChainLength) + " certificates";
            break;
        }
        X509* issuer = find_issuer(path, pool);
        if (issuer == nullptr) {
            report.problem = "the issuer of '" + summarize_certificate(path.back()).subject +
                             "' is neither embedded nor a trust anchor";
            break;
        }
        path.push_back(issuer);
    }
    for (std::size_t i = 0; i < path.size(); ++i) {
        ChainEntry entry;
        entry.certificate = summarize_certificate(path[i]);
        if (report.complete && i + 1 == path.size()) {
            entry.revocation.status = RevocationStatus::not_checked;
        } else if (i + 1 < path.size()) {
            entry.revocation = revocation_report(path[i], path[i + 1], evidence, at);
        } else {
            entry.revocation.problem = "its issuer is not known";
        }
        report.certificates.push_back(std::move(entry));
    }
    if (!evidence.anchors.empty()) {
        std::string problem;
        report.trusted = validate_path(leaf, pool, evidence, at, purpose, problem);
        if (!report.trusted && report.problem.empty())
            report.problem = problem;
    }
    return report;
}

}  // namespace signet::sign
