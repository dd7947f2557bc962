#include "tests/tsa/tsa_fixture.hpp"

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <boost/test/unit_test.hpp>

#include "hsm/bridge.hpp"
#include "tests/store/test_cluster.hpp"
#include "tests/support/softhsm.hpp"
#include "tsa/asn1.hpp"

namespace signet::testing {

namespace {

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value);
    BOOST_REQUIRE(ext != nullptr);
    BOOST_REQUIRE_EQUAL(X509_add_ext(cert, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

X509Ptr new_certificate(const std::string& subject_cn, EVP_PKEY* public_key, X509* issuer,
                        int from_days, int until_days) {
    static long serial = 1000;
    X509Ptr cert(X509_new());
    BOOST_REQUIRE(cert);
    X509_set_version(cert.get(), X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial);
    X509NamePtr name(X509_NAME_new());
    X509_NAME_add_entry_by_txt(name.get(), "C", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("CN"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("Signet Test"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(subject_cn.c_str()), -1, -1,
                               0);
    X509_set_subject_name(cert.get(), name.get());
    X509_set_issuer_name(cert.get(),
                         issuer != nullptr ? X509_get_subject_name(issuer) : name.get());
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), static_cast<long>(from_days) * 86400);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(until_days) * 86400);
    BOOST_REQUIRE_EQUAL(X509_set_pubkey(cert.get(), public_key), 1);
    return cert;
}

}  // namespace

X509Ptr make_ca_certificate(const std::string& common_name, EVP_PKEY* key, X509* issuer,
                            EVP_PKEY* issuer_key) {
    X509Ptr cert = new_certificate(common_name, key, issuer, -1, 3650);
    X509* signer = issuer != nullptr ? issuer : cert.get();
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
    if (issuer != nullptr)
        add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    BOOST_REQUIRE(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) >
                  0);
    return cert;
}

X509Ptr make_tsa_certificate(EVP_PKEY* public_key, X509* issuer, EVP_PKEY* issuer_key,
                             const TsaCertificateSpec& spec) {
    X509Ptr cert = new_certificate("Signet Test TSA", public_key, issuer, spec.valid_from_days,
                                   spec.valid_until_days);
    add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature");
    if (!spec.no_eku) {
        std::string eku = spec.eku_critical ? "critical,timeStamping" : "timeStamping";
        if (spec.extra_eku)
            eku += ",serverAuth";
        add_extension(cert.get(), issuer, NID_ext_key_usage, eku.c_str());
    }
    add_extension(cert.get(), issuer, NID_subject_key_identifier, "hash");
    add_extension(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
    BOOST_REQUIRE(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0);
    return cert;
}

void write_pem(const std::filesystem::path& path, std::initializer_list<const X509*> certificates) {
    BioPtr bio(BIO_new_file(path.c_str(), "w"));
    BOOST_REQUIRE(bio);
    for (const X509* cert : certificates)
        BOOST_REQUIRE_EQUAL(PEM_write_bio_X509(bio.get(), cert), 1);
}

Bytes certificate_der(const X509* certificate) {
    return to_der(i2d_X509, certificate);
}

Bytes make_request(const RequestSpec& spec) {
    signet::TsReqPtr request(TS_REQ_new());
    BOOST_REQUIRE(request);
    BOOST_REQUIRE_EQUAL(TS_REQ_set_version(request.get(), spec.version), 1);

    const EVP_MD* md = EVP_get_digestbynid(spec.digest_nid);
    const std::size_t size = spec.imprint_size.value_or(
        md != nullptr ? static_cast<std::size_t>(EVP_MD_get_size(md)) : 32);
    Bytes imprint = spec.imprint;
    if (imprint.empty()) {
        imprint.resize(size);
        RAND_bytes(imprint.data(), static_cast<int>(imprint.size()));
    }
    X509AlgorPtr algorithm(X509_ALGOR_new());
    if (spec.parameter_type == V_ASN1_INTEGER) {
        ASN1_INTEGER* parameter = ASN1_INTEGER_new();
        ASN1_INTEGER_set(parameter, 5);
        X509_ALGOR_set0(algorithm.get(), OBJ_nid2obj(spec.digest_nid), V_ASN1_INTEGER, parameter);
    } else {
        X509_ALGOR_set0(algorithm.get(), OBJ_nid2obj(spec.digest_nid), spec.parameter_type,
                        nullptr);
    }
    TsMsgImprintPtr message(TS_MSG_IMPRINT_new());
    BOOST_REQUIRE_EQUAL(TS_MSG_IMPRINT_set_algo(message.get(), algorithm.get()), 1);
    BOOST_REQUIRE_EQUAL(
        TS_MSG_IMPRINT_set_msg(message.get(), imprint.data(), static_cast<int>(imprint.size())), 1);
    BOOST_REQUIRE_EQUAL(TS_REQ_set_msg_imprint(request.get(), message.get()), 1);
    if (spec.policy) {
        signet::Asn1ObjectPtr policy(OBJ_txt2obj(spec.policy->c_str(), 1));
        BOOST_REQUIRE(policy);
        BOOST_REQUIRE_EQUAL(TS_REQ_set_policy_id(request.get(), policy.get()), 1);
    }
    if (spec.nonce) {
        Bytes random(spec.nonce_bytes);
        RAND_bytes(random.data(), static_cast<int>(random.size()));
        random[0] |= 0x01;  // never zero, whatever its length
        random[0] &= 0x7f;
        signet::Asn1IntegerPtr nonce = tsa::integer_from_magnitude(random);
        BOOST_REQUIRE_EQUAL(TS_REQ_set_nonce(request.get(), nonce.get()), 1);
    }
    BOOST_REQUIRE_EQUAL(TS_REQ_set_cert_req(request.get(), spec.cert_req ? 1 : 0), 1);
    if (spec.extension) {
        // Any extension: a made-up private OID, not critical.
        signet::Asn1ObjectPtr oid(OBJ_txt2obj("1.3.6.1.4.1.99999.9.9", 1));
        Asn1OctetStringPtr value(ASN1_OCTET_STRING_new());
        ASN1_OCTET_STRING_set(value.get(), reinterpret_cast<const unsigned char*>("\x05\x00"), 2);
        X509ExtensionPtr extension(
            X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, value.get()));
        BOOST_REQUIRE(extension);
        BOOST_REQUIRE_EQUAL(TS_REQ_add_ext(request.get(), extension.get(), -1), 1);
    }
    return to_der(i2d_TS_REQ, request.get());
}

