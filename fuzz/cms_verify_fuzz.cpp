// The CMS verifier behind `POST /v1/verify` and `signetctl verify`: a detached CMS / CAdES
// signature from a file a relying party hands us (sign::verify_detached: OpenSSL's CMS decoder,
// then the walk over SignedData.crls for RFC 5940 OCSP responses, the signed attributes, the
// time-stamp token, the chains and the embedded revocation data), and the SignedData splice of
// sign::add_validation_data over the same bytes. Seeds: real signatures made by tests/sign (B-B,
// B-T with EC, RSA PKCS#1 and PSS, B-LT).
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "common/error.hpp"
#include "sign/cms_verify.hpp"
#include "sign/validation_data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const signet::ByteView input(data, size);
    signet::sign::VerifyOptions options;
    // A fixed validation time (inputs must behave the same on every run), within the seeds'
    // certificates' validity.
    options.now = std::chrono::system_clock::time_point(std::chrono::seconds(1'796'600'000));
    try {
        const signet::sign::ContentDigest digest{signet::Digest::sha256, signet::Bytes(32, 0)};
        (void)signet::sign::verify_detached(input, digest, options);
    } catch (const signet::Error&) {
        // A clear refusal is the expected outcome for most inputs.
    }
    try {
        (void)signet::sign::add_validation_data(input, {});
    } catch (const signet::Error&) {
    }
    return 0;
}
