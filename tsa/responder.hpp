#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/handle.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "policy/config.hpp"
#include "tsa/asn1.hpp"
#include "tsa/journal.hpp"
#include "tsa/protocol.hpp"
#include "tsa/serials.hpp"
#include "tsa/token_template.hpp"

namespace signet::tsa {

// The TSA's signing identity. The certificate must be fit for time-stamping (RFC 3161 §2.3:
// extended key usage id-kp-timeStamping, alone and critical); `chain` holds the CA certificates
// above it (sent on certReq when the policy includes the chain); the key is normally
// hsm::bridge_key of the TSA's HSM key, so it never leaves the HSM.
struct SigningIdentity {
    X509Ptr certificate;
    std::vector<X509Ptr> chain;
    EvpPkeyPtr key;
};

// Who asked, for the record.
struct Requester {
    std::optional<std::string> client;  // the authenticated API client, if any
    std::string remote;                 // the peer's address
};

// What the responder answers: always a TimeStampResp.
struct Reply {
    Bytes der;                       // the TimeStampResp, DER
    std::optional<Failure> failure;  // nullopt: granted, a token inside
    std::string reason;              // the statusString of a rejection; for systemFailure the
                                     // client sees a generic text and `reason` is the cause
    Bytes serial;                    // granted: the token's serial (magnitude)
};

// Whether the clock may be used for genTime now (DESIGN.md invariant 4).
struct ClockVerdict {
    bool usable = false;
    // Usable only because the policy allows an untrusted clock (development only).
    bool lax = false;
    std::string detail;
};

// The kernel's synchronisation state against the policy. RFC 3161 section 2.4.2: the accuracy
// is the deviation of genTime around UTC, a bound the token claims. genTime is the clock cut to
// the policy's precision, so it may be off by the clock's maximum error (adjtimex maxerror, a
// bound: not the estimated error) plus one precision step. Usable when the clock is
// synchronised and that sum is at most the accuracy; else unusable (timeNotAvailable), unless
// the policy allows an untrusted clock (then `lax`, and the detail says so).
ClockVerdict assess_clock(const Clock::Health& health, const policy::TsaSettings& settings);

struct ResponderOptions {
    policy::TsaSettings settings;
    SigningIdentity identity;
    std::shared_ptr<const Clock> clock;
    std::shared_ptr<SerialSource> serials;
    std::shared_ptr<TokenJournal> journal;
    std::string node;                            // recorded with each token ("host:pid")
    std::shared_ptr<Logger> log{};               // systemFailure causes; nullptr: none
    std::shared_ptr<MetricsRegistry> metrics{};  // signet_tsa_*; nullptr: none
    // Called once the token's row is committed, before the HSM is asked to sign (as the CA's
    // after_reservation): tests look at the row and inject a crash. An exception from it is a
    // systemFailure, and nothing is signed.
    std::function<void(const store::TsaTokenRecord&)> after_recording{};
};

// The RFC 3161 / RFC 5816 responder. For each request:
//   1. check it (check_request): a failed check is a rejection with its failInfo;
//   2. check the clock (assess_clock): timeNotAvailable;
//   3. draw a serial and read genTime, cut to the policy's precision;
//   4. record the token in the journal and wait for its commit (DESIGN.md invariant 2);
//   5. sign the TSTInfo with OpenSSL's TS_RESP_CTX — the serial and time of step 3, the policy,
//      accuracy, tsa name and ESSCertIDv2 of the policy — through the HSM key;
//   6. check the signed TSTInfo says what was recorded, and answer.
// Any failure in 3-6 is systemFailure without a token. Thread-safe: requests run in parallel,
// each on a TS_RESP_CTX of a pool.
class Responder {
  public:
    // Errc::invalid_argument when the certificate is not a time-stamping certificate, the key
    // is not its key, or a setting cannot be applied.
    explicit Responder(ResponderOptions options);
    ~Responder();
    Responder(const Responder&) = delete;
    Responder& operator=(const Responder&) = delete;

    // Never throws: every outcome is a TimeStampResp.
    Reply respond(ByteView request, const Requester& requester) noexcept;

    ClockVerdict clock_verdict() const;
    const X509* certificate() const noexcept { return identity_.certificate.get(); }
    Clock::time_point certificate_not_after() const noexcept { return not_after_; }
    const policy::TsaSettings& settings() const noexcept { return options_.settings; }

  private:
    TsRespCtxPtr make_context(X509* signer, EVP_PKEY* key) const;
    // OpenSSL's token for a sample request, the template's source, and the check that the
    // template reproduces it (tsa/token_template.hpp).
    void make_template();
    const EVP_MD* digest(Digest d) const;
    Reply issue(const CheckedRequest& checked, const Requester& requester);
    Reply count(Reply reply) noexcept;

    ResponderOptions options_;
    SigningIdentity identity_;
    Bytes certificate_sha256_;
    Clock::time_point not_before_;
    Clock::time_point not_after_;
    std::array<EvpMdPtr, 3> digests_;  // SHA-256, -384, -512; before the
                                       // contexts, which point to them
    std::unique_ptr<TokenTemplate> template_;  // every granted token is encoded by it
    std::array<Counter*, 9> responses_{};  // by result: granted, then each failInfo
};

}  // namespace signet::tsa
