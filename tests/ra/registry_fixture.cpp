#include "tests/ra/registry_fixture.hpp"

#include "ca/ceremony.hpp"
#include "ra/hsm_keys.hpp"
#include "tests/ca/small_ca.hpp"

namespace signet::testing {

namespace {

using namespace std::chrono_literals;

constexpr const char* kHmacLabel = "signet-identity";

ra::AssuranceRequirement level(const char* name, std::vector<std::string> methods,
                               std::optional<double> face, std::optional<double> liveness) {
    return ra::AssuranceRequirement{name, std::move(methods), face, liveness};
}

ra::EvidencePolicy evidence_policy() {
    ra::EvidencePolicy p;
    p.providers = {{kProvider, kProviderKeyId, provider_key().public_pem}};
    p.max_age = 600s;
    p.clock_skew = 60s;
    p.audience = "signet-tests";
    p.levels = {level("1", {"id_registry"}, {}, {}),
                level("2", {"id_registry", "face_match", "liveness"}, 0.80, 0.80),
                level("3", {"id_registry", "face_match", "liveness"}, 0.90, 0.90)};
    return p;
}

// The CA's personal profile, with the masked number in the DN and level 2 required.
policy::CertificateProfile registry_profile() {
    policy::CertificateProfile p = personal_profile();
    p.subject_template = "CN={name},serialNumber={id_masked},C={country}";
    p.required_assurance = 2;
    return p;
}

}  // namespace

const ra::testing::TestKey& provider_key() {
    static const ra::testing::TestKey key = ra::testing::make_ec_key();
    return key;
}

std::vector<std::string> numbers_used() {
    return {kWangFangId, kLiLeiId,     kZhangWeiId, kChenJingId,
            kHuaweiUscc, kTencentUscc, kPassport,   kOtherPassport};
}

RegistryFixture::RegistryFixture(const std::string& database_name,
                                 const std::function<void(policy::Ceremony&)>& adjust_ceremony)
    : token(SoftHsm::instance().open_new_token("ra")),
      database({.dsn = TestCluster::instance().migrated_database(database_name), .pool_size = 4}),
      // Whole seconds: the CA's certificates and the statements' iat count in seconds.
      clock(std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now())) {
    token->generate_hmac_key(kHmacLabel);
    token->generate_kek("user-kek");
    policy::Ceremony ceremony = small_ceremony(dir.path());
    if (adjust_ceremony)
        adjust_ceremony(ceremony);
    ca::run_ceremony(ceremony, {}, *token, database, certificates, audit, clock, "operator:test");
    ca_settings.profiles.emplace("personal", registry_profile());
    authority = std::make_unique<ca::Authority>(ca::Authority::Dependencies{
        token, database, certificates, subjects, audit, clock, ca_settings});
    registry = std::make_unique<ra::Registry>(ra::RegistryDependencies{
        .database = database,
        .audit = audit,
        .clock = clock,
        .document_hmac = ra::document_hmac_function(token, kHmacLabel),
        .evidence_policy = evidence_policy(),
        .profile_level = [this](const std::string& profile) -> std::optional<unsigned> {
            const auto it = ca_settings.profiles.find(profile);
            if (it == ca_settings.profiles.end())
                return std::nullopt;
            return it->second.required_assurance;
        },
        .max_assurance_level = 3,
        .revoke_certificates =
            [this](std::int64_t subject, bool superseded, const std::string& actor) {
                revocations.emplace_back(subject, superseded);
                return authority->revoke_subject(subject,
                                                 superseded
                                                     ? ca::RevocationReason::superseded
                                                     : ca::RevocationReason::cessation_of_operation,
                                                 actor);
            },
    });
}

RegistryFixture::~RegistryFixture() = default;

ra::PersonInput RegistryFixture::person(const std::string& name, const std::string& number,
                                        const std::string& kind, const std::string& country) const {
    return ra::PersonInput{name, {kind, number, country}, "+8613800138000", std::nullopt, ""};
}

store::Subject RegistryFixture::add_person(const std::string& name, const std::string& number,
                                           const std::string& kind, const std::string& country) {
    return registry->create_person(person(name, number, kind, country), "client:test");
}

store::Subject RegistryFixture::add_verified_person(const std::string& name,
                                                    const std::string& number, unsigned level) {
    const auto subject = add_person(name, number);
    return registry->verify_manually(subject.id, {level, "seen at branch 12", number},
                                     "client:officer");
}

store::Subject RegistryFixture::add_organization(const std::string& name,
                                                 const std::string& credit_code,
                                                 std::int64_t legal_representative_id) {
    return registry->create_organization({name, credit_code, legal_representative_id},
                                         "client:test");
}

nlohmann::json RegistryFixture::claims(const std::string& name, const std::string& number,
                                       const std::string& jti, ra::DocumentKind kind,
                                       const std::string& country) const {
    const auto iat =
        std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count() -
        5;
    return {{"iss", kProvider},
            {"jti", jti},
            {"iat", iat},
            {"aud", "signet-tests"},
            {"subject_binding", ra::subject_binding_hash(name, kind, country, number)},
            {"document_kind", std::string(ra::to_string(kind))},
            {"method", {"id_registry", "face_match", "liveness"}},
            {"face_match_score", 0.97},
            {"liveness_score", 0.95}};
}

std::string RegistryFixture::statement(const nlohmann::json& claims,
                                       const std::string& header) const {
    return ra::testing::sign_jws(header, claims.dump(), provider_key().key.get());
}

ca::Issued RegistryFixture::issue(std::int64_t subject_id) {
    return authority->issue(
        {subject_id, "personal", std::nullopt, KeyType::ec_p256, "client:test"});
}

std::int64_t RegistryFixture::count(const std::string& sql) {
    return database.with_connection(
        [&](store::Connection& c) { return c.exec(sql).one()[0].int64(); });
}

std::string RegistryFixture::ra_tables() {
    return database.with_connection([](store::Connection& c) {
        std::string all;
        for (const char* table : {"subjects", "identity_evidence", "evidence_replay",
                                  "organization_agents", "audit_events"}) {
            const auto rows =
                c.exec(std::string("SELECT row_to_json(t)::text FROM ") + table + " t ORDER BY 1");
            for (std::size_t i = 0; i < rows.size(); ++i)
                all += std::string(rows[i][0].text()) + "\n";
        }
        return all;
    });
}

}  // namespace signet::testing
