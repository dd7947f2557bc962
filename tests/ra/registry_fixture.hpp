#pragma once

// The registry on real parts: a SoftHSM token (the HMAC key hashing documents, the CA keys), a
// real PostgreSQL database of the shared test cluster, the real audit log and a real
// ca::Authority behind revoke_certificates. Provider statements are signed by a test key
// (tests/ra/evidence_kit.hpp).
#include <boost/test/unit_test.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "audit/log.hpp"
#include "ca/authority.hpp"
#include "policy/ceremony.hpp"
#include "ra/identity_numbers.hpp"
#include "ra/registry.hpp"
#include "store/certificates.hpp"
#include "store/subjects.hpp"
#include "tests/ra/evidence_kit.hpp"
#include "tests/store/test_cluster.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/softhsm.hpp"

namespace signet::testing {

inline constexpr const char* kProvider = "https://idv.example/registry-tests";
inline constexpr const char* kProviderKeyId = "idv-1";

// Valid numbers the suite uses (the privacy test looks for every one of them in every table).
// GB 11643's published example and numbers made with its check character, two published credit
// codes (GB 32100) and passports.
inline constexpr const char* kWangFangId = "11010519491231002X";
inline constexpr const char* kLiLeiId = "440308199001011239";
inline constexpr const char* kZhangWeiId = "310104198507204417";
inline constexpr const char* kChenJingId = "320102197803155626";
inline constexpr const char* kHuaweiUscc = "914403001922038216";
inline constexpr const char* kTencentUscc = "9144030071526726XG";
inline constexpr const char* kPassport = "E12345678";
inline constexpr const char* kOtherPassport = "K98765432";
std::vector<std::string> numbers_used();

struct RegistryFixture {
    // `adjust_ceremony` may add to the small ceremony (tests/ca/small_ca.hpp) before it runs
    // (the evidence tests add the evidence seal).
    explicit RegistryFixture(
        const std::string& database_name,
        const std::function<void(policy::Ceremony&)>& adjust_ceremony = {});
    ~RegistryFixture();

    ra::PersonInput person(const std::string& name, const std::string& number,
                           const std::string& kind = "cn_resident_id",
                           const std::string& country = "") const;
    store::Subject add_person(const std::string& name, const std::string& number,
                              const std::string& kind = "cn_resident_id",
                              const std::string& country = "");
    // A person at `level` through an officer's verification.
    store::Subject add_verified_person(const std::string& name, const std::string& number,
                                       unsigned level = 2);
    store::Subject add_organization(const std::string& name, const std::string& credit_code,
                                    std::int64_t legal_representative_id);

    // The claims of a statement that meets level 3, bound to (name, kind, country, number),
    // issued now.
    nlohmann::json claims(const std::string& name, const std::string& number,
                          const std::string& jti = "stmt-1",
                          ra::DocumentKind kind = ra::DocumentKind::cn_resident_id,
                          const std::string& country = "CN") const;
    // Signed by the provider's key (ES256) unless another header or key is given.
    std::string statement(const nlohmann::json& claims,
                          const std::string& header = R"({"alg":"ES256","kid":"idv-1"})") const;

    ca::Issued issue(std::int64_t subject_id);
    std::int64_t count(const std::string& sql);
    // The rows of every table that an RA operation writes, as one text.
    std::string ra_tables();
    std::vector<audit::RecordedEvent> events() { return audit.read(1, audit.size()); }

    TempDir dir;
    std::shared_ptr<hsm::Token> token;
    store::Database database;
    ManualClock clock;
    audit::PostgresAuditLog audit{database, clock};
    store::PostgresCertificates certificates{database};
    store::PostgresSubjects subjects{database};
    policy::CaSettings ca_settings;
    std::unique_ptr<ca::Authority> authority;
    // Each revoke_certificates call the registry made: subject and superseded.
    std::vector<std::pair<std::int64_t, bool>> revocations;
    std::unique_ptr<ra::Registry> registry;
};

// The provider's key pair, made once per process.
const ra::testing::TestKey& provider_key();

}  // namespace signet::testing
