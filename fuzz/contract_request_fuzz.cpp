// libFuzzer target: POST /v1/contracts's body (api/contract_requests.hpp): the multipart/form-data
// split (api/multipart.hpp) and the contract's JSON decoded on the strict reader. The first line
// of the input is the Content-Type, the rest the body. Bad input must end in
// Errc::invalid_argument (a 400), never in another error, a crash or a leak; a part the parser
// gives back must lie inside the body. The body is also given, as JSON, to the signing routes'
// decoders (api/signing_requests.hpp), and the whole input, as a query string, to GET
// /v1/contracts's search decoder (api/contract_search.hpp), whose cursor must come back as given.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/contract_requests.hpp"
#include "api/contract_search.hpp"
#include "api/multipart.hpp"
#include "api/signing_requests.hpp"
#include "common/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t line_end = input.find('\n');
    if (line_end == std::string_view::npos)
        return 0;
    const std::string_view content_type = input.substr(0, line_end);
    const std::string_view body = input.substr(line_end + 1);
    try {
        for (const auto& part : signet::api::parse_form_data(content_type, body))
            if (part.data.data() < body.data() ||
                part.data.data() + part.data.size() > body.data() + body.size())
                std::abort();
    } catch (const signet::Error& e) {
        if (e.code() != signet::Errc::invalid_argument)
            std::abort();
    }
    try {
        const auto submission = signet::api::decode_contract_submission(content_type, body);
        if (submission.document.data() < body.data() ||
            submission.document.data() + submission.document.size() > body.data() + body.size())
            std::abort();
    } catch (const signet::Error& e) {
        if (e.code() != signet::Errc::invalid_argument)
            std::abort();
    }
    try {
        const auto json = signet::api::JsonBody::parse(body, signet::api::InputEcho::never);
        try {
            (void)signet::api::decode_signing_request(json);
        } catch (const signet::Error& e) {
            if (e.code() != signet::Errc::invalid_argument)
                std::abort();
        }
        (void)signet::api::decode_signing_channel(json);
    } catch (const signet::Error& e) {
        if (e.code() != signet::Errc::invalid_argument)
            std::abort();
    }
    try {
        const auto query = signet::api::decode_contract_search(input);
        if (query.limit < 1 || query.limit > signet::api::kMaxContractPage)
            std::abort();
        if (query.after) {
            const std::string again = signet::api::contract_cursor(*query.after);
            if (signet::api::decode_contract_search("cursor=" + again).after->id != query.after->id)
                std::abort();
        }
    } catch (const signet::Error& e) {
        if (e.code() != signet::Errc::invalid_argument)
            std::abort();
    }
    return 0;
}
