#include "tests/csc/csc_fixture.hpp"

#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "ra/totp.hpp"

namespace signet::testing {

using namespace std::chrono_literals;

namespace {

constexpr const char* kOtpHmac = "signet-otp";

store::Subject verified(ra::Registry& registry, const store::Subject& subject,
                        const std::string& number) {
    return registry.verify_manually(subject.id, {2, "seen at branch 12", number},
                                    "client:officer");
}

}  // namespace

CscFixture::CscFixture(const std::string& database_name, csc::Settings settings)
    : RegistryFixture(database_name),
      tsa(TsaFixtureOptions{.database = database_name + "_tsa", .token = tsa_token}) {
    // Persons' certificates for EC and RSA keys the HSM generates and keeps wrapped.
    ca_settings.profiles.at("personal").key_types = {KeyType::ec_p256, KeyType::rsa_2048};
    authority = std::make_unique<ca::Authority>(ca::Authority::Dependencies{
        token, database, certificates, subjects, audit, clock, ca_settings});

    alice = verified(*registry, registry->create_person(person("王芳", kWangFangId), "client:platform-a"),
                     kWangFangId);
    bob = verified(*registry, registry->create_person(person("张伟", kZhangWeiId), "client:platform-a"),
                   kZhangWeiId);
    carol = verified(*registry, registry->create_person(person("李雷", kLiLeiId), "client:platform-b"),
                     kLiLeiId);
    dave = verified(*registry, registry->create_person(person("陈静", kChenJingId), "operator:test"),
                    kChenJingId);
    const auto issue = [&](const store::Subject& s, KeyType type) {
        clock.advance(1s);  // each its own issued_at: credentials/list orders by it
        return authority->issue({s.id, "personal", std::nullopt, type, "operator:test"});
    };
    alice_ec = issue(alice, KeyType::ec_p256);
    alice_rsa = issue(alice, KeyType::rsa_2048);
    bob_ec = issue(bob, KeyType::ec_p256);
    carol_ec = issue(carol, KeyType::ec_p256);
    dave_ec = issue(dave, KeyType::ec_p256);
    alice_ec_id = id_of(alice_ec);
    alice_rsa_id = id_of(alice_rsa);
    bob_ec_id = id_of(bob_ec);
    carol_ec_id = id_of(carol_ec);
    dave_ec_id = id_of(dave_ec);

    // The tests send codes in quick succession: the sending limits are the OTP tests' concern.
    otp_policy.min_send_interval = 0s;
    otp_policy.max_sends_per_hour = 1000;
    otp_policy.max_failures = 3;
    token->generate_hmac_key(kOtpHmac);
    crypto = std::make_unique<ra::HsmOtpCrypto>(token, kOtpHmac, "user-kek");
    lockouts = std::make_unique<ra::OtpLockouts>(database, otp_store, audit, clock, otp_policy);
    challenges =
        std::make_unique<ra::OtpChallenges>(database, otp_store, *crypto, *lockouts, clock);
    totp = std::make_unique<ra::Totp>(database, otp_store, *crypto, *lockouts, audit, clock);
    totp->enrol(bob.id, "bob", "client:platform-a");

    service = csc::make_remote_signing(csc::RemoteSigningDependencies{
        .database = database,
        .token = *token,
        .certificates = certificates,
        .challenges = *challenges,
        .totp = *totp,
        .sms = [this](const std::string&, const std::string& message) {
            messages.push_back(message);
        },
        .tsa = *tsa.responder,
        .audit = hooked_audit,
        .clock = clock,
        .settings = settings,
    });
}

std::string CscFixture::id_of(const ca::Issued& issued) {
    std::string hex = to_hex(issued.record.serial);
    std::ranges::transform(hex, hex.begin(), [](char c) {
        return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    });
    return hex;
}

Bytes CscFixture::sha256(const std::string& text) {
    const Sha256Digest digest = sha256_of(text);
    return Bytes(digest.begin(), digest.end());
}

std::string CscFixture::sms_code(const csc::Caller& caller, const std::string& credential) {
    const std::size_t before = messages.size();
    service->send_challenge(caller, credential, "OTP");
    BOOST_REQUIRE_EQUAL(messages.size(), before + 1);
    const std::string& message = messages.back();
    const auto at = message.find("code ");
    BOOST_REQUIRE(at != std::string::npos);
    return message.substr(at + 5, 6);
}

std::string CscFixture::next_totp(std::int64_t subject) {
    clock.advance(30s);  // a TOTP code is accepted once per time step (RFC 6238 §5.2)
    const auto enrolment = database.with_connection(
        [&](store::Connection& c) { return otp_store.find_totp(c, subject); });
    BOOST_REQUIRE(enrolment.has_value());
    const Secret seed = crypto->unwrap_seed(enrolment->wrapped_seed);
    const auto unix_time =
        std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch());
    return ra::totp_code(std::string(seed.view()), unix_time.count(), 30s, 6);
}

