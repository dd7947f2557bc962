#include "tests/ocsp/test_signer.hpp"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "common/error.hpp"
#include "store/certificates.hpp"

namespace signet::testing {

namespace {

using Seconds = std::chrono::seconds;

X509Ptr self_signed(EVP_PKEY* key) {
    X509Ptr cert(X509_new());
    check_openssl(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_NAME* name = X509_get_subject_name(cert.get());
    check_openssl(X509_NAME_add_entry_by_txt(
                      name, "CN", MBSTRING_ASC,
                      reinterpret_cast<const unsigned char*>("Signet OCSP Test CA"), -1, -1, 0),
                  "X509_NAME_add_entry_by_txt");
    check_openssl(X509_set_issuer_name(cert.get(), name), "X509_set_issuer_name");
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
    check_openssl(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");
    check_openssl(X509_sign(cert.get(), key, EVP_sha256()), "X509_sign");
    return cert;
}

Asn1GeneralizedTimePtr generalized(Clock::time_point t) {
    const auto seconds = std::chrono::duration_cast<Seconds>(t.time_since_epoch()).count();
    Asn1GeneralizedTimePtr time(ASN1_GENERALIZEDTIME_set(nullptr, static_cast<time_t>(seconds)));
    if (!time)
        throw_openssl_error("ASN1_GENERALIZEDTIME_set");
    return time;
}

}  // namespace

TestSigner::TestSigner(std::chrono::seconds validity)
    : TestSigner(validity, EvpPkeyPtr(EVP_EC_gen("P-256"))) {}

TestSigner::TestSigner(std::chrono::seconds validity, EvpPkeyPtr key)
    : validity_(validity), key_(std::move(key)), ca_(self_signed(key_.get())) {}

ocsp::SignedResponse TestSigner::sign(const store::CertificateRecord& certificate,
                                      ocsp::CertIdHash hash, Clock::time_point now) {
    if (!available_.load())
        throw Error(Errc::unavailable, "test signer: the HSM is away");
    if (certificate.issuer_ca == "no-responder")
        throw Error(Errc::not_found, "test signer: no responder certificate");
    if (certificate.status != "issued" && certificate.status != "revoked")
        throw Error(Errc::internal, "test signer: not a certificate: " + certificate.status);
    BignumPtr number(
        BN_bin2bn(certificate.serial.data(), static_cast<int>(certificate.serial.size()), nullptr));
    Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(number.get(), nullptr));
    const EVP_MD* md = hash == ocsp::CertIdHash::sha1 ? EVP_sha1() : EVP_sha256();
    OcspCertIdPtr id(OCSP_cert_id_new(md, X509_get_subject_name(ca_.get()),
                                      X509_get0_pubkey_bitstr(ca_.get()), serial.get()));
    if (!id)
        throw_openssl_error("OCSP_cert_id_new");
    // RFC 5019 §2.2.4: GeneralizedTime without fractions.
    const auto this_update = std::chrono::time_point_cast<Seconds>(now);
    const auto next_update = this_update + validity_;
    OcspBasicRespPtr basic(OCSP_BASICRESP_new());
    const bool revoked = certificate.status == "revoked";
    const auto this_time = generalized(this_update);
    const auto next_time = generalized(next_update);
    Asn1GeneralizedTimePtr revoked_time;
    if (revoked)
        revoked_time = generalized(certificate.revoked_at.value_or(now));
    if (OCSP_basic_add1_status(basic.get(), id.get(),
                               revoked ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD,
                               revoked ? certificate.revocation_reason.value_or(0) : -1,
                               revoked_time.get(), this_time.get(), next_time.get()) == nullptr)
        throw_openssl_error("OCSP_basic_add1_status");
    check_openssl(OCSP_basic_sign(basic.get(), ca_.get(), key_.get(), EVP_sha256(), nullptr,
                                  OCSP_RESPID_KEY | OCSP_NOCERTS),
                  "OCSP_basic_sign");
    OcspResponsePtr response(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
    unsigned char* der = nullptr;
    const int length = i2d_OCSP_RESPONSE(response.get(), &der);
    if (length <= 0)
        throw_openssl_error("i2d_OCSP_RESPONSE");
    OpensslBytesPtr owned(der);
    signatures_.fetch_add(1);
    return {Bytes(der, der + length), this_update, next_update, now};
}

Bytes random_serial() {
    Bytes serial(16);
    check_openssl(RAND_bytes(serial.data(), static_cast<int>(serial.size())), "RAND_bytes");
    serial[0] = static_cast<std::uint8_t>(1 + serial[0] % 127);
    return serial;
}

std::vector<Bytes> insert_issued(store::Database& database, int count,
                                 const std::string& issuer_ca) {
    return database.with_connection([&](store::Connection& c) {
        const store::Result rows = c.exec(
            "INSERT INTO certificates (serial, issuer_ca, purpose, profile, subject_dn, key_type, "
            "key_source, public_key, tbs, der, status, not_before, not_after, reserved_at, "
            "issued_at) SELECT set_byte(decode(md5(random()::text || i::text), 'hex'), 0, "
            "1 + (random() * 126)::int), $1, 'subject', 'personal', 'CN=Test ' || i, 'ec-p256', "
            "'csr', '\\x00'::bytea, '\\x00'::bytea, '\\x00'::bytea, 'issued', now(), "
            "now() + interval '30 days', now(), now() FROM generate_series(1, $2::int) i "
            "RETURNING serial",
            {issuer_ca, count});
        std::vector<Bytes> serials;
        for (std::size_t i = 0; i < rows.size(); ++i)
            serials.push_back(rows[i][0].bytes());
        return serials;
    });
}

void revoke_row(store::Database& database, ByteView serial, Clock::time_point at) {
    store::PostgresCertificates certificates(database);
    database.transaction([&](store::Connection& tx) {
        const auto record = certificates.revoke(tx, serial, 1, at, std::nullopt);
        tx.exec("SELECT pg_notify('signet_certificate_status', $1)",
                {record.issuer_ca + ":" + to_hex(serial)});
    });
}

}  // namespace signet::testing
