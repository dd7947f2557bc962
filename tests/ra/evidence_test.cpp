#include "ra/evidence.hpp"

#include <openssl/evp.h>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "common/bytes.hpp"
#include "tests/ra/evidence_kit.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::ra;
using namespace signet::ra::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* kEcIssuer = "https://idv.example/ec";
constexpr const char* kRsaIssuer = "https://idv.example/rsa";
constexpr const char* kBinding = "3b9f0c2a7d5e41f68c0b2e9a1d4c7f3e5a6b8d0c2e4f6a8b0c2d4e6f8a0b2c4d";
const Clock::time_point kNow = *from_unix_seconds(1'800'000'000);

// One pair of provider keys for the whole suite (RSA key generation is slow).
const TestKey& ec_key() {
    static const TestKey key = make_ec_key();
    return key;
}
const TestKey& rsa_key() {
    static const TestKey key = make_rsa_key();
    return key;
}

AssuranceRequirement level(const char* name, std::vector<std::string> methods,
                           std::optional<double> face, std::optional<double> liveness) {
    return AssuranceRequirement{name, std::move(methods), face, liveness};
}

struct Fixture {
    ManualClock clock{kNow};
    InMemoryEvidenceReplayGuard guard{clock};
    std::vector<AssuranceRequirement> levels{
        level("low", {"id_registry"}, {}, {}),
        level("substantial", {"id_registry", "face_match", "liveness"}, 0.85, 0.90),
        level("high", {"id_registry", "face_match", "liveness"}, 0.95, 0.95),
    };
    EvidenceVerifier verifier{policy(), clock, guard};

    EvidencePolicy policy() const {
        EvidencePolicy p;
        p.providers = {{kEcIssuer, "ec-1", ec_key().public_pem},
                       {kRsaIssuer, "rsa-1", rsa_key().public_pem}};
        p.max_age = 600s;
        p.clock_skew = 60s;
        p.levels = levels;
        p.audience = "https://signet.example";
        return p;
    }

    static json claims(const char* issuer = kEcIssuer) {
        return json{{"iss", issuer},
                    {"jti", "stmt-0001"},
                    {"iat", 1'800'000'000 - 30},
                    {"subject_binding", kBinding},
                    {"document_kind", "resident_id"},
                    {"method", {"id_registry", "face_match", "liveness"}},
                    {"face_match_score", 0.93},
                    {"liveness_score", 0.97}};
    }
    static std::string header(const char* alg = "ES256", const char* kid = "ec-1") {
        json h{{"alg", alg}, {"typ", "JWT"}};
        if (kid != nullptr)
            h["kid"] = kid;
        return h.dump();
    }
    static std::string es256(const json& c = claims()) {
        return sign_jws(header(), c.dump(), ec_key().key.get());
    }

    EvidenceRequest request(std::string_view token) const {
        return EvidenceRequest{token, kBinding, "resident_id", levels[1]};
    }
    void expect_refused(std::string_view token, EvidenceRefusal want) {
        expect_refused(request(token), want);
    }
    void expect_refused(const EvidenceRequest& r, EvidenceRefusal want) {
        try {
            (void)verifier.verify(r);
            BOOST_ERROR("accepted; expected " << to_string(want));
        } catch (const EvidenceError& e) {
            BOOST_TEST_MESSAGE("refused as expected: " << e.what());
            BOOST_CHECK_EQUAL(to_string(e.refusal()), to_string(want));
            BOOST_CHECK_EQUAL(to_string(e.code()), to_string(errc_of(want)));
            // Never an echo of the subject's binding, whatever the reason.
            BOOST_CHECK(std::string(e.what()).find(kBinding) == std::string::npos);
        }
        BOOST_CHECK_EQUAL(guard.size(), 0u);
    }
};

std::string sha256(std::string_view text) {
    unsigned char digest[32];
    unsigned int size = 0;
    BOOST_REQUIRE(EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) == 1);
    return to_hex(ByteView(digest, size));
}

// The token's three parts.
std::vector<std::string> parts(const std::string& token) {
    const auto a = token.find('.'), b = token.find('.', a + 1);
    return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(ra_evidence, Fixture)

BOOST_AUTO_TEST_CASE(accepts_es256_and_records_only_the_minimum) {
    const std::string token = es256();
    const EvidenceRecord record = verifier.verify(request(token));
    BOOST_CHECK_EQUAL(record.issuer, kEcIssuer);
    BOOST_CHECK_EQUAL(record.jti, "stmt-0001");
    BOOST_CHECK_EQUAL(record.key_id, "ec-1");
    BOOST_CHECK_EQUAL(record.algorithm, "ES256");
    BOOST_CHECK(record.issued_at == kNow - 30s);
    BOOST_CHECK((record.methods == std::vector<std::string>{"id_registry", "face_match", "liveness"}));
    BOOST_CHECK_EQUAL(record.face_match_score.value_or(-1), 0.93);
    BOOST_CHECK_EQUAL(record.liveness_score.value_or(-1), 0.97);
    BOOST_CHECK_EQUAL(record.assurance_level, "substantial");  // 0.93 < high's 0.95
    BOOST_CHECK_EQUAL(to_hex(record.statement_sha256), sha256(token));
    BOOST_CHECK_EQUAL(guard.size(), 1u);
}

BOOST_AUTO_TEST_CASE(accepts_rs256_and_es256_made_by_libjwt) {
    const std::string rs = sign_with_libjwt(claims(kRsaIssuer).dump(), "RS256", rsa_key().private_pem, "rsa-1");
    EvidenceRecord record = verifier.verify(request(rs));
    BOOST_CHECK_EQUAL(record.issuer, kRsaIssuer);
    BOOST_CHECK_EQUAL(record.algorithm, "RS256");
    json c = claims();
    c["jti"] = "stmt-0002";
    c["face_match_score"] = 0.99;
    const std::string es = sign_with_libjwt(c.dump(), "ES256", ec_key().private_pem, nullptr);
    record = verifier.verify(request(es));
    BOOST_CHECK_EQUAL(record.algorithm, "ES256");
    BOOST_CHECK_EQUAL(record.key_id, "");
    BOOST_CHECK_EQUAL(record.assurance_level, "high");
    BOOST_CHECK_EQUAL(guard.size(), 2u);
}

BOOST_AUTO_TEST_CASE(refuses_a_changed_payload_byte) {
    auto p = parts(es256());
    std::string payload = claims().dump();
    payload[payload.find("0.93") + 3] = '9';  // face_match_score 0.93 -> 0.99
    expect_refused(p[0] + "." + base64url(payload) + "." + p[2], EvidenceRefusal::bad_signature);
}

BOOST_AUTO_TEST_CASE(refuses_a_changed_signature_byte) {
    for (const std::string& token :
         {es256(), sign_jws(header("RS256", "rsa-1"), claims(kRsaIssuer).dump(), rsa_key().key.get())}) {
        auto p = parts(token);
        p[2][p[2].size() / 2] = p[2][p[2].size() / 2] == 'A' ? 'B' : 'A';
        expect_refused(p[0] + "." + p[1] + "." + p[2], EvidenceRefusal::bad_signature);
    }
}

BOOST_AUTO_TEST_CASE(refuses_a_statement_older_than_the_window) {
    json c = claims();
    c["iat"] = 1'800'000'000 - 601;
    expect_refused(es256(c), EvidenceRefusal::stale);
    c["iat"] = 1'800'000'000 - 600;  // the window's edge is still inside
    BOOST_CHECK_NO_THROW(verifier.verify(request(es256(c))));
}

BOOST_AUTO_TEST_CASE(refuses_a_future_dated_statement) {
    json c = claims();
    c["iat"] = 1'800'000'000 + 61;
    expect_refused(es256(c), EvidenceRefusal::not_yet_valid);
    c["iat"] = 1'800'000'000 - 1;
    c["nbf"] = 1'800'000'000 + 61;
    expect_refused(es256(c), EvidenceRefusal::not_yet_valid);
    c.erase("nbf");
    c["iat"] = 1'800'000'000 + 60;  // within the skew
    BOOST_CHECK_NO_THROW(verifier.verify(request(es256(c))));
}

BOOST_AUTO_TEST_CASE(refuses_a_passed_exp) {
    json c = claims();
    c["exp"] = 1'800'000'000 - 60;
    expect_refused(es256(c), EvidenceRefusal::expired);
}

BOOST_AUTO_TEST_CASE(refuses_a_replay_and_a_refused_statement_consumes_nothing) {
    // Refused for another reason first: its jti must stay unused.
    expect_refused(EvidenceRequest{es256(), "another-subject", "resident_id", levels[1]},
                   EvidenceRefusal::wrong_subject);
    const std::string token = es256();
    BOOST_CHECK_NO_THROW(verifier.verify(request(token)));
    try {
        (void)verifier.verify(request(token));
        BOOST_ERROR("a replay was accepted");
    } catch (const EvidenceError& e) {
        BOOST_CHECK_EQUAL(to_string(e.refusal()), "evidence_replayed");
        BOOST_CHECK(e.code() == Errc::already_exists);
    }
    // The same jti from another provider is another statement.
    BOOST_CHECK_NO_THROW(verifier.verify(request(
        sign_jws(header("RS256", "rsa-1"), claims(kRsaIssuer).dump(), rsa_key().key.get()))));
    // Once the statement could no longer be accepted anyway, the guard forgets it.
    clock.advance(601s);
    json c = claims();
    c["iat"] = 1'800'000'000 + 601 - 10;
    BOOST_CHECK_NO_THROW(verifier.verify(request(es256(c))));
    BOOST_CHECK_EQUAL(guard.size(), 1u);
}

BOOST_AUTO_TEST_CASE(refuses_an_audience_other_than_ours) {
    json c = claims();
    c["aud"] = "https://other-ra.example";
    expect_refused(es256(c), EvidenceRefusal::wrong_audience);
    c["aud"] = json::array();
    expect_refused(es256(c), EvidenceRefusal::wrong_audience);
    c["aud"] = {"https://other-ra.example", "https://signet.example"};
    BOOST_CHECK_NO_THROW(verifier.verify(request(es256(c))));
}

BOOST_AUTO_TEST_CASE(refuses_a_statement_about_another_subject) {
    expect_refused(EvidenceRequest{es256(), std::string(kBinding).replace(0, 1, "4"), {}, levels[1]},
                   EvidenceRefusal::wrong_subject);
    expect_refused(EvidenceRequest{es256(), kBinding, "passport", levels[1]},
                   EvidenceRefusal::wrong_subject);
    json c = claims();
    c.erase("subject_binding");
    expect_refused(es256(c), EvidenceRefusal::missing_claim);
}

BOOST_AUTO_TEST_CASE(refuses_alg_none_with_and_without_a_signature) {
    const std::string none = base64url(R"({"alg":"none","typ":"JWT"})") + "." + base64url(claims().dump());
    expect_refused(none + ".", EvidenceRefusal::algorithm_not_allowed);
    expect_refused(none + "." + parts(es256())[2], EvidenceRefusal::algorithm_not_allowed);
    // RFC 7515 §4.1.1: "alg" is case-sensitive (libjwt 1.10 would take these).
    for (const char* alg : {"None", "es256"})
        expect_refused(sign_jws(header(alg), claims().dump(), ec_key().key.get()),
                       EvidenceRefusal::algorithm_not_allowed);
}

BOOST_AUTO_TEST_CASE(refuses_hs256_made_with_the_providers_public_key) {
    const std::string& secret = rsa_key().public_pem;
    const std::string token = sign_hs256(header("HS256", "rsa-1"), claims(kRsaIssuer).dump(), secret);
    // The attack is real: handed the provider's PEM, libjwt 1.10 alone verifies this token.
    jwt_t* raw = nullptr;
    BOOST_CHECK_EQUAL(jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(secret.data()),
                                 static_cast<int>(secret.size())),
                      0);
    JwtPtr owned(raw);
    expect_refused(token, EvidenceRefusal::algorithm_not_allowed);
}

// What ra/evidence.cpp's comment on the order of verify() says of libjwt 1.10, pinned so that
// an upgrade that changes it is noticed.
BOOST_AUTO_TEST_CASE(libjwt_behaviour_the_verifier_relies_on) {
    // jwt_decode with no key takes a signed token without checking its signature, and then
    // reports alg NONE: its unverified read cannot be mistaken for a verified one only if the
    // caller never forgets to check jwt_get_alg.
    jwt_t* raw = nullptr;
    BOOST_REQUIRE_EQUAL(jwt_decode(&raw, es256().c_str(), nullptr, 0), 0);
    JwtPtr unverified(raw);
    BOOST_CHECK_EQUAL(jwt_get_alg(unverified.get()), JWT_ALG_NONE);
    BOOST_CHECK_EQUAL(std::string(jwt_get_header(unverified.get(), "alg")), "ES256");
    // Its base64url decoder stops at the first character outside the alphabet: a header with
    // trailing garbage still decodes.
    const auto p = parts(es256());
    BOOST_REQUIRE_EQUAL(jwt_decode(&raw, (p[0] + "!!." + p[1] + "." + p[2]).c_str(), nullptr, 0), 0);
    JwtPtr lenient(raw);
    // Its alg names are case-insensitive, unlike RFC 7515 §4.1.1.
    BOOST_CHECK_EQUAL(jwt_str_alg("es256"), JWT_ALG_ES256);
    BOOST_CHECK_EQUAL(jwt_str_alg("NONE"), JWT_ALG_NONE);
}

BOOST_AUTO_TEST_CASE(refuses_rs256_for_an_ec_provider) {
    expect_refused(sign_jws(header("RS256", "ec-1"), claims().dump(), rsa_key().key.get()),
                   EvidenceRefusal::algorithm_not_allowed);
    expect_refused(sign_jws(header("ES256", "rsa-1"), claims(kRsaIssuer).dump(), ec_key().key.get()),
                   EvidenceRefusal::algorithm_not_allowed);
}

BOOST_AUTO_TEST_CASE(refuses_an_unknown_issuer) {
    expect_refused(es256(claims("https://evil.example")), EvidenceRefusal::unknown_issuer);
    json c = claims();
    c.erase("iss");
    expect_refused(es256(c), EvidenceRefusal::missing_claim);
}

BOOST_AUTO_TEST_CASE(refuses_an_unknown_kid) {
    expect_refused(sign_jws(header("ES256", "ec-2"), claims().dump(), ec_key().key.get()),
                   EvidenceRefusal::unknown_key_id);
}

BOOST_AUTO_TEST_CASE(refuses_a_statement_too_weak_for_the_level) {
    json c = claims();
    c["method"] = {"id_registry", "face_match"};
    expect_refused(es256(c), EvidenceRefusal::too_weak);
    c = claims();
    c["face_match_score"] = 0.84;
    expect_refused(es256(c), EvidenceRefusal::too_weak);
    c = claims();
    c.erase("liveness_score");
    expect_refused(es256(c), EvidenceRefusal::too_weak);
    c = claims();
    c["liveness_score"] = 1.5;
    expect_refused(es256(c), EvidenceRefusal::malformed);
}

BOOST_AUTO_TEST_CASE(refuses_a_crit_header) {
    const std::string h = R"({"alg":"ES256","kid":"ec-1","crit":["exp"]})";
    expect_refused(sign_jws(h, claims().dump(), ec_key().key.get()), EvidenceRefusal::critical_header);
}

BOOST_AUTO_TEST_CASE(refuses_an_oversized_token_before_parsing) {
    json c = claims();
    c["padding"] = std::string(16 * 1024, 'x');
    expect_refused(es256(c), EvidenceRefusal::oversized);
    expect_refused(std::string(16 * 1024 + 1, '.'), EvidenceRefusal::oversized);
}

BOOST_AUTO_TEST_CASE(refuses_garbage) {
    const auto p = parts(es256());
    for (const std::string& token : {
             std::string(),
             p[0] + "." + p[1],                                  // two parts
             p[0] + "." + p[1] + "." + p[2] + "." + p[2],        // four parts
             p[0] + "." + p[1] + "+." + p[2],                    // not the URL-safe alphabet
             p[0] + "=." + p[1] + "." + p[2],                    // padding
             p[0] + "." + p[1] + "." + p[2] + "\n",              // whitespace
             p[0] + "\0." + p[1] + "." + p[2],                   // NUL
             base64url("not json") + "." + p[1] + "." + p[2],    // header not JSON
             base64url("[\"ES256\"]") + "." + p[1] + "." + p[2], // header not an object
             p[0] + "." + base64url("{\"iss\":") + "." + p[2],   // payload not JSON
         })
        expect_refused(token, EvidenceRefusal::malformed);
    // Non-canonical base64url: the last character of the 64-byte ES256 signature carries 2
    // unused bits; another spelling of the same bytes is refused, not verified.
    std::string sig = p[2];
    sig.back() = static_cast<char>(sig.back() + 1);
    expect_refused(p[0] + "." + p[1] + "." + sig, EvidenceRefusal::malformed);
}

BOOST_AUTO_TEST_CASE(refuses_missing_or_mistyped_claims) {
    for (const char* name : {"jti", "iat", "method"}) {
        json c = claims();
        c.erase(name);
        expect_refused(es256(c), EvidenceRefusal::missing_claim);
    }
    json c = claims();
    c["iat"] = "yesterday";
    expect_refused(es256(c), EvidenceRefusal::malformed);
    c = claims();
    c["method"] = {"id_registry", "id_registry"};
    expect_refused(es256(c), EvidenceRefusal::malformed);
    c = claims();
    c["jti"] = "";
    expect_refused(es256(c), EvidenceRefusal::malformed);
}

BOOST_AUTO_TEST_CASE(provider_keys_are_checked_at_construction) {
    auto with_key = [&](const std::string& pem) {
        EvidencePolicy p = policy();
        p.providers.push_back({"https://third.example", "k", pem});
        return [this, p] { EvidenceVerifier v(p, clock, guard); };
    };
    using signet::testing::expect_error;
    expect_error(with_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
                 Errc::invalid_argument, "provider #3 ('https://third.example'): 'public_key_pem'");
    expect_error(with_key(make_ec_key("P-384").public_pem), Errc::invalid_argument, "not on P-256");
    expect_error(with_key(make_rsa_key(1024).public_pem), Errc::invalid_argument, "under 2048 bits");
    expect_error(with_key(ec_key().private_pem), Errc::invalid_argument, "not a PEM public key");
    EvidencePolicy p = policy();
    p.providers.push_back({kEcIssuer, "ec-1", ec_key().public_pem});
    expect_error([&] { EvidenceVerifier v(p, clock, guard); }, Errc::invalid_argument,
                 "same issuer");
}

BOOST_AUTO_TEST_SUITE_END()