ParsedReply parse_reply(const Bytes& der) {
    ParsedReply reply;
    BOOST_REQUIRE(!der.empty());
    const unsigned char* p = der.data();
    reply.response.reset(d2i_TS_RESP(nullptr, &p, static_cast<long>(der.size())));
    BOOST_REQUIRE_MESSAGE(reply.response, "the reply is not a TimeStampResp");
    BOOST_REQUIRE_MESSAGE(p == der.data() + der.size(), "bytes after the TimeStampResp");
    BOOST_REQUIRE_MESSAGE(to_der(i2d_TS_RESP, reply.response.get()) == der, "the reply is not DER");
    const TS_STATUS_INFO* status = TS_RESP_get_status_info(reply.response.get());
    reply.status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(status));
    if (const ASN1_BIT_STRING* bits = TS_STATUS_INFO_get0_failure_info(status)) {
        for (int bit = 0; bit < 32; ++bit) {
            if (ASN1_BIT_STRING_get_bit(bits, bit) == 1)
                reply.failure_bits.push_back(bit);
        }
    }
    const STACK_OF(ASN1_UTF8STRING)* text = TS_STATUS_INFO_get0_text(status);
    for (int i = 0; i < sk_ASN1_UTF8STRING_num(text); ++i) {
        const ASN1_UTF8STRING* s = sk_ASN1_UTF8STRING_value(text, i);
        reply.status_text.append(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                 static_cast<std::size_t>(ASN1_STRING_length(s)));
    }
    reply.has_token = TS_RESP_get_token(reply.response.get()) != nullptr;
    return reply;
}

TsaFixture::TsaFixture(TsaFixtureOptions o) : options(std::move(o)) {
    token_config = options.token ? *options.token : SoftHsm::instance().new_token("tsa");
    token_config.pool_size = 16;
    token = hsm::Token::open(token_config);
    signer = token->generate_key(options.key_type, "tsa");
    tsa_key = hsm::bridge_key(signer);

    root_key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    issuing_key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    BOOST_REQUIRE(root_key && issuing_key);
    root = make_ca_certificate("Signet Test Root", root_key.get(), nullptr, nullptr);
    issuing = make_ca_certificate("Signet Test Issuing CA", issuing_key.get(), root.get(),
                                  root_key.get());
    tsa_certificate = make_tsa_certificate(signer->public_key(), issuing.get(), issuing_key.get());
    write_pem(root_pem(), {root.get()});
    write_pem(issuing_pem(), {issuing.get()});
    write_pem(tsa_pem(), {tsa_certificate.get()});

    dsn = TestCluster::instance().migrated_database(options.database);
    database =
        std::make_unique<store::Database>(store::DatabaseOptions{.dsn = dsn, .pool_size = 4});
    tokens = std::make_unique<store::PostgresTsaTokens>(*database);
    journal = std::make_shared<tsa::GroupCommitJournal>(*database, *tokens);
    clock = std::make_shared<ManualClock>();
    if (options.start)
        restart(options.settings);
}

TsaFixture::~TsaFixture() {
    responder.reset();
    journal.reset();
}

tsa::ResponderOptions TsaFixture::responder_options(const policy::TsaSettings& settings) {
    tsa::ResponderOptions o;
    o.settings = settings;
    X509_up_ref(tsa_certificate.get());
    o.identity.certificate.reset(tsa_certificate.get());
    X509_up_ref(issuing.get());
    o.identity.chain.emplace_back(issuing.get());
    EVP_PKEY_up_ref(tsa_key.get());
    o.identity.key.reset(tsa_key.get());
    o.clock = clock;
    auto hsm_token = token;
    o.serials = std::make_shared<tsa::RandomSerials>(
        [hsm_token](std::size_t n) { return hsm_token->random(n); });
    o.journal = journal;
    o.node = "test:1";
    return o;
}

void TsaFixture::restart(const policy::TsaSettings& settings) {
    options.settings = settings;
    responder.reset();
    responder = std::make_shared<tsa::Responder>(responder_options(settings));
}

}  // namespace signet::testing
