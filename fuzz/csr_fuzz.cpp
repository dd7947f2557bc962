// libFuzzer target: the CSR intake (DER and PEM) as POST /v1/certificates and signetctl cert
// issue run it, ca::parse_certificate_request with every key type allowed. Bad input must end in
// Errc::invalid_argument (a 400 naming the problem), never in another error, a crash or a leak.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "ca/csr.hpp"
#include "common/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::vector<signet::KeyType> kAll{
        signet::KeyType::ec_p256, signet::KeyType::ec_p384, signet::KeyType::rsa_2048,
        signet::KeyType::rsa_3072, signet::KeyType::rsa_4096};
    try {
        (void)signet::ca::parse_certificate_request(signet::ByteView(data, size), kAll);
    } catch (const signet::Error& e) {
        if (e.code() != signet::Errc::invalid_argument)
            std::abort();  // a client's bytes made the server fail: a 500, not a 400
    }
    return 0;
}
