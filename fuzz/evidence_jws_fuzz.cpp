// libFuzzer target: the identity-evidence verifier of ra/ (ra/evidence.hpp) on arbitrary tokens,
// against one fixed test provider (an EC P-256 key whose private half signed the seeds in
// corpus/evidence_jws/ and was then thrown away; to add signed seeds, make a new key and replace
// kProviderPem). Every input gives a record or one signet::Error (an EvidenceError for a refused
// statement); never a crash, a hang, a leak or another exception (DESIGN.md invariant 7).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "ra/evidence.hpp"

namespace {

constexpr const char* kProviderPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAESKIpwdUHPR6GQPU/nbrPAxngsAP2\n"
    "8uQuLWgOjhVZp5YFNXd0fZGyZqrE1R60GX1StPmmWhMWVJt0mq1ouGZkYw==\n"
    "-----END PUBLIC KEY-----\n";

// The instant the seeds were made for (their iat is 30 s before it).
const signet::Clock::time_point kNow = *signet::from_unix_seconds(1'800'000'000);

signet::ra::AssuranceRequirement substantial() {
    return {"substantial", {"id_registry", "face_match", "liveness"}, 0.85, 0.90};
}

signet::ra::EvidencePolicy policy() {
    signet::ra::EvidencePolicy p;
    p.providers = {{"https://idv.fuzz.example", "fuzz-1", kProviderPem}};
    p.levels = {{"low", {"id_registry"}, {}, {}}, substantial()};
    return p;
}

// Every (iss, jti) is new: a seed that is accepted once stays accepted on every run.
class ForgetfulGuard final : public signet::ra::EvidenceReplayGuard {
  public:
    bool accept_once(const std::string&, const std::string&, signet::Clock::time_point) override {
        return true;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const signet::ManualClock clock(kNow);
    static ForgetfulGuard guard;
    static const signet::ra::EvidenceVerifier verifier(policy(), clock, guard);
    const std::string_view token(reinterpret_cast<const char*>(data), size);
    try {
        (void)verifier.verify({token, "fuzz-binding", "resident_id", substantial()});
    } catch (const signet::Error&) {
    }
    return 0;
}
