#pragma once

// The OCSP responder's test bed: a real SoftHSM token and PostgreSQL, a key ceremony with a
// root, an issuing CA with a delegated OCSP responder and one without, an Authority issuing and
// revoking, and the openssl command line as the relying party. The response cache is a plain
// map (the real one is ocsp/presigned_cache.*).
#include <boost/test/unit_test.hpp>
#include <map>
#include <memory>
#include <mutex>

#include "audit/log.hpp"
#include "ca/authority.hpp"
#include "ocsp/hsm_signer.hpp"
#include "ocsp/responder_keys.hpp"
#include "ocsp/status_responder.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"
#include "store/subjects.hpp"
#include "tests/support/process.hpp"

namespace signet::testing {

// A ResponseCache that keeps what it is offered, and counts.
class MapCache final : public ocsp::ResponseCache {
  public:
    std::optional<ocsp::SignedResponse> find(const ocsp::ResponseKey& key,
                                             Clock::time_point now) override;
    void offer(const ocsp::ResponseKey& key, const ocsp::SignedResponse& response) override;
    std::size_t offers() const;
    std::size_t hits() const;

  private:
    mutable std::mutex mutex_;
    std::map<ocsp::ResponseKey, ocsp::SignedResponse> responses_;
    std::size_t offers_ = 0;
    std::size_t hits_ = 0;
};

// What `openssl ocsp` printed, and its exit code.
struct OpensslVerdict {
    int exit_code = -1;
    std::string output;
    bool verified() const { return output.find("Response verify OK") != std::string::npos; }
};

struct OcspFixture {
    // `token` from SoftHsm (or the faulty module); `database_name` unique per suite.
    OcspFixture(std::shared_ptr<hsm::Token> token, const std::string& database_name,
                policy::OcspSettings settings = {});
    ~OcspFixture();

    TempDir dir;
    std::shared_ptr<hsm::Token> token;
    std::string database_name;
    std::unique_ptr<store::Database> database;
    ManualClock clock{std::chrono::system_clock::now()};
    std::unique_ptr<audit::PostgresAuditLog> audit;
    std::unique_ptr<store::PostgresCertificates> certificates;
    std::unique_ptr<store::PostgresSubjects> subjects;
    std::unique_ptr<ca::Authority> authority;
    std::int64_t subject_id = 0;
    policy::OcspSettings settings;
    MapCache cache;
    std::unique_ptr<ocsp::ResponderKeys> keys;
    std::unique_ptr<ocsp::HsmResponseSigner> signer;
    std::unique_ptr<ocsp::StatusResponder> responder;
    MetricsRegistry metrics;

    std::filesystem::path out() const { return dir / "out"; }
    // A ceremony certificate's PEM ("root", "issuing", "plain", "ocsp-issuing").
    std::string pem(const std::string& name) const { return (out() / (name + ".pem")).string(); }
    // A certificate written by issue().
    std::string leaf(const std::string& name) const { return (dir / (name + ".pem")).string(); }

    // A certificate issued by "issuing", its PEM written to `name`.pem in dir.
    ca::Issued issue(const std::string& name = "leaf");
    // Issued by "plain", the issuing CA with no OCSP responder.
    ca::Issued issue_plain(const std::string& name);
    // A fresh StatusResponder with `settings` over the same store, keys and cache.
    void rebuild_responder(policy::OcspSettings new_settings);

    // `openssl ocsp -issuer ISSUER extra... -reqout` and the request's DER.
    Bytes request(const std::string& issuer_pem, std::vector<std::string> extra);
    // Writes `der` to `name` in dir and returns the path.
    std::string save(const std::string& name, const Bytes& der);
    // `openssl ocsp -respin RESP -CAfile root.pem -resp_text extra...` (the relying party, with
    // the root as its only trust anchor).
    OpensslVerdict check(const Bytes& response, std::vector<std::string> extra);
    // Drops the database under the responder (WITH FORCE): every later query fails.
    void drop_database();
};

// The response's status (RFC 6960 §4.2.1) and, for a successful one, its BasicOCSPResponse.
int response_status(const Bytes& der);
OcspBasicRespPtr basic_response(const Bytes& der);
// Each GeneralizedTime of a successful response with one SingleResponse: producedAt,
// thisUpdate, nextUpdate, as written.
std::vector<std::string> response_times(const Bytes& der);

}  // namespace signet::testing
