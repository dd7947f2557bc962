// The responder in process, over a real SoftHSM token and a real PostgreSQL: the request checks
// and their failInfo, the TSTInfo and SignedData it produces, the clock, durability (the row
// before the token, an outage answering systemFailure), and inputs that must never crash it.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <random>
#include <set>
#include <thread>

#include "tests/store/test_cluster.hpp"
#include "tests/support/expect.hpp"
#include "tests/tsa/tsa_fixture.hpp"
#include "tsa/protocol.hpp"
#include "tsa/serials.hpp"
#include "tsa/verify.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;
using tsa::Failure;

namespace {

// The one failInfo bit of a rejection, checked.
void expect_rejection(const tsa::Reply& reply, Failure failure, const std::string& needle = "") {
    BOOST_TEST_MESSAGE("rejection: " << reply.reason);
    BOOST_REQUIRE(reply.failure.has_value());
    BOOST_CHECK_EQUAL(to_string(*reply.failure), to_string(failure));
    const ParsedReply parsed = parse_reply(reply.der);
    BOOST_CHECK_EQUAL(parsed.status, 2);  // rejection
    BOOST_CHECK(!parsed.has_token);
    BOOST_REQUIRE_EQUAL(parsed.failure_bits.size(), 1u);
    BOOST_CHECK_EQUAL(parsed.failure_bits[0], static_cast<int>(failure));
    BOOST_CHECK(!parsed.status_text.empty());
    if (!needle.empty()) {
        BOOST_CHECK_MESSAGE(parsed.status_text.find(needle) != std::string::npos,
                            "'" << parsed.status_text << "' lacks '" << needle << "'");
    }
}

ParsedReply expect_granted(const tsa::Reply& reply) {
    BOOST_REQUIRE_MESSAGE(!reply.failure, "refused: " << reply.reason);
    ParsedReply parsed = parse_reply(reply.der);
    BOOST_CHECK_EQUAL(parsed.status, 0);
    BOOST_REQUIRE(parsed.has_token);
    BOOST_CHECK(parsed.failure_bits.empty());
    return parsed;
}

std::string gen_time_text(const ParsedReply& reply) {
    const ASN1_GENERALIZEDTIME* t = TS_TST_INFO_get_time(reply.info());
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(t)),
                       static_cast<std::size_t>(ASN1_STRING_length(t)));
}

Clock::time_point at_second_plus(std::chrono::microseconds fraction) {
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    return Clock::time_point(now) + fraction;
}

Bytes sha256(ByteView data) {
    Bytes out(32);
    unsigned int size = 0;
    EVP_Digest(data.data(), data.size(), out.data(), &size, EVP_sha256(), nullptr);
    return out;
}

