// libFuzzer target for what hsm/ and common/secret parse from outside:
//   byte 0 = 0: a secret source spec ("file:PATH" / "env:NAME"), SecretSource::parse;
//   byte 0 = 1: a PIN file's bytes, read_secret (through a memfd, as a file);
//   byte 0 = 2: a parameter the OpenSSL bridge's key manager receives under the signer's name
//               (byte 1: its type), which must be refused, never dereferenced;
//   byte 0 = 3: an EC public key imported into the bridge (EVP_PKEY_eq and X509_check_private_key
//               do this with a certificate's key).
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/handle.hpp"
#include "common/secret.hpp"
#include "hsm/bridge.hpp"

namespace {

void parse_spec(std::string_view input) {
    try {
        const auto source = signet::SecretSource::parse(input);
        if (source.location.empty())
            std::abort();  // parse promises a location
        (void)source.describe();
    } catch (const signet::Error& e) {
        if (e.code() != signet::Errc::invalid_argument)
            std::abort();
    }
}

void read_pin_file(std::string_view input) {
    const int fd = memfd_create("pin", MFD_CLOEXEC);
    if (fd < 0)
        return;
    if (::write(fd, input.data(), input.size()) != static_cast<ssize_t>(input.size())) {
        ::close(fd);
        return;
    }
    try {
        const auto pin = signet::read_secret(
            signet::SecretSource::from_file("/proc/self/fd/" + std::to_string(fd)));
        // The first line, never empty, never with its line end, never over the bound.
        if (pin.empty() || pin.size() > 4096 ||
            pin.view().find_first_of("\r\n") != std::string_view::npos ||
            !input.starts_with(pin.view())) {
            std::abort();
        }
    } catch (const signet::Error& e) {
        if (e.code() != signet::Errc::invalid_argument)
            std::abort();
    }
    ::close(fd);
}

void import(const char* algorithm, OSSL_PARAM* params) {
    signet::EvpPkeyCtxPtr ctx(
        EVP_PKEY_CTX_new_from_name(nullptr, algorithm, "provider=signet-hsm"));
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1)
        std::abort();
    EVP_PKEY* key = nullptr;
    EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params);
    // No signer was registered: whatever came in, the key must not be able to sign.
    if (key != nullptr) {
        signet::EvpPkeyPtr owned(key);
        signet::EvpMdCtxPtr md(EVP_MD_CTX_new());
        unsigned char signature[1024];
        std::size_t size = sizeof signature;
        const unsigned char message[] = "fuzz";
        if (EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestSign(md.get(), signature, &size, message, sizeof message) == 1) {
            std::abort();
        }
    }
    ERR_clear_error();
}

void forged_signer(std::string_view input) {
    if (input.empty())
        return;
    std::string data(input.substr(1));
    std::array<OSSL_PARAM, 2> params{OSSL_PARAM_construct_end(), OSSL_PARAM_construct_end()};
    OSSL_PARAM& p = params[0];
    switch (static_cast<unsigned char>(input[0]) % 4) {
        case 0:
            p = OSSL_PARAM_construct_octet_string(signet::hsm::kBridgeSignerParam, data.data(),
                                                  data.size());
            break;
        case 1:
            p = OSSL_PARAM_construct_utf8_string(signet::hsm::kBridgeSignerParam, data.data(),
                                                 data.size());
            break;
        case 2:
            p = OSSL_PARAM_construct_BN(signet::hsm::kBridgeSignerParam,
                                        reinterpret_cast<unsigned char*>(data.data()),
                                        data.size());
            break;
        default:
            // An id of the right type and size: any value is unknown (none is registered).
            data.resize(8);
            p = OSSL_PARAM_construct_uint64(signet::hsm::kBridgeSignerParam,
                                            reinterpret_cast<std::uint64_t*>(data.data()));
            break;
    }
    import((input[0] & 4) != 0 ? "RSA" : "EC", params.data());
}

void public_key(std::string_view input) {
    std::string point(input);
    char group[] = "P-256";
    std::array<OSSL_PARAM, 3> params{
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
        OSSL_PARAM_construct_end()};
    import("EC", params.data());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    signet::init_secure_heap();
    signet::hsm::install_bridge();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0 || size > 8192)
        return 0;
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0]) {
        case 0:
            parse_spec(rest);
            break;
        case 1:
            read_pin_file(rest);
            break;
        case 2:
            forged_signer(rest);
            break;
        case 3:
            public_key(rest);
            break;
        default:
            break;
    }
    return 0;
}
