#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/bytes.hpp"
#include "hsm/token.hpp"
#include "ra/otp_crypto.hpp"

namespace signet::ra {

// The RA's cryptography in the HSM (DESIGN.md invariant 6): no key it uses ever leaves the token.

// OtpCrypto over a token: random bytes from C_GenerateRandom, the keyed hash of a code under
// the HMAC key `hmac_label` (hsm::Token::hmac_sha256), TOTP seeds wrapped under the
// key-encryption key `kek_label` (CKM_AES_KEY_WRAP_PAD). A missing HMAC key `hmac_label` is
// Errc::unavailable at each keyed hash, naming it and the command that makes it (signetctl hsm
// hmac-key), so signetd serves the rest meanwhile; a missing KEK is Errc::not_found at a wrap.
class HsmOtpCrypto final : public OtpCrypto {
  public:
    HsmOtpCrypto(std::shared_ptr<hsm::Token> token, std::string hmac_label, std::string kek_label);

    Bytes random(std::size_t n) override;
    Bytes keyed_hash(ByteView data) override;
    Bytes wrap_seed(ByteView seed) override;
    Secret unwrap_seed(ByteView blob) override;
    std::string kek_label() const override { return kek_label_; }

  private:
    std::shared_ptr<hsm::Token> token_;
    std::string hmac_label_;
    std::string kek_label_;
};

// The keyed hash of identity documents RegistryDependencies::document_hmac takes: HMAC-SHA-256
// inside the token under the HMAC key `label` (identity.hmac_key_label); Errc::unavailable, as
// above, while the token holds no such key.
// "the HSM token holds no HMAC key 'L' (signetctl hsm hmac-key --label L makes it)": the one
// wording of a missing RA key, in errors and in /healthz.
std::string missing_hmac_key(const std::string& label);

std::function<Bytes(ByteView)> document_hmac_function(std::shared_ptr<hsm::Token> token,
                                                      std::string label);

}  // namespace signet::ra
