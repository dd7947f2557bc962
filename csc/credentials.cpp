// credentials/list and credentials/info (CSC API §11.4, §11.5), and the ownership rule every
// method applies: a platform's credentials are the certificates of the subjects it registered
// (subjects.registered_by), issued for keys Signet generated and keeps wrapped.
#include <openssl/x509.h>

#include <algorithm>

#include "ca/name.hpp"
#include "ca/service_certificates.hpp"
#include "ca/x509.hpp"
#include "common/error.hpp"
#include "csc/service_core.hpp"

namespace signet::csc::detail {

namespace {

constexpr std::size_t kMaxSerialBytes = 20;  // RFC 5280 §4.1.2.2

constexpr store::Statement kOwnSerial{
    "csc.own_credential",
    "SELECT c.serial FROM certificates c JOIN subjects s ON s.id = c.subject_id "
    "WHERE c.serial = $1 AND s.registered_by = $2 AND c.key_source = 'hsm-wrapped' "
    "AND c.status IN ('issued', 'revoked')"};

// Newest first; only_valid ($2) keeps those issued and within their validity at $3.
constexpr store::Statement kOwnSerials{
    "csc.own_credentials",
    "SELECT c.serial FROM certificates c JOIN subjects s ON s.id = c.subject_id "
    "WHERE s.registered_by = $1 AND c.key_source = 'hsm-wrapped' "
    "AND c.status IN ('issued', 'revoked') "
    "AND (NOT $2::boolean OR (c.status = 'issued' AND c.not_before <= $3 AND c.not_after > $3)) "
    "ORDER BY c.issued_at DESC, c.serial"};

constexpr store::Statement kAuthObjects{
    "csc.auth_objects",
    "SELECT s.mobile <> '' AS sms, "
    "EXISTS (SELECT 1 FROM otp_totp t WHERE t.subject_id = s.id) AS totp "
    "FROM subjects s WHERE s.id = $1"};

std::optional<Bytes> parse_credential_id(std::string_view id) {
    // The serial in uppercase hex: one spelling per credential.
    if (id.empty() || id.size() % 2 != 0 || id.size() > 2 * kMaxSerialBytes)
        return std::nullopt;
    if (!std::ranges::all_of(id, [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }))
        return std::nullopt;
    return from_hex(id);
}

std::string upper_hex(ByteView bytes) {
    std::string hex = to_hex(bytes);
    std::ranges::transform(hex, hex.begin(), [](char c) {
        return c >= 'a' && c <= 'f' ? static_cast<char>(c - 'a' + 'A') : c;
    });
    return hex;
}

// The signAlgo values (CSC API §11.4 key/algo: "the list of OIDs of the supported key
// algorithms") signatures/signHash accepts for the key: for EC keys id-ecPublicKey (with a
// hashAlgorithmOID) and ecdsa-with-SHA256/384/512 (RFC 5758 §3.2); for RSA rsaEncryption (with
// a hashAlgorithmOID: PKCS#1 v1.5), sha256/384/512WithRSAEncryption (RFC 4055 §5) and
// id-RSASSA-PSS (RFC 4055 §3.1).
std::vector<std::string> algorithms_of(KeyType type) {
    if (is_ec(type))
        return {"1.2.840.10045.2.1", "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3",
                "1.2.840.10045.4.3.4"};
    return {"1.2.840.113549.1.1.1", "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12",
            "1.2.840.113549.1.1.13", "1.2.840.113549.1.1.10"};
}

// RFC 5480 §2.1.1.1: secp256r1 and secp384r1.
std::optional<std::string> curve_of(KeyType type) {
    switch (type) {
        case KeyType::ec_p256:
            return "1.2.840.10045.3.1.7";
        case KeyType::ec_p384:
            return "1.3.132.0.34";
        default:
            return std::nullopt;
    }
}

}  // namespace

OwnCredential own_credential(Core& core, const Caller& caller, std::string_view credential_id) {
    const auto serial = parse_credential_id(credential_id);
    if (!serial)
        refuse(CscFailure::invalid_request, "Invalid parameter credentialID");
    const bool own = core.deps.database.with_connection([&](store::Connection& c) {
        return !c.exec(kOwnSerial, {*serial, caller.client}).empty();
    });
    auto record = own ? core.deps.certificates.find(*serial) : std::nullopt;
    if (!record || !record->der || !record->wrapped_key || !record->kek_label)
        refuse(CscFailure::invalid_request, "Invalid parameter credentialID");
    return OwnCredential{std::string(credential_id), std::move(*record)};
}

void require_usable(const store::CertificateRecord& record, Clock::time_point now) {
    if (record.status != "issued")
        refuse(CscFailure::invalid_request,
               "The credential identified by credentialID is disabled");
    if (now < record.not_before || now >= record.not_after)
        refuse(CscFailure::invalid_request, "Signing certificate is expired");
}

Credential describe(Core& core, const store::CertificateRecord& record, Clock::time_point now) {
    Credential out;
    out.id = upper_hex(record.serial);
    out.subject_id = record.subject_id.value_or(0);
    out.profile = record.profile;
    const KeyType type = parse_key_type(record.key_type);
    out.key.enabled = record.status == "issued";
    out.key.algorithms = algorithms_of(type);
    out.key.bits = key_bits(type);
    out.key.curve = curve_of(type);

    CredentialCertificate& c = out.certificate;
    c.status = record.status == "revoked"                                  ? "revoked"
               : now < record.not_before || now >= record.not_after ? "expired"
                                                                            : "valid";
    const X509Ptr certificate = ca::certificate_from_der(*record.der);
    c.chain.push_back(*record.der);
    for (const X509Ptr& issuer :
         ca::issuer_chain(core.deps.certificates, record.issuer_ca, ca::WithRoot::yes))
        c.chain.push_back(ca::certificate_der(issuer.get()));
    c.issuer_dn = ca::format_distinguished_name(X509_get_issuer_name(certificate.get()));
    c.subject_dn = ca::format_distinguished_name(X509_get_subject_name(certificate.get()));
    c.serial_hex = out.id;
    c.valid_from = record.not_before;
    c.valid_to = record.not_after;

    core.deps.database.with_connection([&](store::Connection& connection) {
        const store::Result r = connection.exec(kAuthObjects, {out.subject_id});
        if (r.empty())
            return;
        // "OTP" needs a number to send it to and a gateway to send it through.
        out.auth.sms = r.one()["sms"].as<bool>() && static_cast<bool>(core.deps.sms);
        out.auth.totp = r.one()["totp"].as<bool>() && core.deps.settings.totp_authorizes;
    });
    out.multisign = core.deps.settings.multisign;
    return out;
}

std::vector<Credential> list_credentials(Core& core, const Caller& caller, bool only_valid) {
    const Clock::time_point now = core.now();
    const store::Result serials = core.deps.database.with_connection([&](store::Connection& c) {
        return c.exec(kOwnSerials, {caller.client, only_valid, now});
    });
    std::vector<Credential> out;
    out.reserve(serials.size());
    for (std::size_t i = 0; i < serials.size(); ++i) {
        const auto record = core.deps.certificates.find(serials[i]["serial"].as<Bytes>());
        if (record && record->der)
            out.push_back(describe(core, *record, now));
    }
    core.deps.audit.record(core.event("csc.credentials_listed", caller,
                                      "api_client:" + caller.client,
                                      {{"count", out.size()}, {"only_valid", only_valid}}));
    return out;
}

Credential credential_info(Core& core, const Caller& caller, std::string_view credential_id) {
    const OwnCredential own = own_credential(core, caller, credential_id);
    Credential out = describe(core, own.record, core.now());
    core.deps.audit.record(core.event("csc.credential_read", caller, credential_object(own.id),
                                      {{"status", out.certificate.status}}));
    return out;
}

}  // namespace signet::csc::detail
