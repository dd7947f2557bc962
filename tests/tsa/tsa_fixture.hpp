#pragma once

// What the TSA tests share: a test PKI (a software root and issuing CA — test only — and a TSA
// certificate for a key in a real SoftHSM token), a migrated database in the test cluster, the
// responder over them, requests made with OpenSSL's own TS_REQ API, and replies read back with
// OpenSSL.
#include <openssl/ts.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/handle.hpp"
#include "hsm/token.hpp"
#include "policy/config.hpp"
#include "store/database.hpp"
#include "store/tsa_tokens.hpp"
#include "tests/support/process.hpp"
#include "tsa/journal.hpp"
#include "tsa/responder.hpp"

namespace signet::testing {

// The TSA certificate's shape, for tests of certificates the responder must refuse.
struct TsaCertificateSpec {
    bool eku_critical = true;
    bool extra_eku = false;  // serverAuth besides timeStamping
    bool no_eku = false;
    int valid_from_days = -1;  // relative to now
    int valid_until_days = 365;
};

X509Ptr make_ca_certificate(const std::string& common_name, EVP_PKEY* key, X509* issuer,
                            EVP_PKEY* issuer_key);
X509Ptr make_tsa_certificate(EVP_PKEY* public_key, X509* issuer, EVP_PKEY* issuer_key,
                             const TsaCertificateSpec& spec = {});
void write_pem(const std::filesystem::path& path, std::initializer_list<const X509*> certificates);
Bytes certificate_der(const X509* certificate);

// An anonymous client on the loopback, as most tests are.
inline const tsa::Requester kRequester{std::nullopt, "127.0.0.1"};

// A TimeStampReq as a client could send it (valid by default).
struct RequestSpec {
    int digest_nid = NID_sha256;
    std::optional<std::size_t> imprint_size{};  // default: the digest's size
    int parameter_type = V_ASN1_NULL;           // V_ASN1_UNDEF (absent), V_ASN1_NULL, or other
    long version = 1;
    std::optional<std::string> policy{};
    bool nonce = true;
    std::size_t nonce_bytes = 8;
    bool cert_req = true;
    bool extension = false;
    Bytes imprint{};  // default: random
};
Bytes make_request(const RequestSpec& spec = {});

// A TimeStampResp as OpenSSL reads it.
struct ParsedReply {
    long status = -1;
    std::vector<int> failure_bits;
    std::string status_text;
    bool has_token = false;
    signet::TsRespPtr response;
    TS_TST_INFO* info() const { return TS_RESP_get_tst_info(response.get()); }
    PKCS7* token() const { return TS_RESP_get_token(response.get()); }
};
// BOOST_REQUIREs that the bytes are one DER TimeStampResp.
ParsedReply parse_reply(const Bytes& der);

struct TsaFixtureOptions {
    KeyType key_type = KeyType::ec_p256;
    policy::TsaSettings settings{};
    std::string database = "tsa";  // a fresh database of the test cluster by this name
    bool start = true;             // make the responder at once
    // A token made beforehand (SoftHsm::new_token) instead of a new one: a process sees only
    // the tokens that existed when it initialized the module, so a test holding another token
    // open makes the TSA's first.
    std::optional<hsm::TokenConfig> token{};
};

// A token with the TSA key, the PKI, a database, the group-commit journal, a ManualClock (now)
// and the responder. Files: dir/root.pem, dir/issuing.pem, dir/tsa.pem.
struct TsaFixture {
    explicit TsaFixture(TsaFixtureOptions options = {});
    ~TsaFixture();

    // (Re)makes the responder with these settings (same identity, journal and clock).
    void restart(const policy::TsaSettings& settings);
    tsa::ResponderOptions responder_options(const policy::TsaSettings& settings);

    TsaFixtureOptions options;
    TempDir dir{"signet-tsa-test"};
    hsm::TokenConfig token_config;  // to open the same token again, as a second node would
    std::shared_ptr<hsm::Token> token;
    std::shared_ptr<const hsm::Signer> signer;  // the TSA key in the token
    EvpPkeyPtr root_key, issuing_key;
    X509Ptr root, issuing, tsa_certificate;
    EvpPkeyPtr tsa_key;  // the bridge key
    std::string dsn;
    std::unique_ptr<store::Database> database;
    std::unique_ptr<store::PostgresTsaTokens> tokens;
    std::shared_ptr<tsa::GroupCommitJournal> journal;
    std::shared_ptr<ManualClock> clock;
    std::shared_ptr<tsa::Responder> responder;

    std::filesystem::path root_pem() const { return dir.path() / "root.pem"; }
    std::filesystem::path issuing_pem() const { return dir.path() / "issuing.pem"; }
    std::filesystem::path tsa_pem() const { return dir.path() / "tsa.pem"; }
};

}  // namespace signet::testing