csc::AuthorizeRequest CscFixture::by_sms(const csc::Caller& caller, const std::string& credential,
                                         std::vector<Bytes> hashes, int num_signatures) {
    csc::AuthorizeRequest r;
    r.credential_id = credential;
    r.num_signatures = num_signatures;
    r.hash_algorithm = Digest::sha256;
    r.hashes = std::move(hashes);
    r.auth_object = "OTP";
    r.code = sms_code(caller, credential);
    return r;
}

csc::Activation CscFixture::authorize(const csc::Caller& caller, const std::string& credential,
                                      std::vector<Bytes> hashes, int num_signatures) {
    return service->authorize(caller, by_sms(caller, credential, std::move(hashes), num_signatures));
}

csc::SignHashRequest CscFixture::sign_request(const std::string& credential,
                                              const std::string& sad, std::vector<Bytes> hashes,
                                              hsm::Padding padding) const {
    return csc::SignHashRequest{credential, sad, Digest::sha256, padding, std::move(hashes)};
}

bool CscFixture::verifies(const ca::Issued& issued, Digest digest, hsm::Padding padding,
                          const Bytes& signature, const Bytes& hash) {
    const unsigned char* p = issued.record.der->data();
    const X509Ptr certificate(d2i_X509(nullptr, &p, static_cast<long>(issued.record.der->size())));
    BOOST_REQUIRE(certificate);
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, X509_get0_pubkey(certificate.get()),
                                                 "provider=default"));
    BOOST_REQUIRE(ctx);
    BOOST_REQUIRE_EQUAL(EVP_PKEY_verify_init(ctx.get()), 1);
    const EVP_MD* md = EVP_get_digestbyname(std::string(to_string(digest)).c_str());
    BOOST_REQUIRE_EQUAL(EVP_PKEY_CTX_set_signature_md(ctx.get(), md), 1);
    if (padding == hsm::Padding::pss) {
        BOOST_REQUIRE_EQUAL(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING), 1);
        BOOST_REQUIRE_EQUAL(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST), 1);
    } else if (padding == hsm::Padding::pkcs1) {
        BOOST_REQUIRE_EQUAL(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING), 1);
    }
    const int ok =
        EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), hash.data(), hash.size());
    clear_openssl_errors();
    return ok == 1;
}

std::vector<audit::RecordedEvent> CscFixture::drained_events() {
    audit.drain();
    return events();
}

std::vector<audit::RecordedEvent> CscFixture::events_of_type(const std::string& type) {
    std::vector<audit::RecordedEvent> out;
    for (auto& e : drained_events())
        if (e.event.type == type)
            out.push_back(std::move(e));
    return out;
}

std::string CscFixture::csc_tables() {
    return database.with_connection([](store::Connection& c) {
        std::string all;
        for (const char* table :
             {"csc_tokens", "csc_transactions", "csc_sads", "csc_challenges", "audit_outbox"}) {
            const auto rows =
                c.exec(std::string("SELECT row_to_json(t)::text FROM ") + table + " t ORDER BY 1");
            for (std::size_t i = 0; i < rows.size(); ++i)
                all += std::string(rows[i][0].text()) + "\n";
        }
        return all;
    });
}

}  // namespace signet::testing
