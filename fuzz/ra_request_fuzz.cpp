// libFuzzer target: the registration authority's request bodies and query strings
// (api/ra_requests.hpp), through the one strict reader with InputEcho::never and each decoder on
// it. Bad input must end in Errc::invalid_argument (a 400 naming the member), never in another
// error, a crash or a leak; and no refusal may quote the input's document number or code, so
// each message is checked for the values the body holds under those names.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/ra_requests.hpp"
#include "common/error.hpp"

namespace {

// The secret values the body holds (document numbers, credit codes, codes), found by a lenient
// parse, that a refusal must not quote. Member names are echoed by design ("unknown member
// 'x'"), so a value that is part of one is not looked for; nor one short or with few digits,
// which a refusal's own words or numbers could hold by chance ("from 1 to 9223372036854775807").
struct Secrets {
    std::vector<std::string> values;
    std::vector<std::string> names;

    void collect(const nlohmann::json& value) {
        if (value.is_object()) {
            for (const auto& [name, member] : value.items()) {
                names.push_back(name);
                const bool secret = name == "number" || name == "document_number" ||
                                    name == "credit_code" || name == "code";
                if (secret && member.is_string())
                    values.push_back(member.get<std::string>());
                collect(member);
            }
        } else if (value.is_array()) {
            for (const auto& element : value)
                collect(element);
        }
    }

    // The same members read from the raw text, so a body cut inside such a string (which the
    // lenient parse refuses) is checked too: "number": "1101... up to a quote, backslash or end.
    void scan(std::string_view text) {
        for (const std::string_view key :
             {"\"number\"", "\"document_number\"", "\"credit_code\"", "\"code\""}) {
            for (auto at = text.find(key); at != std::string_view::npos;
                 at = text.find(key, at + 1)) {
                auto i = text.find_first_not_of(" \t\r\n", at + key.size());
                if (i == std::string_view::npos || text[i] != ':')
                    continue;
                i = text.find_first_not_of(" \t\r\n", i + 1);
                if (i == std::string_view::npos || text[i] != '"')
                    continue;
                const auto end = text.find_first_of("\"\\", i + 1);
                values.emplace_back(text.substr(
                    i + 1, end == std::string_view::npos ? std::string_view::npos : end - i - 1));
            }
        }
    }

    std::vector<std::string> telling() const {
        std::vector<std::string> out;
        for (const auto& v : values) {
            const auto digits =
                std::count_if(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
            const bool in_a_name = std::any_of(names.begin(), names.end(), [&](const auto& n) {
                return n.find(v) != std::string::npos;
            });
            if (v.size() >= 10 && digits >= 6 && !in_a_name &&
                std::string_view("9223372036854775807").find(v) == std::string_view::npos)
                out.push_back(v);
        }
        return out;
    }
};

template <class Decode>
void expect_clean(Decode&& decode, const std::vector<std::string>& secrets) {
    try {
        decode();
    } catch (const signet::Error& e) {
        if (e.code() != signet::Errc::invalid_argument)
            std::abort();  // a client's body made the server fail: a 500, not a 400
        const std::string_view message = e.what();
        for (const auto& secret : secrets) {
            if (message.find(secret) != std::string_view::npos)
                std::abort();  // a refusal echoed a document number or a code
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace signet::api;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    Secrets found;
    const auto lenient = nlohmann::json::parse(text, nullptr, false);
    if (!lenient.is_discarded())
        found.collect(lenient);
    found.scan(text);
    const std::vector<std::string> secrets = found.telling();
    expect_clean(
        [&] {
            const JsonBody body = parse_ra_body(text);
            expect_clean([&] { (void)decode_create_subject(body); }, secrets);
            expect_clean([&] { (void)decode_subject_search(body); }, secrets);
            expect_clean([&] { (void)decode_subject_update(body); }, secrets);
            expect_clean([&] { (void)decode_evidence(body); }, secrets);
            expect_clean([&] { (void)decode_verification(body); }, secrets);
            expect_clean([&] { (void)decode_deactivation(body); }, secrets);
            expect_clean([&] { (void)decode_totp_enrolment(body); }, secrets);
            expect_clean([&] { (void)decode_sms_number(body); }, secrets);
            expect_clean([&] { (void)decode_challenge(body); }, secrets);
            expect_clean([&] { (void)decode_otp_verify(body); }, secrets);
            expect_clean([&] { (void)decode_agent_grant(body); }, secrets);
        },
        secrets);
    // The same bytes as a query string and as an id in a path.
    expect_clean([&] { (void)decode_subject_query(text); }, {});
    expect_clean([&] { (void)parse_id(text, "id"); }, {});
    return 0;
}
