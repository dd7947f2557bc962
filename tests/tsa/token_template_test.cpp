// The token template (tsa/token_template.hpp) against OpenSSL's own TS_RESP_create_response, with
// the same TSA key in a real SoftHSM token: for one request, serial and genTime both make the
// same TSTInfo byte for byte and the same SignedData around it — digest algorithms, certificates,
// signer identifier, algorithms, contentType, messageDigest and signing-certificate-v2 attributes
// in the same (DER) order — apart from the signingTime attribute's value and the signature, and
// the template's token verifies as OpenSSL's does (signature, ESS, chain, imprint, nonce,
// policy). The template is made, as the responder makes it, from a sample a stand-in key signed.
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include <boost/test/unit_test.hpp>

#include "common/der.hpp"
#include "tests/tsa/tsa_fixture.hpp"
#include "tsa/protocol.hpp"
#include "tsa/token_template.hpp"
#include "tsa/verify.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

constexpr const char* kAcceptedPolicy = "1.3.6.1.4.1.99999.1.2";

policy::TsaSettings template_settings() {
    policy::TsaSettings s;
    s.accepted_policies = {kAcceptedPolicy};
    return s;
}

// OpenSSL's TS responder configured as the TSA is (docs/tsa.md): the reference.
TsRespCtxPtr openssl_context(const TsaFixture& f, const policy::TsaSettings& s, X509* signer,
                             EVP_PKEY* key) {
    TsRespCtxPtr ctx(TS_RESP_CTX_new());
    BOOST_REQUIRE(ctx);
    BOOST_REQUIRE_EQUAL(TS_RESP_CTX_set_signer_cert(ctx.get(), signer), 1);
    BOOST_REQUIRE_EQUAL(TS_RESP_CTX_set_signer_key(ctx.get(), key), 1);
    BOOST_REQUIRE_EQUAL(TS_RESP_CTX_set_signer_digest(ctx.get(), EVP_sha256()), 1);
    BOOST_REQUIRE_EQUAL(TS_RESP_CTX_set_ess_cert_id_digest(ctx.get(), EVP_sha256()), 1);
    Asn1ObjectPtr policy(OBJ_txt2obj(s.policy_oid.c_str(), 1));
    Asn1ObjectPtr accepted(OBJ_txt2obj(kAcceptedPolicy, 1));
    BOOST_REQUIRE_EQUAL(TS_RESP_CTX_set_def_policy(ctx.get(), policy.get()), 1);
    BOOST_REQUIRE_EQUAL(TS_RESP_CTX_add_policy(ctx.get(), accepted.get()), 1);
    for (const EVP_MD* md : {EVP_sha256(), EVP_sha384(), EVP_sha512()})
        BOOST_REQUIRE_EQUAL(TS_RESP_CTX_add_md(ctx.get(), md), 1);
    BOOST_REQUIRE_EQUAL(TS_RESP_CTX_set_accuracy(ctx.get(), 1, 0, 0), 1);
    BOOST_REQUIRE_EQUAL(TS_RESP_CTX_set_clock_precision_digits(ctx.get(), s.precision), 1);
    TS_RESP_CTX_add_flags(ctx.get(), TS_TSA_NAME | TS_ESS_CERT_ID_CHAIN);
    X509StackPtr chain(sk_X509_new_null());
    X509_up_ref(f.issuing.get());
    sk_X509_push(chain.get(), f.issuing.get());
    BOOST_REQUIRE_EQUAL(TS_RESP_CTX_set_certs(ctx.get(), chain.get()), 1);
    return ctx;
}

struct CallData {
    const ASN1_INTEGER* serial;
    long seconds;
    long micros;
};

