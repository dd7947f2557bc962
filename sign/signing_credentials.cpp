#include "sign/signing_credentials.hpp"

#include <openssl/x509.h>

#include <algorithm>

#include "ca/service_certificates.hpp"
#include "ca/x509.hpp"
#include "common/error.hpp"

namespace signet::sign {

namespace {

[[noreturn]] void refuse(std::int64_t subject_id, const std::string& why) {
    throw Error(Errc::failed_precondition, "subject " + std::to_string(subject_id) + " " + why);
}

}  // namespace

SigningCredentials signing_credentials(store::CertificateReader& certificates, hsm::Token& token,
                                       std::int64_t subject_id, const std::string& profile,
                                       Clock::time_point now) {
    // The issued ones first (a subject renewed many times has many revoked ones), then, only to
    // say why there is none, every one.
    store::CertificateQuery query;
    query.subject_id = subject_id;
    query.status = "issued";
    query.limit = 1000;
    auto all = certificates.search(query);
    if (std::ranges::none_of(all, [&](const auto& r) { return r.profile == profile; })) {
        query.status.reset();
        all = certificates.search(query);
    }
    std::vector<const store::CertificateRecord*> of_profile;
    for (const auto& record : all)
        if (record.profile == profile)
            of_profile.push_back(&record);
    if (of_profile.empty())
        refuse(subject_id, "has no certificate under the profile '" + profile +
                               "' (POST /v1/subjects/{id}/certificates issues one)");

    const store::CertificateRecord* best = nullptr;
    bool revoked = false, expired = false, not_held = false;
    for (const auto* record : of_profile) {
        if (record->status == "revoked") {
            revoked = true;
            continue;
        }
        if (record->status != "issued" || !record->der)
            continue;
        if (now < record->not_before || now >= record->not_after) {
            expired = true;
            continue;
        }
        if (record->key_source != "hsm-wrapped" || !record->wrapped_key || !record->kek_label) {
            not_held = true;
            continue;
        }
        if (best == nullptr || record->not_before > best->not_before)
            best = record;
    }
    if (best == nullptr) {
        std::string why = "has no usable '" + profile + "' certificate:";
        if (revoked)
            why += " revoked";
        if (expired)
            why += std::string(revoked ? "," : "") + " expired or not yet valid";
        if (not_held)
            why += std::string(revoked || expired ? "," : "") +
                   " its key is not held by Signet (a CSR's key signs where it lives)";
        if (!revoked && !expired && !not_held)
            why += " none issued";
        refuse(subject_id, why);
    }

    SigningCredentials credentials;
    credentials.record = *best;
    const hsm::WrappedKey key{parse_key_type(best->key_type), *best->wrapped_key, best->public_key};
    credentials.signer.key = token.wrapped_signer(key, *best->kek_label);
    credentials.signer.certificate = ca::certificate_from_der(*best->der);
    credentials.signer.chain = ca::issuer_chain(certificates, best->issuer_ca, ca::WithRoot::yes);
    return credentials;
}

std::vector<X509Ptr> tsa_chain(store::CertificateReader& certificates) {
    auto service = ca::service_certificate(certificates, "tsa");
    if (!service)
        throw Error(Errc::unavailable, "the TSA has no certificate on record");
    std::vector<X509Ptr> chain;
    chain.push_back(std::move(service->certificate));
    for (X509Ptr& ca : ca::issuer_chain(certificates, service->record.issuer_ca, ca::WithRoot::yes))
        chain.push_back(std::move(ca));
    return chain;
}

std::string common_name(const X509* certificate) {
    const X509_NAME* name = X509_get_subject_name(certificate);
    const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (index < 0)
        return {};
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, value);
    if (length < 0)
        return {};
    const OpensslBytesPtr owned(utf8);
    return std::string(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
}

}  // namespace signet::sign