Bytes bytes_of(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

Bytes attribute_der(PKCS7_SIGNER_INFO* si, int nid) {
    ASN1_TYPE* value = PKCS7_get_signed_attribute(si, nid);
    if (value == nullptr)
        return {};
    return to_der(i2d_ASN1_TYPE, value);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tsa_responder)

BOOST_AUTO_TEST_CASE(a_granted_token_says_what_rfc_3161_and_the_policy_say) {
    TsaFixture f;
    f.clock->set(at_second_plus(120ms));
    const Bytes request = make_request({});
    const tsa::Reply reply = f.responder->respond(request, kRequester);
    const ParsedReply parsed = expect_granted(reply);
    TS_TST_INFO* info = parsed.info();

    BOOST_CHECK_EQUAL(TS_TST_INFO_get_version(info), 1);
    BOOST_CHECK_EQUAL(tsa::oid_text(TS_TST_INFO_get_policy_id(info)),
                      f.options.settings.policy_oid);
    // The messageImprint is echoed exactly: the same DER as in the request.
    const unsigned char* p = request.data();
    signet::TsReqPtr req(d2i_TS_REQ(nullptr, &p, static_cast<long>(request.size())));
    BOOST_CHECK(to_der(i2d_TS_MSG_IMPRINT, TS_TST_INFO_get_msg_imprint(info)) ==
                to_der(i2d_TS_MSG_IMPRINT, TS_REQ_get_msg_imprint(req.get())));
    // Serial: positive, at most 20 octets (RFC 3161: up to 160 bits), the one reported.
    const Bytes serial = tsa::integer_magnitude(TS_TST_INFO_get_serial(info));
    BOOST_CHECK(serial == reply.serial);
    BOOST_CHECK_LE(tsa::integer_content(TS_TST_INFO_get_serial(info)).size(), 20u);
    // genTime: precision 3, trailing zeros removed (.120 -> .12).
    BOOST_CHECK(gen_time_text(parsed).ends_with(".12Z"));
    // accuracy 1000 ms = 1 second; no ordering; the nonce echoed; the TSA's name.
    const TS_ACCURACY* accuracy = TS_TST_INFO_get_accuracy(info);
    BOOST_REQUIRE(accuracy != nullptr);
    BOOST_CHECK_EQUAL(ASN1_INTEGER_get(TS_ACCURACY_get_seconds(accuracy)), 1);
    BOOST_CHECK(TS_ACCURACY_get_millis(accuracy) == nullptr);
    BOOST_CHECK_EQUAL(TS_TST_INFO_get_ordering(info), 0);
    BOOST_REQUIRE(TS_TST_INFO_get_nonce(info) != nullptr);
    BOOST_CHECK_EQUAL(ASN1_INTEGER_cmp(TS_TST_INFO_get_nonce(info), TS_REQ_get_nonce(req.get())),
                      0);
    GENERAL_NAME* tsa_name = TS_TST_INFO_get_tsa(info);
    BOOST_REQUIRE(tsa_name != nullptr);
    BOOST_REQUIRE_EQUAL(tsa_name->type, GEN_DIRNAME);
    BOOST_CHECK_EQUAL(
        X509_NAME_cmp(tsa_name->d.directoryName, X509_get_subject_name(f.tsa_certificate.get())),
        0);
    BOOST_CHECK(TS_TST_INFO_get_exts(info) == nullptr);

    // SignedData: one SignerInfo; certReq -> the TSA certificate, then the issuing CA (the chain
    // by default: a verifier given only the root builds the path).
    PKCS7* token = parsed.token();
    BOOST_REQUIRE(PKCS7_type_is_signed(token));
    STACK_OF(PKCS7_SIGNER_INFO)* signers = PKCS7_get_signer_info(token);
    BOOST_REQUIRE_EQUAL(sk_PKCS7_SIGNER_INFO_num(signers), 1);
    BOOST_REQUIRE_EQUAL(sk_X509_num(token->d.sign->cert), 2);
    BOOST_CHECK_EQUAL(X509_cmp(sk_X509_value(token->d.sign->cert, 0), f.tsa_certificate.get()), 0);
    BOOST_CHECK_EQUAL(X509_cmp(sk_X509_value(token->d.sign->cert, 1), f.issuing.get()), 0);
    // RFC 5816: signing-certificate-v2 with ESSCertIDv2, SHA-256 (the default, so DER omits the
    // hashAlgorithm: the ESSCertIDv2 SEQUENCE starts with the certHash OCTET STRING); no v1.
    PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(signers, 0);
    const Bytes v2 = attribute_der(si, NID_id_smime_aa_signingCertificateV2);
    BOOST_REQUIRE(!v2.empty());
    Bytes cert_hash{0x04, 0x20};
    const Bytes hash = sha256(certificate_der(f.tsa_certificate.get()));
    cert_hash.insert(cert_hash.end(), hash.begin(), hash.end());
    const auto at = std::search(v2.begin(), v2.end(), cert_hash.begin(), cert_hash.end());
    BOOST_REQUIRE(at != v2.end());
    BOOST_REQUIRE(at - v2.begin() >= 2);
    BOOST_CHECK_EQUAL(*(at - 2), 0x30);  // ESSCertIDv2 ::= SEQUENCE { certHash, ... }
    BOOST_CHECK(attribute_der(si, NID_id_smime_aa_signingCertificate).empty());
    BOOST_CHECK(!attribute_der(si, NID_pkcs9_contentType).empty());

    // The token verifies with OpenSSL against the root alone.
    tsa::VerifyOptions verify;
    X509_up_ref(f.root.get());
    verify.trusted.emplace_back(f.root.get());
    verify.query = request;
    BOOST_CHECK_NO_THROW(tsa::verify_token(tsa::parse_token(reply.der), verify));
}

BOOST_AUTO_TEST_CASE(the_row_is_committed_with_what_the_token_says) {
    TsaFixture f;
    const Bytes request = make_request({.digest_nid = NID_sha384});
    const tsa::Reply reply =
        f.responder->respond(request, {std::string("frontend-1"), "192.0.2.7"});
    expect_granted(reply);
    const auto row = f.tokens->find(reply.serial);
    BOOST_REQUIRE(row.has_value());
    const tsa::TokenSummary summary = tsa::summarize(tsa::parse_token(reply.der));
    BOOST_CHECK(tsa::compare_with_record(summary, *row).empty());
    BOOST_CHECK_EQUAL(row->imprint_algorithm, "sha384");
    BOOST_CHECK_EQUAL(row->imprint.size(), 48u);
    BOOST_CHECK(row->nonce.has_value());
    BOOST_CHECK(row->cert_req);
    BOOST_CHECK_EQUAL(row->client.value_or(""), "frontend-1");
    BOOST_CHECK_EQUAL(row->remote, "192.0.2.7");
    BOOST_CHECK_EQUAL(row->node, "test:1");
    BOOST_CHECK(row->tsa_certificate_sha256 == sha256(certificate_der(f.tsa_certificate.get())));
    BOOST_CHECK_EQUAL(f.tokens->count(), 1);

    // Append-only, like the audit log: the database refuses to change or remove a token.
    for (const char* statement :
         {"UPDATE tsa_tokens SET remote = 'x'", "DELETE FROM tsa_tokens", "TRUNCATE tsa_tokens"}) {
        expect_error(
            [&] { f.database->with_connection([&](store::Connection& c) { c.exec(statement); }); },
            Errc::permission_denied, "append-only");
    }
    BOOST_CHECK_EQUAL(f.tokens->count(), 1);
}

BOOST_AUTO_TEST_CASE(nonce_and_certificates_follow_the_request) {
    TsaFixture f;
    for (int digest : {NID_sha256, NID_sha384, NID_sha512}) {
        for (bool cert_req : {false, true}) {
            for (bool nonce : {false, true}) {
                const tsa::Reply reply = f.responder->respond(
                    make_request({.digest_nid = digest, .nonce = nonce, .cert_req = cert_req}),
                    kRequester);
                const ParsedReply parsed = expect_granted(reply);
                BOOST_CHECK_EQUAL(TS_TST_INFO_get_nonce(parsed.info()) != nullptr, nonce);
                const STACK_OF(X509)* certs = parsed.token()->d.sign->cert;
                BOOST_CHECK_EQUAL(std::max(0, sk_X509_num(certs)), cert_req ? 2 : 0);
                const auto row = f.tokens->find(reply.serial);
                BOOST_REQUIRE(row);
                BOOST_CHECK_EQUAL(row->nonce.has_value(), nonce);
                BOOST_CHECK_EQUAL(row->cert_req, cert_req);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(the_chain_policy_and_the_tsa_name_are_settings) {
    policy::TsaSettings settings;
    settings.include_chain = false;
    settings.include_tsa_name = false;
    settings.accepted_policies = {"1.3.6.1.4.1.99999.1.2"};
    settings.accuracy = 250ms;
    settings.signing_digest = Digest::sha384;
    TsaFixture f({.settings = settings});
    const tsa::Reply reply =
        f.responder->respond(make_request({.policy = "1.3.6.1.4.1.99999.1.2"}), kRequester);
    const ParsedReply parsed = expect_granted(reply);
    BOOST_CHECK_EQUAL(tsa::oid_text(TS_TST_INFO_get_policy_id(parsed.info())),
                      "1.3.6.1.4.1.99999.1.2");
    BOOST_CHECK(TS_TST_INFO_get_tsa(parsed.info()) == nullptr);
    const TS_ACCURACY* accuracy = TS_TST_INFO_get_accuracy(parsed.info());
    BOOST_REQUIRE(accuracy);
    BOOST_CHECK(TS_ACCURACY_get_seconds(accuracy) == nullptr);
    BOOST_CHECK_EQUAL(ASN1_INTEGER_get(TS_ACCURACY_get_millis(accuracy)), 250);
    // certReq without include_chain: the TSA certificate alone, alone in signing-certificate-v2.
    const STACK_OF(X509)* certs = parsed.token()->d.sign->cert;
    BOOST_REQUIRE_EQUAL(sk_X509_num(certs), 1);
    BOOST_CHECK_EQUAL(X509_cmp(sk_X509_value(certs, 0), f.tsa_certificate.get()), 0);
    PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(parsed.token()), 0);
    BOOST_CHECK_EQUAL(OBJ_obj2nid(si->digest_alg->algorithm), NID_sha384);
    const Bytes tsa_hash = sha256(certificate_der(f.tsa_certificate.get()));
    const Bytes ca_hash = sha256(certificate_der(f.issuing.get()));
    const Bytes v1_only = attribute_der(si, NID_id_smime_aa_signingCertificateV2);
    BOOST_CHECK(std::search(v1_only.begin(), v1_only.end(), tsa_hash.begin(), tsa_hash.end()) !=
                v1_only.end());
    BOOST_CHECK(std::search(v1_only.begin(), v1_only.end(), ca_hash.begin(), ca_hash.end()) ==
                v1_only.end());

    // With the chain (the default): the TSA certificate first, then the issuing CA (no root),
    // both identified in signing-certificate-v2, the TSA's first.
    settings.include_chain = true;
    f.restart(settings);
    const ParsedReply chained = expect_granted(f.responder->respond(make_request({}), kRequester));
    BOOST_REQUIRE_EQUAL(sk_X509_num(chained.token()->d.sign->cert), 2);
    BOOST_CHECK_EQUAL(X509_cmp(sk_X509_value(chained.token()->d.sign->cert, 1), f.issuing.get()),
                      0);
    const Bytes v2 =
        attribute_der(sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(chained.token()), 0),
                      NID_id_smime_aa_signingCertificateV2);
    const auto tsa_at = std::search(v2.begin(), v2.end(), tsa_hash.begin(), tsa_hash.end());
    const auto ca_at = std::search(v2.begin(), v2.end(), ca_hash.begin(), ca_hash.end());
    BOOST_CHECK(tsa_at != v2.end() && ca_at != v2.end() && tsa_at < ca_at);

    // No reqPolicy: the default policy.
    const ParsedReply plain = expect_granted(f.responder->respond(make_request({}), kRequester));
    BOOST_CHECK_EQUAL(tsa::oid_text(TS_TST_INFO_get_policy_id(plain.info())), settings.policy_oid);
}

BOOST_AUTO_TEST_CASE(gen_time_has_the_policy_precision_and_no_trailing_zeros) {
    TsaFixture f({.start = false});
    struct Case {
        unsigned precision;
        std::chrono::microseconds fraction;
        const char* ending;
    };
    for (const Case c : {Case{0, 987654us, "Z"}, Case{1, 987654us, ".9Z"}, Case{3, 100000us, ".1Z"},
                         Case{3, 0us, "Z"}, Case{3, 7000us, ".007Z"}, Case{6, 123456us, ".123456Z"},
                         Case{6, 120000us, ".12Z"}}) {
        policy::TsaSettings settings;
        settings.precision = c.precision;
        f.restart(settings);
        const auto at = at_second_plus(c.fraction);
        f.clock->set(at);
        const tsa::Reply reply = f.responder->respond(make_request({}), kRequester);
        const ParsedReply parsed = expect_granted(reply);
        const std::string text = gen_time_text(parsed);
        BOOST_TEST_MESSAGE("precision " << c.precision << ": " << text);
        BOOST_CHECK_MESSAGE(text.size() >= 15 && text.substr(14) == c.ending,
                            text << " should end in " << c.ending);
        // The recorded genTime is the token's, cut (never rounded up).
        const auto row = f.tokens->find(reply.serial);
        BOOST_REQUIRE(row);
        BOOST_CHECK(row->gen_time <= at);
        BOOST_CHECK(tsa::summarize(tsa::parse_token(reply.der)).gen_time_utc == row->gen_time);
    }
}

BOOST_AUTO_TEST_CASE(each_failed_check_has_its_fail_info) {
    TsaFixture f;
    auto respond = [&](const Bytes& request) { return f.responder->respond(request, kRequester); };
    const Bytes good = make_request({});

    // Not DER, or not a TimeStampReq at all -> badDataFormat.
    expect_rejection(respond({}), Failure::bad_data_format, "empty");
    expect_rejection(respond(bytes_of("hello, world")), Failure::bad_data_format);
    Bytes trailing = good;
    trailing.push_back(0x00);
    expect_rejection(respond(trailing), Failure::bad_data_format, "after");
    Bytes truncated(good.begin(), good.end() - 1);
    expect_rejection(respond(truncated), Failure::bad_data_format);
    // BER, not DER: the outer length in long form although it fits the short form.
    Bytes long_form{0x30, 0x81, good[1]};
    long_form.insert(long_form.end(), good.begin() + 2, good.end());
    BOOST_REQUIRE(good[1] < 0x80);
    expect_rejection(respond(long_form), Failure::bad_data_format, "DER");
    // BER: an indefinite length with end-of-contents octets.
    Bytes indefinite{0x30, 0x80};
    indefinite.insert(indefinite.end(), good.begin() + 2, good.end());
    indefinite.insert(indefinite.end(), {0x00, 0x00});
    expect_rejection(respond(indefinite), Failure::bad_data_format);
    // A DEFAULT value encoded (certReq FALSE spelled out): BER, not DER (X.690 §11.5).
    {
        const Bytes no_cert = make_request({.cert_req = false});
        Bytes with_false(no_cert.begin() + 2, no_cert.end());
        with_false.insert(with_false.end(), {0x01, 0x01, 0x00});
        with_false.insert(with_false.begin(), {0x30, static_cast<std::uint8_t>(with_false.size())});
        expect_rejection(respond(with_false), Failure::bad_data_format, "DER");
    }
    // A digest of the wrong length for its algorithm.
    expect_rejection(respond(make_request({.imprint_size = 20})), Failure::bad_data_format,
                     "SHA256");
    expect_rejection(respond(make_request({.digest_nid = NID_sha512, .imprint_size = 32})),
                     Failure::bad_data_format);

    // version not 1 -> badRequest.
    expect_rejection(respond(make_request({.version = 2})), Failure::bad_request, "version");

    // Hash algorithms: SHA-1 and MD5 never, nor anything outside the policy -> badAlg.
    expect_rejection(respond(make_request({.digest_nid = NID_sha1})), Failure::bad_alg, "SHA1");
    expect_rejection(respond(make_request({.digest_nid = NID_md5})), Failure::bad_alg, "MD5");
    expect_rejection(respond(make_request({.digest_nid = NID_sha224})), Failure::bad_alg);
    expect_rejection(respond(make_request({.digest_nid = NID_sha3_256, .imprint_size = 32})),
                     Failure::bad_alg);
    expect_rejection(respond(make_request({.digest_nid = NID_rsaEncryption, .imprint_size = 32})),
                     Failure::bad_alg);
    // Parameters neither absent nor NULL -> badAlg; absent and NULL are both fine.
    expect_rejection(respond(make_request({.parameter_type = V_ASN1_INTEGER})), Failure::bad_alg,
                     "parameters");
    expect_granted(respond(make_request({.parameter_type = V_ASN1_UNDEF})));
    expect_granted(respond(make_request({.parameter_type = V_ASN1_NULL})));

    // reqPolicy not accepted -> unacceptedPolicy; the default policy asked for by name is fine.
    expect_rejection(respond(make_request({.policy = "1.2.3.4"})), Failure::unaccepted_policy,
                     "1.2.3.4");
    expect_granted(respond(make_request({.policy = f.options.settings.policy_oid})));

    // Any extension -> unacceptedExtension.
    expect_rejection(respond(make_request({.extension = true})), Failure::unaccepted_extension,
                     "1.3.6.1.4.1.99999.9.9");

    // A nonce beyond 64 octets -> badDataFormat (64 is fine).
    expect_granted(respond(make_request({.nonce_bytes = 64})));
    expect_rejection(respond(make_request({.nonce_bytes = 65})), Failure::bad_data_format, "nonce");

    // A policy that accepts SHA-512 only refuses SHA-256.
    policy::TsaSettings only512;
    only512.digests = {Digest::sha512};
    f.restart(only512);
    expect_rejection(respond(make_request({})), Failure::bad_alg, "sha512");
    expect_granted(respond(make_request({.digest_nid = NID_sha512})));

    // No rejected request left a row: the five granted ones only.
    BOOST_CHECK_EQUAL(f.tokens->count(), 5);
}

BOOST_AUTO_TEST_CASE(a_database_outage_gives_system_failure_and_no_token) {
    TsaFixture f;
    expect_granted(f.responder->respond(make_request({}), kRequester));
    auto& server = TestCluster::instance().server();
    server.stop();
    const tsa::Reply reply = f.responder->respond(make_request({}), kRequester);
    server.start();
    expect_rejection(reply, Failure::system_failure, "system failure");
    // The cause is for the operator (the log, Reply::reason), not the client.
    BOOST_TEST_MESSAGE("cause: " << reply.reason);
    BOOST_CHECK(reply.reason.find("database") != std::string::npos);
    BOOST_CHECK(reply.serial.empty());
    BOOST_CHECK_GE(f.journal->stats().failed_writes, 1u);
    // The pool recovers by itself once the server is back.
    tsa::Reply after;
    for (int i = 0; i < 50; ++i) {
        after = f.responder->respond(make_request({}), kRequester);
        if (!after.failure)
            break;
        std::this_thread::sleep_for(100ms);
    }
    expect_granted(after);
    BOOST_CHECK_EQUAL(f.tokens->count(), 2);
}

BOOST_AUTO_TEST_CASE(the_certificate_must_be_a_tsa_certificate_with_the_key) {
    TsaFixture f({.start = false});
    auto refuse = [&](X509Ptr certificate, const std::string& needle) {
        auto o = f.responder_options({});
        o.identity.certificate = std::move(certificate);
        expect_error([&] { tsa::Responder responder(std::move(o)); }, Errc::invalid_argument,
                     needle);
    };
    // The public half of the HSM key, as the certificate needs it.
    auto signer_key = [&] {
        EVP_PKEY_up_ref(f.signer->public_key());
        return EvpPkeyPtr(f.signer->public_key());
    };
    refuse(make_tsa_certificate(signer_key().get(), f.issuing.get(), f.issuing_key.get(),
                                {.eku_critical = false}),
           "time-stamping");
    refuse(make_tsa_certificate(signer_key().get(), f.issuing.get(), f.issuing_key.get(),
                                {.extra_eku = true}),
           "time-stamping");
    refuse(make_tsa_certificate(signer_key().get(), f.issuing.get(), f.issuing_key.get(),
                                {.no_eku = true}),
           "time-stamping");
    EvpPkeyPtr other(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    refuse(make_tsa_certificate(other.get(), f.issuing.get(), f.issuing_key.get()), "key");

    // A certificate not valid at genTime: systemFailure, nothing recorded.
    auto o = f.responder_options({});
    o.identity.certificate =
        make_tsa_certificate(signer_key().get(), f.issuing.get(), f.issuing_key.get(),
                             {.valid_from_days = -10, .valid_until_days = -1});
    tsa::Responder expired(std::move(o));
    const tsa::Reply reply = expired.respond(make_request({}), kRequester);
    expect_rejection(reply, Failure::system_failure);
    BOOST_CHECK(reply.reason.find("not valid") != std::string::npos);
    BOOST_CHECK_EQUAL(f.tokens->count(), 0);
}

BOOST_AUTO_TEST_CASE(rsa_keys_sign_tokens_too) {
    TsaFixture f({.key_type = KeyType::rsa_2048});
    const Bytes request = make_request({});
    const tsa::Reply reply = f.responder->respond(request, kRequester);
    expect_granted(reply);
    tsa::VerifyOptions verify;
    X509_up_ref(f.root.get());
    verify.trusted.emplace_back(f.root.get());
    X509_up_ref(f.issuing.get());
    verify.untrusted.emplace_back(f.issuing.get());
    verify.query = request;
    BOOST_CHECK_NO_THROW(tsa::verify_token(tsa::parse_token(reply.der), verify));
}

BOOST_AUTO_TEST_CASE(garbage_truncations_and_bit_flips_never_crash_it) {
    TsaFixture f;
    std::mt19937 random(20261122);
    std::size_t granted = 0;
    auto check = [&](const Bytes& input) {
        const tsa::Reply reply = f.responder->respond(input, kRequester);
        const ParsedReply parsed = parse_reply(reply.der);  // always one DER TimeStampResp
        BOOST_CHECK_EQUAL(parsed.has_token, !reply.failure.has_value());
        if (!reply.failure)
            ++granted;
        else
            BOOST_CHECK(*reply.failure != Failure::system_failure);
    };
    const Bytes good = make_request({.policy = f.options.settings.policy_oid});
    // Every truncation.
    for (std::size_t n = 0; n < good.size(); ++n)
        check(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)));
    // Random bytes of random sizes, some starting like a SEQUENCE.
    for (int i = 0; i < 300; ++i) {
        Bytes garbage(random() % 300);
        for (auto& b : garbage)
            b = static_cast<std::uint8_t>(random());
        if (i % 2 == 0 && garbage.size() > 2) {
            garbage[0] = 0x30;
            garbage[1] =
                static_cast<std::uint8_t>(garbage.size() - 2 < 128 ? garbage.size() - 2 : 0x81);
        }
        check(garbage);
    }
    // Every single-bit flip of a valid request.
    for (std::size_t byte = 0; byte < good.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            Bytes flipped = good;
            flipped[byte] ^= static_cast<std::uint8_t>(1 << bit);
            check(flipped);
        }
    }
    // Huge: refused before it is parsed.
    Bytes huge(4 * 1024 * 1024, 0x30);
    const tsa::Reply reply = f.responder->respond(huge, kRequester);
    expect_rejection(reply, Failure::bad_data_format, "larger");
    BOOST_TEST_MESSAGE(granted << " mutated requests were still valid and granted");
    // Every granted one has its row, and only those.
    BOOST_CHECK_EQUAL(f.tokens->count(), static_cast<std::int64_t>(granted));
}

BOOST_AUTO_TEST_CASE(rejections_are_der_with_the_named_bit) {
    // X.690 §11.2.2: no trailing zero bits in a named-bit list; the unused-bits count says how
    // many bits of the last octet are padding.
    const Bytes bad_alg = tsa::rejection_response({Failure::bad_alg, "x"});
    const Bytes expected_tail{0x03, 0x02, 0x07, 0x80};
    BOOST_CHECK(std::equal(expected_tail.rbegin(), expected_tail.rend(), bad_alg.rbegin()));
    const Bytes system = tsa::rejection_response({Failure::system_failure, "x"});
    const Bytes system_tail{0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40};
    BOOST_CHECK(std::equal(system_tail.rbegin(), system_tail.rend(), system.rbegin()));
    for (Failure failure :
         {Failure::bad_alg, Failure::bad_request, Failure::bad_data_format,
          Failure::time_not_available, Failure::unaccepted_policy, Failure::unaccepted_extension,
          Failure::add_info_not_available, Failure::system_failure}) {
        const ParsedReply parsed =
            parse_reply(tsa::rejection_response({failure, std::string(300, 'r')}));
        BOOST_CHECK_EQUAL(parsed.status, 2);
        BOOST_REQUIRE_EQUAL(parsed.failure_bits.size(), 1u);
        BOOST_CHECK_EQUAL(parsed.failure_bits[0], static_cast<int>(failure));
        BOOST_CHECK_EQUAL(parsed.status_text.size(), 256u);
    }
}

BOOST_AUTO_TEST_CASE(random_serials_are_positive_and_at_most_20_octets) {
    std::size_t draws = 0;
    tsa::RandomSerials serials(
        [&](std::size_t n) {
            ++draws;
            Bytes out(n);
            RAND_bytes(out.data(), static_cast<int>(n));
            return out;
        },
        16);
    std::set<Bytes> seen;
    for (int i = 0; i < 1000; ++i) {
        const Bytes serial = serials.next();
        BOOST_REQUIRE(!serial.empty());
        BOOST_CHECK_LE(serial.size(), 20u);
        BOOST_CHECK_NE(serial[0], 0);
        if (serial.size() == 20)
            BOOST_CHECK_LT(serial[0], 0x80);
        seen.insert(serial);
    }
    BOOST_CHECK_EQUAL(seen.size(), 1000u);
    BOOST_CHECK_EQUAL(draws, 1000u / 16 + 1);  // one draw per 16 serials
}

BOOST_AUTO_TEST_CASE(group_commit_batches_concurrent_callers) {
    TsaFixture f({.start = false});
    tsa::GroupCommitJournal journal(*f.database, *f.tokens, {.max_batch = 64, .writers = 1});
    constexpr int kThreads = 16, kEach = 50;
    std::vector<std::thread> threads;
    std::atomic<int> recorded{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                store::TsaTokenRecord r;
                r.serial = {static_cast<std::uint8_t>(t + 1), static_cast<std::uint8_t>(i), 0x5a};
                r.gen_time = Clock::time_point(std::chrono::floor<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch()));
                r.policy = "1.3.6.1.4.1.99999.1.1";
                r.imprint_algorithm = "sha256";
                r.imprint = Bytes(32, static_cast<std::uint8_t>(i));
                r.remote = "127.0.0.1";
                r.node = "test";
                r.tsa_certificate_sha256 = Bytes(32, 1);
                journal.record(r);
                ++recorded;
            }
        });
    }
    for (auto& t : threads)
        t.join();
    const auto stats = journal.stats();
    BOOST_TEST_MESSAGE("rows " << stats.writes << " in " << stats.batches << " batches, largest "
                               << stats.largest_batch);
    BOOST_CHECK_EQUAL(recorded.load(), kThreads * kEach);
    BOOST_CHECK_EQUAL(stats.writes, static_cast<std::uint64_t>(kThreads * kEach));
    BOOST_CHECK_LT(stats.batches, stats.writes);  // callers shared transactions
    BOOST_CHECK_LE(stats.largest_batch, 64u);
    BOOST_CHECK_EQUAL(f.tokens->count(), kThreads * kEach);

    // A serial already there: that caller learns it; the rest of its batch is unaffected.
    store::TsaTokenRecord again;
    again.serial = {0x01, 0x00, 0x5a};
    again.gen_time = Clock::time_point(std::chrono::floor<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch()));
    again.policy = "1.3.6.1.4.1.99999.1.1";
    again.imprint_algorithm = "sha256";
    again.imprint = Bytes(32, 0);
    again.remote = "127.0.0.1";
    again.node = "test";
    again.tsa_certificate_sha256 = Bytes(32, 1);
    expect_error([&] { journal.record(again); }, Errc::already_exists, "already recorded");
}