TsRespPtr openssl_token(TS_RESP_CTX* ctx, const Bytes& request, const Bytes& serial,
                        long seconds, long micros) {
    Asn1IntegerPtr integer = tsa::integer_from_magnitude(serial);
    CallData call{integer.get(), seconds, micros};
    TS_RESP_CTX_set_serial_cb(
        ctx, [](TS_RESP_CTX*, void* d) { return ASN1_INTEGER_dup(static_cast<CallData*>(d)->serial); },
        &call);
    TS_RESP_CTX_set_time_cb(
        ctx,
        [](TS_RESP_CTX*, void* d, long* s, long* us) {
            *s = static_cast<CallData*>(d)->seconds;
            *us = static_cast<CallData*>(d)->micros;
            return 1;
        },
        &call);
    BioPtr input(BIO_new_mem_buf(request.data(), static_cast<int>(request.size())));
    TsRespPtr response(TS_RESP_create_response(ctx, input.get()));
    BOOST_REQUIRE(response);
    BOOST_REQUIRE(TS_RESP_get_tst_info(response.get()) != nullptr);
    return response;
}

// The parts of a token that must agree, as DER.
struct TokenParts {
    Bytes tst_info;
    std::vector<Bytes> digest_algorithms;
    std::vector<Bytes> certificates;
    Bytes version, sid, digest_algorithm, signature_algorithm;
    std::vector<std::pair<int, Bytes>> attributes;  // (NID, DER) but signingTime's value, in order
};

TokenParts parts_of(const TS_RESP* response) {
    TokenParts parts;
    parts.tst_info = to_der(i2d_TS_TST_INFO,
                            static_cast<const TS_TST_INFO*>(TS_RESP_get_tst_info(const_cast<TS_RESP*>(response))));
    const PKCS7* token = TS_RESP_get_token(const_cast<TS_RESP*>(response));
    BOOST_REQUIRE(token != nullptr && PKCS7_type_is_signed(token));
    const PKCS7_SIGNED* sd = token->d.sign;
    for (int i = 0; i < sk_X509_ALGOR_num(sd->md_algs); ++i)
        parts.digest_algorithms.push_back(to_der(i2d_X509_ALGOR, static_cast<const X509_ALGOR*>(sk_X509_ALGOR_value(sd->md_algs, i))));
    for (int i = 0; i < sk_X509_num(sd->cert); ++i)
        parts.certificates.push_back(to_der(i2d_X509, static_cast<const X509*>(sk_X509_value(sd->cert, i))));
    BOOST_REQUIRE_EQUAL(sk_PKCS7_SIGNER_INFO_num(sd->signer_info), 1);
    const PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(sd->signer_info, 0);
    parts.version = to_der(i2d_ASN1_INTEGER, static_cast<const ASN1_INTEGER*>(si->version));
    parts.sid = to_der(i2d_PKCS7_ISSUER_AND_SERIAL, static_cast<const PKCS7_ISSUER_AND_SERIAL*>(si->issuer_and_serial));
    parts.digest_algorithm = to_der(i2d_X509_ALGOR, static_cast<const X509_ALGOR*>(si->digest_alg));
    parts.signature_algorithm = to_der(i2d_X509_ALGOR, static_cast<const X509_ALGOR*>(si->digest_enc_alg));
    for (int i = 0; i < sk_X509_ATTRIBUTE_num(si->auth_attr); ++i) {
        X509_ATTRIBUTE* a = sk_X509_ATTRIBUTE_value(si->auth_attr, i);
        const int nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(a));
        parts.attributes.emplace_back(
            nid, nid == NID_pkcs9_signingTime ? Bytes{} : to_der(i2d_X509_ATTRIBUTE, static_cast<const X509_ATTRIBUTE*>(a)));
    }
    return parts;
}

TsRespPtr decode(const Bytes& der) {
    const unsigned char* p = der.data();
    TsRespPtr response(d2i_TS_RESP(nullptr, &p, static_cast<long>(der.size())));
    BOOST_REQUIRE(response);
    BOOST_REQUIRE(p == der.data() + der.size());
    return response;
}

std::string gen_time_text(const TS_RESP* response) {
    const ASN1_GENERALIZEDTIME* t = TS_TST_INFO_get_time(TS_RESP_get_tst_info(const_cast<TS_RESP*>(response)));
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(t)),
                       static_cast<std::size_t>(ASN1_STRING_length(t)));
}

