#pragma once

#include <filesystem>
#include <optional>

#include "common/handle.hpp"

namespace signet::api {

struct TlsOptions {
    // PEM: the server certificate first, then its intermediates.
    std::filesystem::path certificate_chain{};
    // The server's private key: a file key, or an HSM key through hsm::bridge_key, so that the
    // TLS key never leaves the HSM.
    EvpPkeyPtr private_key{};
    // PEM: the CAs whose client certificates are accepted. Without it no certificate is asked.
    std::optional<std::filesystem::path> client_ca{};
    // Refuse the handshake without a client certificate (needs client_ca).
    bool require_client_certificate = false;
};

// The TLS 1.2 ciphers offered: ECDHE key exchange and AEAD only (forward secrecy, no CBC, no
// RSA key transport), after Mozilla's "intermediate" profile. TLS 1.3 suites are all AEAD.
inline constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
inline constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

// A server context: TLS 1.2 and 1.3 only, the ciphers above, no renegotiation, no compression;
// client certificates verified against client_ca when it is set. Errc::invalid_argument for
// an inconsistent configuration, Errc::crypto (with OpenSSL's reasons) when a file or the key
// is refused, e.g. a key that does not match the certificate.
SslCtxPtr make_server_tls_context(const TlsOptions& options);

}  // namespace signet::api
