#pragma once

// A platform front end driving a running signetd over its real HTTP API (docs/signing.md,
// docs/ra.md), for the backup and standby tests: a bearer-token API client over HTTPS (curl as
// the client, so the requests are what any platform sends), persons created and verified by an
// RA officer, certificates issued, TOTP enrolled, PDF contracts submitted, sent and signed in
// turn with each party's TOTP code, evidence packages downloaded.
//
// The node's signet.yaml gets `contract_flow_yaml()` and the HTTPS listener of
// `contract_flow_https_listener()`; `prepare_contract_flow()` then makes what the HTTPS
// listener and the routes need: the TLS certificate, the example key ceremony (its URLs on the
// node's port), the key-encryption keys and the RA's HMAC keys. (The node's side is in
// contract_flow_setup.cpp, the client's in contract_flow.cpp.)
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/signetd.hpp"

namespace signet::testing {

// signet.yaml for the flow: the API client, the personal profile (its URLs name the node's
// HTTP port: "@HTTP_PORT@", filled in by prepare_contract_flow), TOTP that signs.
std::string contract_flow_yaml();
// The `listeners:` entry of the HTTPS listener on `port` (tls.pem and tls.key in the node's
// directory, made by prepare_contract_flow).
std::string contract_flow_https_listener(std::uint16_t port);
// With the node stopped: the TLS certificate, the ceremony, the KEKs and HMAC keys.
void prepare_contract_flow(const SignetdProcess& node);

// The platform's bearer token (signet.yaml holds its SHA-256 only).
const std::string& platform_bearer_token();

// `signetctl WORDS... --config NODE'S signet.yaml`.
CommandResult signetctl_for(const SignetdProcess& node, std::vector<std::string> words);

// One answer over HTTPS. `status` 0: curl got none (it could not connect, or the answer did not
// come within the bound: a hang); `failure` then says what curl said.
struct ApiAnswer {
    int status = 0;
    std::string content_type;
    std::string body;
    std::string failure;

    bool ok() const { return status >= 200 && status < 300; }
    // A clear refusal of the server's: 5xx with an RFC 9457 problem document.
    bool refused() const {
        return status >= 500 && content_type.starts_with("application/problem+json");
    }
    nlohmann::json json() const { return nlohmann::json::parse(body); }
    std::string describe() const;  // for messages: status and the start of the body
};

// A signer the platform registered: a verified person with a certificate and a TOTP seed.
struct Party {
    std::int64_t subject_id = 0;
    std::string certificate_serial;
    std::string totp_seed;  // the raw seed (the otpauth URI's secret, base32-decoded)
};

// A signature a client received an OK for: the revision the signer's signature made.
struct Signature {
    std::string contract_id;
    int position = 0;
    int revision = 0;
    std::string revision_sha256;
    std::string certificate_serial;
};

// The API client: thread-safe (each call is its own curl process and files).
class PlatformClient {
  public:
    PlatformClient(const SignetdProcess& node, std::uint16_t https_port);

    ApiAnswer get(const std::string& target) const;
    ApiAnswer post(const std::string& target, const nlohmann::json& body) const;
    // GET into a file (a streamed body: a document, an evidence package).
    ApiAnswer download(const std::string& target, const std::filesystem::path& into) const;

    // Each step throws std::runtime_error naming the step and the answer when it is not a 2xx,
    // with the answer in `last` (so a caller can tell a refusal from anything else).
    // `email` (optional): where signetd e-mails the party's signing links.
    Party register_party(const std::string& name, std::optional<ApiAnswer>* last = nullptr,
                         const std::string& email = "") const;
    // A contract over `pdf` for `parties` in that order, submitted and sent; its id.
    std::string submit_contract(const std::filesystem::path& pdf, const std::vector<Party>& parties,
                                std::optional<ApiAnswer>* last = nullptr) const;
    // A contract of the given JSON (docs/signing.md: title, format, metadata, signers...) over
    // `document` (`media_type`), submitted and sent; its id.
    std::string submit(const std::filesystem::path& document, const nlohmann::json& contract,
                       const std::string& media_type = "application/pdf",
                       std::optional<ApiAnswer>* last = nullptr) const;
    // The due party at `position` signs with its TOTP code.
    Signature sign(const std::string& contract_id, int position, const Party& party,
                   std::optional<ApiAnswer>* last = nullptr) const;
    // Registers `count` parties, submits a contract and has each sign in turn: its signatures.
    std::vector<Signature> sign_contract(const std::filesystem::path& pdf, int count) const;

    // Whether the node holds the signature: the contract shows the revision with that SHA-256,
    // made by that signer, and the signer signed with that certificate. "" when it does, else
    // what differs.
    std::string holds(const Signature& signature) const;
    // GET /v1/contracts/{id}/evidence into `into`, then `signetctl evidence verify` with the
    // ceremony's root: its result.
    CommandResult verify_evidence(const std::string& contract_id,
                                  const std::filesystem::path& into) const;

  private:
    ApiAnswer run(std::vector<std::string> words, const std::filesystem::path& body_file) const;
    ApiAnswer exchange(std::vector<std::string> words) const;
    ApiAnswer expect(ApiAnswer answer, const std::string& step,
                     std::optional<ApiAnswer>* last) const;

    const SignetdProcess& node_;
    std::string base_url_;
};

// A one-page PDF made by Ghostscript in `dir` (the node's PDF intake accepts it): its path.
std::filesystem::path make_contract_pdf(const std::filesystem::path& dir);

}  // namespace signet::testing