// What the responder does at start: a sample from a stand-in key of the same type under a copy of
// the TSA certificate carrying the stand-in's public key, and a template for the TSA's key.
struct Made {
    EvpPkeyPtr stand_in;
    X509Ptr stand_in_certificate;
    TsRespPtr sample;
    std::unique_ptr<tsa::TokenTemplate> maker;
};

Made make_template(const TsaFixture& f, const policy::TsaSettings& s, KeyType key_type,
                   const std::vector<std::string>& policies) {
    Made m;
    m.stand_in.reset(key_type == KeyType::ec_p256
                         ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                         : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}));
    BOOST_REQUIRE(m.stand_in);
    m.stand_in_certificate.reset(X509_dup(f.tsa_certificate.get()));
    BOOST_REQUIRE_EQUAL(X509_set_pubkey(m.stand_in_certificate.get(), m.stand_in.get()), 1);
    TsRespCtxPtr ctx = openssl_context(f, s, m.stand_in_certificate.get(), m.stand_in.get());
    m.sample = openssl_token(ctx.get(), make_request({}), {0x01}, 1'796'000'000, 0);
    tsa::TemplateSigner signer;
    signer.certificate = f.tsa_certificate.get();
    signer.chain = {f.issuing.get()};
    signer.ess_chain = true;
    signer.key = f.tsa_key.get();
    signer.signing_digest = EVP_sha256();
    signer.ess_digest = EVP_sha256();
    m.maker = std::make_unique<tsa::TokenTemplate>(m.sample.get(), signer, policies);
    return m;
}

struct Case {
    std::string name;
    RequestSpec request;
    Bytes serial;
    long seconds;
    long micros;
};

