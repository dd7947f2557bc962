#pragma once

// Internal to csc/: what the service's files share (the dependencies, the secrets' form, the
// platform's credentials, the audit events). The methods live one group per file: tokens.cpp,
// credentials.cpp, authorization.cpp, signing.cpp, documents.cpp.

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "csc/postgres_remote_signing.hpp"
#include "store/certificates.hpp"

namespace signet::csc::detail {

struct Core {
    RemoteSigningDependencies deps;

    Clock::time_point now() const { return deps.clock.now(); }
    // Every method's audit event: by "client:NAME", naming where the call came from.
    audit::AuditEvent event(std::string type, const Caller& caller, std::string object,
                            nlohmann::json details) const;
};

[[noreturn]] void refuse(CscFailure failure, const std::string& description);

// Tokens and SADs: 32 bytes of OpenSSL's private generator as base64url without padding
// (RFC 4648 §5), 43 characters. Only their SHA-256 is stored and looked up.
std::string new_secret();
Bytes secret_hash(std::string_view secret);
// Whether `text` has a secret's form; anything else is unknown without asking the database.
bool has_secret_form(std::string_view text) noexcept;

std::vector<std::string> hex_list(const std::vector<Bytes>& values);
// The SQL expressions for a bytea[] column as a text[] of hex, in both directions (libpq's
// text format has no simple form for an array of bytea).
std::vector<std::string> hex_elements(const std::vector<Bytes>& values);
std::vector<Bytes> from_hex_elements(const std::vector<std::string>& values);

// "csc_credential:SERIAL", the audit object of a credential.
std::string credential_object(std::string_view credential_id);

// One of the caller's credentials: an issued or revoked certificate with a key Signet holds
// wrapped, of a subject the caller registered. Anything else — a malformed ID, an unknown
// serial, another platform's credential — is CscError invalid_request "Invalid parameter
// credentialID": another platform's credential looks like no credential at all.
struct OwnCredential {
    std::string id;  // uppercase hex
    store::CertificateRecord record;
};
OwnCredential own_credential(Core& core, const Caller& caller, std::string_view credential_id);

// The certificate may sign now: not revoked ("The credential identified by credentialID is
// disabled"), within its validity ("Signing certificate is expired"); CscError invalid_request.
void require_usable(const store::CertificateRecord& record, Clock::time_point now);

// What credentials/list and credentials/info say of one.
Credential describe(Core& core, const store::CertificateRecord& record, Clock::time_point now);

// A SAD and its transaction, locked (FOR UPDATE) until the caller's transaction ends: the
// caller's own, for this credential. Unknown, another platform's or another credential's SAD:
// CscError invalid_request "Invalid parameter SAD" (so are a superseded one, and one of a
// transaction with no signature left); "SAD expired" past its lifetime. `used_ok`: extend takes
// the transaction's newest SAD even when a signHash used it.
struct LockedSad {
    Bytes sad_hash;
    std::int64_t transaction_id = 0;
    std::int64_t subject_id = 0;
    Digest hash_algorithm{};
    bool hashes_bound = false;
    int signatures_left = 0;
    std::vector<Bytes> hashes;         // what it may sign
    std::vector<Bytes> signed_hashes;  // what the signHash that used it signed
    bool used = false;
};
LockedSad lock_sad(store::Connection& tx, const Caller& caller, const OwnCredential& credential,
                   std::string_view sad, Clock::time_point now, bool used_ok);
// A new SAD of the transaction for `hashes`, valid for settings.sad_lifetime.
Activation insert_sad(Core& core, store::Connection& tx, std::int64_t transaction_id,
                      const std::vector<Bytes>& hashes, Clock::time_point now);
// Removes one occurrence of each of `wanted` from `pool` (each authorized hash signs once);
// false, with `pool` in any state, when one is not there.
bool take_each(std::vector<Bytes>& pool, const std::vector<Bytes>& wanted);

// signHash's and signDoc's SCAL2 step, in the caller's transaction: the SAD locked and checked
// for these hashes (lock_sad, the algorithm, each hash authorized and not more than the
// signatures left), the certificate usable now (read FOR SHARE), the SAD marked used with the
// hashes and the transaction's count lowered. The caller then signs, before its commit.
// `unauthorized`: the refusal's text when a hash is not the SAD's (signDoc's documents have
// their own, §11.11).
inline constexpr const char* kHashNotAuthorized = "Hash is not authorized by the SAD";
LockedSad use_sad(store::Connection& tx, const Caller& caller, const OwnCredential& credential,
                  std::string_view sad, Digest hash_algorithm, const std::vector<Bytes>& hashes,
                  Clock::time_point now, const char* unauthorized = kHashNotAuthorized);
// The padding suits the key (CscError "Invalid parameter signAlgo"); the key type.
KeyType check_padding(const OwnCredential& credential, hsm::Padding padding);
// The credential's wrapped key as a signer (unwrapped in the HSM when it signs).
std::shared_ptr<const hsm::Signer> signer_of(Core& core, const OwnCredential& credential);

// CscError invalid_request "Empty hash array" or "Invalid digest value length".
void check_hash_list(const std::vector<Bytes>& hashes, Digest algorithm);
// The details of a "csc.signed" event.
nlohmann::json signed_details(const LockedSad& sad, Digest algorithm, hsm::Padding padding,
                              const std::vector<Bytes>& hashes);

// The methods, as RemoteSigning declares them (csc/service.cpp forwards to them).
IssuedToken issue_token(Core& core, const Caller& caller, bool with_refresh_token);
IssuedToken refresh(Core& core, std::string_view refresh_token, const std::string& address);
std::string authenticate(Core& core, std::string_view access_token);
void revoke(Core& core, const Caller& caller, std::string_view token);
std::vector<Credential> list_credentials(Core& core, const Caller& caller, bool only_valid);
Credential credential_info(Core& core, const Caller& caller, std::string_view credential_id);
void send_challenge(Core& core, const Caller& caller, std::string_view credential_id,
                    std::string_view auth_object);
Activation authorize(Core& core, const Caller& caller, const AuthorizeRequest& request);
Activation extend(Core& core, const Caller& caller, const ExtendRequest& request);
std::vector<Bytes> sign_hash(Core& core, const Caller& caller, const SignHashRequest& request);
SignedDocuments sign_document(Core& core, const Caller& caller,
                              const SignDocumentRequest& request);
Bytes timestamp(Core& core, const Caller& caller, Digest hash_algorithm, ByteView hash,
                const std::optional<Bytes>& nonce);

}  // namespace signet::csc::detail
