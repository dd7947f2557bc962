// The remote-signing service over PostgreSQL (csc/postgres_remote_signing.hpp): each method is
// one of the functions of tokens.cpp, credentials.cpp, authorization.cpp and signing.cpp.
#include "common/error.hpp"
#include "csc/service_core.hpp"

namespace signet::csc {

namespace {

class PostgresRemoteSigning final : public RemoteSigning {
  public:
    explicit PostgresRemoteSigning(RemoteSigningDependencies dependencies)
        : core_{std::move(dependencies)} {}

    IssuedToken issue_token(const Caller& caller, bool with_refresh_token) override {
        return detail::issue_token(core_, caller, with_refresh_token);
    }
    IssuedToken refresh(std::string_view refresh_token, const std::string& address) override {
        return detail::refresh(core_, refresh_token, address);
    }
    std::string authenticate(std::string_view access_token) override {
        return detail::authenticate(core_, access_token);
    }
    void revoke(const Caller& caller, std::string_view token) override {
        detail::revoke(core_, caller, token);
    }
    std::vector<Credential> list(const Caller& caller, bool only_valid) override {
        return detail::list_credentials(core_, caller, only_valid);
    }
    Credential info(const Caller& caller, std::string_view credential_id) override {
        return detail::credential_info(core_, caller, credential_id);
    }
    void send_challenge(const Caller& caller, std::string_view credential_id,
                        std::string_view auth_object) override {
        detail::send_challenge(core_, caller, credential_id, auth_object);
    }
    Activation authorize(const Caller& caller, const AuthorizeRequest& request) override {
        return detail::authorize(core_, caller, request);
    }
    Activation extend(const Caller& caller, const ExtendRequest& request) override {
        return detail::extend(core_, caller, request);
    }
    std::vector<Bytes> sign_hash(const Caller& caller, const SignHashRequest& request) override {
        return detail::sign_hash(core_, caller, request);
    }
    SignedDocuments sign_documents(const Caller& caller,
                                   const SignDocumentRequest& request) override {
        return detail::sign_document(core_, caller, request);
    }
    std::vector<Bytes> sign_document(const Caller& caller,
                                     const SignDocumentRequest& request) override {
        if (!request.documents.empty())
            throw Error(Errc::invalid_argument,
                        "sign_document takes document digests: documents go to sign_documents");
        return detail::sign_document(core_, caller, request).signature_objects;
    }
    Bytes timestamp(const Caller& caller, Digest hash_algorithm, ByteView hash,
                    std::optional<Bytes> nonce) override {
        return detail::timestamp(core_, caller, hash_algorithm, hash, nonce);
    }

  private:
    detail::Core core_;
};

void check(bool ok, const std::string& message) {
    if (!ok)
        throw Error(Errc::invalid_argument, message);
}

}  // namespace

std::unique_ptr<RemoteSigning> make_remote_signing(RemoteSigningDependencies dependencies) {
    const Settings& s = dependencies.settings;
    check(s.access_token_lifetime.count() > 0, "'csc.access_token_lifetime' must be positive");
    check(s.refresh_token_lifetime.count() >= 0,
          "'csc.refresh_token_lifetime' must be zero (no refresh tokens) or positive");
    check(s.sad_lifetime.count() > 0, "'csc.sad_lifetime' must be positive");
    // csc_transactions.signatures_authorized's CHECK.
    check(s.multisign >= 1 && s.multisign <= 100000, "'csc.multisign' is 1 to 100000");
    check(s.max_document_bytes >= 1 && s.max_document_bytes <= std::size_t{1} << 30,
          "'csc.max_document_bytes' is 1 B to 1 GiB");
    check(dependencies.challenge_message.find("{code}") != std::string::npos,
          "the CSC challenge message must hold {code}");
    return std::make_unique<PostgresRemoteSigning>(std::move(dependencies));
}

}  // namespace signet::csc