void compare_with_openssl(KeyType key_type) {
    TsaFixture f({.key_type = key_type, .settings = template_settings()});
    const policy::TsaSettings s = template_settings();
    // The reference: OpenSSL signing with the TSA's own key.
    TsRespCtxPtr ctx = openssl_context(f, s, f.tsa_certificate.get(), f.tsa_key.get());
    const long now = 1'796'000'000;  // 2026-11-29
    const Made made = make_template(f, s, key_type, {s.policy_oid, kAcceptedPolicy});
    const tsa::TokenTemplate& maker = *made.maker;

    Bytes high_serial(20, 0x5a);
    high_serial[0] = 0xc3;  // its INTEGER needs a leading zero octet
    const std::vector<Case> cases{
        {"certReq, nonce", {}, {0x01, 0x02, 0x03}, now + 1, 123'000},
        {"neither nonce nor certReq", {.nonce = false, .cert_req = false}, {0x7f}, now + 2, 0},
        {"SHA-512 imprint without parameters",
         {.digest_nid = NID_sha512, .parameter_type = V_ASN1_UNDEF}, {0x42}, now + 3, 100'000},
        {"the accepted policy, a 20-octet nonce", {.policy = std::string(kAcceptedPolicy), .nonce_bytes = 20},
         high_serial, now + 4, 999'000},
        {"SHA-384, a 159-bit serial", {.digest_nid = NID_sha384}, high_serial, now + 5, 10'000},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT(c.name << " (" << to_string(key_type) << ")") {
            const Bytes request = make_request(c.request);
            const TsRespPtr theirs = openssl_token(ctx.get(), request, c.serial, c.seconds, c.micros);
            const auto checked = tsa::check_request(request, s);
            BOOST_REQUIRE(std::holds_alternative<tsa::CheckedRequest>(checked));
            const auto& ok = std::get<tsa::CheckedRequest>(checked);
            const std::string gen_time = gen_time_text(theirs.get());
            tsa::TokenFields fields;
            fields.message_imprint = ok.message_imprint_der;
            fields.policy = ok.policy;
            fields.serial = c.serial;
            fields.gen_time = gen_time;
            fields.signing_time = Clock::time_point(std::chrono::seconds(c.seconds));
            if (ok.nonce)
                fields.nonce = ByteView(*ok.nonce);
            fields.cert_req = ok.cert_req;
            const Bytes ours_der = maker.encode(fields);
            const TsRespPtr ours = decode(ours_der);

            // DER all through: OpenSSL encodes what it read back to the same bytes.
            BOOST_CHECK(to_der(i2d_TS_RESP, static_cast<const TS_RESP*>(ours.get())) == ours_der);
            const TokenParts a = parts_of(ours.get());
            const TokenParts b = parts_of(theirs.get());
            BOOST_CHECK(a.tst_info == b.tst_info);
            BOOST_CHECK(a.digest_algorithms == b.digest_algorithms);
            BOOST_CHECK_EQUAL(a.certificates.size(), c.request.cert_req ? 2u : 0u);
            BOOST_CHECK(a.certificates == b.certificates);
            BOOST_CHECK(a.version == b.version);
            BOOST_CHECK(a.sid == b.sid);
            BOOST_CHECK(a.digest_algorithm == b.digest_algorithm);
            BOOST_CHECK(a.signature_algorithm == b.signature_algorithm);
            BOOST_CHECK_EQUAL(a.attributes.size(), 4u);
            BOOST_CHECK(a.attributes == b.attributes);

            tsa::VerifyOptions options;
            options.trusted.push_back(X509Ptr(X509_dup(f.root.get())));
            options.untrusted.push_back(X509Ptr(X509_dup(f.issuing.get())));
            options.untrusted.push_back(X509Ptr(X509_dup(f.tsa_certificate.get())));
            options.query = request;
            BOOST_CHECK_NO_THROW(tsa::verify_token(tsa::parse_token(ours_der), options));
        }
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(token_template)

BOOST_AUTO_TEST_CASE(an_ec_token_is_openssls_token_but_for_its_signature) {
    compare_with_openssl(KeyType::ec_p256);
}

BOOST_AUTO_TEST_CASE(an_rsa_token_is_openssls_token_but_for_its_signature) {
    compare_with_openssl(KeyType::rsa_2048);
}

// RFC 5652 §11.3: "Dates between 1 January 1950 and 31 December 2049 (inclusive) MUST be encoded
// as UTCTime. Any dates with year values before 1950 or after 2049 MUST be encoded as
// GeneralizedTime."
BOOST_AUTO_TEST_CASE(signing_time_is_utc_time_until_2049_then_generalized_time) {
    TsaFixture f({.settings = template_settings()});
    const policy::TsaSettings s = template_settings();
    const Made made = make_template(f, s, KeyType::ec_p256, {s.policy_oid});
    const tsa::TokenTemplate& maker = *made.maker;
    const Bytes request = make_request({});
    const auto ok = std::get<tsa::CheckedRequest>(tsa::check_request(request, s));
    const Bytes serial{0x09};
    for (const auto& [unix_seconds, type] : {std::pair{2'524'607'999L, V_ASN1_UTCTIME},
                                             std::pair{2'524'608'000L, V_ASN1_GENERALIZEDTIME}}) {
        tsa::TokenFields fields;
        fields.message_imprint = ok.message_imprint_der;
        fields.policy = ok.policy;
        fields.serial = serial;
        fields.gen_time = "20261129090000Z";
        fields.signing_time = Clock::time_point(std::chrono::seconds(unix_seconds));
        fields.cert_req = true;
        const TsRespPtr token = decode(maker.encode(fields));
        const PKCS7_SIGNER_INFO* si =
            sk_PKCS7_SIGNER_INFO_value(TS_RESP_get_token(token.get())->d.sign->signer_info, 0);
        const ASN1_TYPE* value =
            PKCS7_get_signed_attribute(si, NID_pkcs9_signingTime);
        BOOST_REQUIRE(value != nullptr);
        BOOST_CHECK_EQUAL(value->type, type);
    }
}

BOOST_AUTO_TEST_CASE(a_policy_the_template_was_not_made_with_is_refused) {
    TsaFixture f({.settings = template_settings()});
    const policy::TsaSettings s = template_settings();
    const Made made = make_template(f, s, KeyType::ec_p256, {s.policy_oid});
    const tsa::TokenTemplate& maker = *made.maker;
    const auto ok = std::get<tsa::CheckedRequest>(tsa::check_request(make_request({}), s));
    tsa::TokenFields fields;
    fields.message_imprint = ok.message_imprint_der;
    fields.policy = kAcceptedPolicy;
    const Bytes serial{0x09};
    fields.serial = serial;
    fields.gen_time = "20261129090000Z";
    BOOST_CHECK_THROW(maker.encode(fields), Error);
}

// The responder's start check (differences_from_sample): the template over the stand-in
// reproduces the sample; one over another key, or with another chain, is caught.
BOOST_AUTO_TEST_CASE(the_start_check_sees_a_template_that_differs_from_the_sample) {
    TsaFixture f({.settings = template_settings()});
    const policy::TsaSettings s = template_settings();
    const Made made = make_template(f, s, KeyType::ec_p256, {s.policy_oid});
    const std::string gen_time = gen_time_text(made.sample.get());
    const Bytes serial{0x01};
    tsa::TokenFields fields;
    fields.policy = s.policy_oid;
    fields.serial = serial;
    fields.gen_time = gen_time;
    fields.signing_time = Clock::time_point(std::chrono::seconds(1'796'000'000));
    fields.cert_req = true;
    // The sample's own request: its imprint and nonce.
    TS_TST_INFO* sample_info = TS_RESP_get_tst_info(made.sample.get());
    const Bytes sample_imprint = to_der(
        i2d_TS_MSG_IMPRINT,
        static_cast<const TS_MSG_IMPRINT*>(TS_TST_INFO_get_msg_imprint(sample_info)));
    fields.message_imprint = sample_imprint;
    BOOST_REQUIRE(TS_TST_INFO_get_nonce(sample_info) != nullptr);
    const Bytes sample_nonce = tsa::integer_content(TS_TST_INFO_get_nonce(sample_info));
    fields.nonce = ByteView(sample_nonce);

    tsa::TemplateSigner check;
    check.certificate = made.stand_in_certificate.get();
    check.chain = {f.issuing.get()};
    check.ess_chain = true;
    check.key = made.stand_in.get();
    check.signing_digest = EVP_sha256();
    check.ess_digest = EVP_sha256();
    const tsa::TokenTemplate good(made.sample.get(), check, {s.policy_oid});
    BOOST_CHECK_EQUAL(tsa::differences_from_sample(made.sample.get(), good.encode(fields),
                                                   made.stand_in_certificate.get()),
                      "");

    tsa::TemplateSigner wrong_key = check;
    wrong_key.key = f.tsa_key.get();  // signs, but not with the stand-in certificate's key
    const tsa::TokenTemplate signed_wrong(made.sample.get(), wrong_key, {s.policy_oid});
    BOOST_CHECK_EQUAL(tsa::differences_from_sample(made.sample.get(), signed_wrong.encode(fields),
                                                   made.stand_in_certificate.get()),
                      "its signature does not verify");

    tsa::TemplateSigner no_chain = check;
    no_chain.chain.clear();
    no_chain.ess_chain = false;
    const tsa::TokenTemplate chainless(made.sample.get(), no_chain, {s.policy_oid});
    BOOST_CHECK_EQUAL(tsa::differences_from_sample(made.sample.get(), chainless.encode(fields),
                                                   made.stand_in_certificate.get()),
                      "its certificates differ");

    const Bytes other_serial{0x02};
    fields.serial = other_serial;
    BOOST_CHECK_EQUAL(tsa::differences_from_sample(made.sample.get(), good.encode(fields),
                                                   made.stand_in_certificate.get()),
                      "its TSTInfo differs");
}

BOOST_AUTO_TEST_SUITE_END()
