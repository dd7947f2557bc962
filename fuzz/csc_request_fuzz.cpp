// libFuzzer target: the CSC API's request bodies (api/csc_requests.hpp) — every JSON decoder on
// the strict reader, the form reader and the OAuth decoders on it, HTTP Basic. The input's first
// byte picks nothing: every decoder sees every input, so a seed of one method exercises the
// others' refusals too. Bad input must end in a csc::CscError or Errc::invalid_argument (a 400 or
// 401 with the spec's error), never in another error, a crash or a leak.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/csc_requests.hpp"
#include "api/json_body.hpp"
#include "common/error.hpp"
#include "csc/remote_signing.hpp"

namespace {

template <class Decode>
void expect_clean(Decode&& decode) {
    try {
        decode();
    } catch (const signet::csc::CscError&) {
        // The CSC API's own refusal: fine whatever its failure.
    } catch (const signet::Error& e) {
        if (e.code() != signet::Errc::invalid_argument)
            std::abort();  // a client's body made the server fail: a 500, not a 400
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace signet::api;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    expect_clean([&] { decode_info_request(text); });
    expect_clean([&] { (void)decode_login(text); });
    expect_clean([&] {
        const auto body = JsonBody::parse(text, InputEcho::never);
        expect_clean([&] { (void)decode_revoke(body); });
        expect_clean([&] { (void)decode_list(body); });
        expect_clean([&] { (void)decode_credential_info(body); });
        expect_clean([&] { (void)decode_get_challenge(body); });
        expect_clean([&] { (void)decode_authorize(body, 100); });
        expect_clean([&] { (void)decode_extend(body); });
        expect_clean([&] { (void)decode_sign_hash(body); });
        expect_clean([&] { (void)decode_sign_doc(body); });
        expect_clean([&] { (void)decode_timestamp(body); });
    });
    expect_clean([&] {
        const auto form = parse_form(text);
        expect_clean([&] { (void)decode_token_form(form, ""); });
        expect_clean([&] { (void)decode_revoke_form(form, ""); });
    });
    expect_clean([&] { (void)decode_basic(text, true); });
    expect_clean([&] { (void)decode_basic(text, false); });
    // signAlgoParams on its own: the input as base64 DER RSASSA-PSS-params.
    expect_clean([&] {
        (void)resolve_sign_algorithm("1.2.840.113549.1.1.10", std::nullopt, std::string(text));
    });
    return 0;
}
