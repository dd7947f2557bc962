#include "ra/hsm_keys.hpp"

namespace signet::ra {

namespace {

void require_hmac_key(hsm::Token& token, const std::string& label) {
    if (!token.has_hmac_key(label))
        throw Error(Errc::not_found, "the HSM token holds no HMAC key '" + label +
                                         "' (signetctl hsm hmac-key --label " + label +
                                         " makes it)");
}

}  // namespace

HsmOtpCrypto::HsmOtpCrypto(std::shared_ptr<hsm::Token> token, std::string hmac_label,
                           std::string kek_label)
    : token_(std::move(token)),
      hmac_label_(std::move(hmac_label)),
      kek_label_(std::move(kek_label)) {
    if (!token_)
        throw Error(Errc::invalid_argument, "HsmOtpCrypto needs a token");
    require_hmac_key(*token_, hmac_label_);
}

Bytes HsmOtpCrypto::random(std::size_t n) {
    return token_->random(n);
}

Bytes HsmOtpCrypto::keyed_hash(ByteView data) {
    return token_->hmac_sha256(hmac_label_, data);
}

Bytes HsmOtpCrypto::wrap_seed(ByteView seed) {
    return token_->wrap_secret(kek_label_, seed);
}

Secret HsmOtpCrypto::unwrap_seed(ByteView blob) {
    return token_->unwrap_secret(kek_label_, blob);
}

std::function<Bytes(ByteView)> document_hmac_function(std::shared_ptr<hsm::Token> token,
                                                      std::string label) {
    if (!token)
        throw Error(Errc::invalid_argument, "document_hmac_function needs a token");
    require_hmac_key(*token, label);
    return [token = std::move(token), label = std::move(label)](ByteView data) {
        return token->hmac_sha256(label, data);
    };
}

}  // namespace signet::ra
