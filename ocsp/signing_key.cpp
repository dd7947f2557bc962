#include "ocsp/signing_key.hpp"

#include <exception>
#include <utility>

#include "hsm/bridge.hpp"

namespace signet::ocsp {

namespace {

// What the last signature through a capturing signer threw on this thread. The bridge calls the
// signer synchronously on the thread that called OpenSSL, so the caller finds it here.
thread_local std::exception_ptr last_failure;

class CapturingSigner final : public hsm::Signer {
  public:
    explicit CapturingSigner(std::shared_ptr<const hsm::Signer> inner) : inner_(std::move(inner)) {}

    KeyType key_type() const noexcept override { return inner_->key_type(); }
    EVP_PKEY* public_key() const noexcept override { return inner_->public_key(); }
    Bytes sign_digest(Digest digest_alg, hsm::Padding padding, ByteView digest) const override {
        try {
            return inner_->sign_digest(digest_alg, padding, digest);
        } catch (...) {
            last_failure = std::current_exception();
            throw;
        }
    }

  private:
    std::shared_ptr<const hsm::Signer> inner_;
};

}  // namespace

EvpPkeyPtr responder_bridge_key(std::shared_ptr<const hsm::Signer> signer) {
    return hsm::bridge_key(std::make_shared<CapturingSigner>(std::move(signer)));
}

void clear_signer_failure() noexcept {
    last_failure = nullptr;
}

void rethrow_signer_failure() {
    if (last_failure) {
        std::exception_ptr failure = std::exchange(last_failure, nullptr);
        std::rethrow_exception(failure);
    }
}

}  // namespace signet::ocsp
