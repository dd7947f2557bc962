#include "ca/crl.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <array>

#include "common/error.hpp"
#include "common/text.hpp"

namespace signet::ca {

namespace {

struct ReasonName {
    RevocationReason reason;
    std::string_view name;
};
constexpr std::array<ReasonName, 10> kReasons{{
    {RevocationReason::unspecified, "unspecified"},
    {RevocationReason::key_compromise, "keyCompromise"},
    {RevocationReason::ca_compromise, "cACompromise"},
    {RevocationReason::affiliation_changed, "affiliationChanged"},
    {RevocationReason::superseded, "superseded"},
    {RevocationReason::cessation_of_operation, "cessationOfOperation"},
    {RevocationReason::certificate_hold, "certificateHold"},
    {RevocationReason::remove_from_crl, "removeFromCRL"},
    {RevocationReason::privilege_withdrawn, "privilegeWithdrawn"},
    {RevocationReason::aa_compromise, "aACompromise"},
}};

time_t seconds_of(TimePoint t) {
    return static_cast<time_t>(
        std::chrono::time_point_cast<std::chrono::seconds>(t).time_since_epoch().count());
}

ASN1_INTEGER* integer_from_bytes(ByteView bytes) {
    BignumPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
    ASN1_INTEGER* out = bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr;
    if (out == nullptr)
        throw_openssl_error("cannot encode an integer");
    return out;
}

}  // namespace

std::string_view to_string(RevocationReason reason) noexcept {
    for (const auto& r : kReasons) {
        if (r.reason == reason)
            return r.name;
    }
    return "unspecified";
}

RevocationReason parse_revocation_reason(std::string_view name) {
    std::string accepted;
    for (const auto& r : kReasons) {
        if (r.reason == RevocationReason::remove_from_crl)
            continue;
        if (r.name == name)
            return r.reason;
        accepted += (accepted.empty() ? "" : ", ") + std::string(r.name);
    }
    throw Error(Errc::invalid_argument,
                quote_input(name) + " is not a revocation reason (" + accepted + ")");
}

X509CrlPtr build_crl(const CrlTemplate& tmpl, const X509* issuer) {
    if (issuer == nullptr)
        throw Error(Errc::invalid_argument, "a CRL needs its issuer's certificate");
    if (tmpl.next_update <= tmpl.this_update)
        throw Error(Errc::invalid_argument, "nextUpdate must be after thisUpdate");
    X509CrlPtr crl(X509_CRL_new());
    if (!crl || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
        X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer)) != 1)
        throw_openssl_error("cannot start a CRL");
    Asn1TimePtr this_update(ASN1_TIME_set(nullptr, seconds_of(tmpl.this_update)));
    Asn1TimePtr next_update(ASN1_TIME_set(nullptr, seconds_of(tmpl.next_update)));
    if (!this_update || !next_update ||
        X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) != 1 ||
        X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1)
        throw_openssl_error("cannot set the CRL's times");

    for (const auto& entry : tmpl.revoked) {
        if (entry.serial.empty())
            throw Error(Errc::invalid_argument, "a revoked entry without a serial");
        X509RevokedPtr revoked(X509_REVOKED_new());
        Asn1IntegerPtr serial(integer_from_bytes(entry.serial));
        Asn1TimePtr when(ASN1_TIME_set(nullptr, seconds_of(entry.revoked_at)));
        if (!revoked || !when || X509_REVOKED_set_serialNumber(revoked.get(), serial.get()) != 1 ||
            X509_REVOKED_set_revocationDate(revoked.get(), when.get()) != 1)
            throw_openssl_error("cannot make a CRL entry");
        // §5.3.1: reasonCode absent rather than unspecified.
        if (entry.reason != RevocationReason::unspecified) {
            Asn1EnumeratedPtr code(ASN1_ENUMERATED_new());
            ASN1_ENUMERATED_set(code.get(), static_cast<int>(entry.reason));
            if (X509_REVOKED_add1_ext_i2d(revoked.get(), NID_crl_reason, code.get(), 0, 0) != 1)
                throw_openssl_error("cannot add a reasonCode");
        }
        // §5.3.2: invalidityDate is a GeneralizedTime.
        if (entry.invalidity_date) {
            Asn1GeneralizedTimePtr date(
                ASN1_GENERALIZEDTIME_set(nullptr, seconds_of(*entry.invalidity_date)));
            if (!date || X509_REVOKED_add1_ext_i2d(revoked.get(), NID_invalidity_date, date.get(),
                                                   0, 0) != 1)
                throw_openssl_error("cannot add an invalidityDate");
        }
        if (X509_CRL_add0_revoked(crl.get(), revoked.get()) != 1)
            throw_openssl_error("cannot add a CRL entry");
        revoked.release();
    }

    // §5.2.1 authorityKeyIdentifier and §5.2.3 cRLNumber, both non-critical.
    const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(const_cast<X509*>(issuer));
    if (ski == nullptr)
        throw Error(Errc::invalid_argument, "the CRL issuer has no subjectKeyIdentifier");
    AuthorityKeyIdPtr akid(AUTHORITY_KEYID_new());
    akid->keyid = ASN1_OCTET_STRING_dup(ski);
    Asn1IntegerPtr number(ASN1_INTEGER_new());
    ASN1_INTEGER_set_uint64(number.get(), tmpl.number);
    if (X509_CRL_add1_ext_i2d(crl.get(), NID_authority_key_identifier, akid.get(), 0, 0) != 1 ||
        X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1)
        throw_openssl_error("cannot add the CRL extensions");
    // Entries in the given order (the store gives them by serial); sorting is not needed for a
    // full CRL, but makes CRLs of the same state byte-identical apart from times and numbers.
    return crl;
}

void sign_crl(X509_CRL* crl, EVP_PKEY* issuer_key) {
    const KeyType type = key_type_of(issuer_key);
    const EVP_MD* md = signature_digest(type) == Digest::sha384 ? EVP_sha384() : EVP_sha256();
    if (X509_CRL_sign(crl, issuer_key, md) <= 0)
        throw_openssl_error("cannot sign the CRL");
}

Bytes crl_der(const X509_CRL* crl) {
    unsigned char* der = nullptr;
    const int size = i2d_X509_CRL(crl, &der);
    if (size <= 0)
        throw_openssl_error("cannot encode the CRL");
    Bytes out(der, der + size);
    OPENSSL_free(der);
    return out;
}

X509CrlPtr crl_from_der(ByteView der) {
    const unsigned char* p = der.data();
    X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
    if (!crl || p != der.data() + der.size())
        throw Error(Errc::invalid_argument, "not one DER CRL");
    return crl;
}

std::string crl_pem(const X509_CRL* crl) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509_CRL(bio.get(), const_cast<X509_CRL*>(crl)) != 1)
        throw_openssl_error("cannot write PEM");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace signet::ca