BOOST_AUTO_TEST_CASE(verify_reports_rejections_and_foreign_tokens) {
    TsaFixture f;
    const Bytes request = make_request({});
    const tsa::Reply reply = f.responder->respond(request, kRequester);
    expect_granted(reply);
    const tsa::ParsedToken parsed = tsa::parse_token(reply.der);
    BOOST_CHECK(parsed.from_response);
    // The bare token (the ContentInfo) parses as well.
    const Bytes token_der = to_der(i2d_PKCS7, parsed.token.get());
    BOOST_CHECK(!tsa::parse_token(token_der).from_response);

    // Another trust anchor: no.
    EvpPkeyPtr other_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    tsa::VerifyOptions wrong;
    wrong.trusted.push_back(make_ca_certificate("Other Root", other_key.get(), nullptr, nullptr));
    expect_error([&] { tsa::verify_token(parsed, wrong); }, Errc::failed_precondition,
                 "does not verify");
    // Another query (another imprint): no.
    tsa::VerifyOptions other_query;
    X509_up_ref(f.root.get());
    other_query.trusted.emplace_back(f.root.get());
    X509_up_ref(f.issuing.get());
    other_query.untrusted.emplace_back(f.issuing.get());
    other_query.query = make_request({});
    expect_error([&] { tsa::verify_token(parsed, other_query); }, Errc::failed_precondition,
                 "does not verify");
    // A rejection is not a token.
    expect_error(
        [&] {
            tsa::parse_token(f.responder->respond(make_request({.version = 3}), kRequester).der);
        },
        Errc::failed_precondition, "badRequest");
    expect_error([&] { tsa::parse_token(bytes_of("nonsense")); }, Errc::invalid_argument,
                 "neither");
}

BOOST_AUTO_TEST_SUITE_END()
