// libFuzzer target: the JSON request bodies of /v1, through the one strict reader
// (api::JsonBody::parse) and each /v1 request decoder on it (issue, revoke). Bad input must end
// in Errc::invalid_argument (a 400 naming the member), never in another error, a crash or a leak.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/ca_requests.hpp"
#include "api/json_body.hpp"
#include "common/error.hpp"

namespace {

template <class Decode>
void expect_clean(Decode&& decode) {
    try {
        decode();
    } catch (const signet::Error& e) {
        if (e.code() != signet::Errc::invalid_argument)
            std::abort();  // a client's body made the server fail: a 500, not a 400
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    expect_clean([&] {
        const auto body = signet::api::JsonBody::parse(text);
        expect_clean([&] { (void)signet::api::decode_issue_request(body); });
        expect_clean([&] { (void)signet::api::decode_revoke_request(body); });
    });
    return 0;
}
