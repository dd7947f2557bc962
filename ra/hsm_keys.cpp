#include "ra/hsm_keys.hpp"

namespace signet::ra {

namespace {

// HMAC-SHA-256 under the token's key `label`. A missing key is the node's state, not the
// caller's mistake: Errc::unavailable (503), naming the key and the command that makes it, so a
// node started before the key was made serves the rest and recovers once it exists.
Bytes keyed_hash_in(hsm::Token& token, const std::string& label, ByteView data) {
    try {
        return token.hmac_sha256(label, data);
    } catch (const Error& e) {
        if (e.code() != Errc::not_found)
            throw;
        throw Error(Errc::unavailable, missing_hmac_key(label));
    }
}

}  // namespace

HsmOtpCrypto::HsmOtpCrypto(std::shared_ptr<hsm::Token> token, std::string hmac_label,
                           std::string kek_label)
    : token_(std::move(token)),
      hmac_label_(std::move(hmac_label)),
      kek_label_(std::move(kek_label)) {
    if (!token_)
        throw Error(Errc::invalid_argument, "HsmOtpCrypto needs a token");
}

Bytes HsmOtpCrypto::random(std::size_t n) {
    return token_->random(n);
}

Bytes HsmOtpCrypto::keyed_hash(ByteView data) {
    return keyed_hash_in(*token_, hmac_label_, data);
}

Bytes HsmOtpCrypto::wrap_seed(ByteView seed) {
    return token_->wrap_secret(kek_label_, seed);
}

Secret HsmOtpCrypto::unwrap_seed(ByteView blob) {
    return token_->unwrap_secret(kek_label_, blob);
}

std::string missing_hmac_key(const std::string& label) {
    return "the HSM token holds no HMAC key '" + label + "' (signetctl hsm hmac-key --label " +
           label + " makes it)";
}

std::function<Bytes(ByteView)> document_hmac_function(std::shared_ptr<hsm::Token> token,
                                                      std::string label) {
    if (!token)
        throw Error(Errc::invalid_argument, "document_hmac_function needs a token");
    return [token = std::move(token), label = std::move(label)](ByteView data) {
        return keyed_hash_in(*token, label, data);
    };
}

}  // namespace signet::ra
