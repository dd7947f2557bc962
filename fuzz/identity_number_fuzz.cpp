// libFuzzer target: the RA's identity-number parsers (ra/identity_numbers.hpp) on arbitrary
// bytes. The first byte chooses the kind and the country; the rest is the number, which is also
// given to the E.164, e-mail and binding-hash functions. Every input gives a result or one
// signet::Error with Errc::invalid_argument whose message never holds the input (a document
// number); never a crash, a hang, a leak or another exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "ra/identity_numbers.hpp"

namespace {

// A refusal is invalid_argument and does not echo the input. Checked for inputs holding a
// U+0001, which no rule's text does (so a plain input that happens to be a piece of a rule,
// "an address", is not taken for an echo).
void check_refusal(const signet::Error& e, std::string_view input) {
    if (e.code() != signet::Errc::invalid_argument)
        std::abort();
    if (input.find('\x01') != std::string_view::npos &&
        std::string_view(e.what()).find(input) != std::string_view::npos) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace signet::ra;
    if (size == 0)
        return 0;
    static constexpr std::string_view kKinds[] = {"cn_resident_id", "cn_uscc", "passport", "x"};
    static constexpr std::string_view kCountries[] = {"", "CN", "cn", "FR", "XX", "CHN"};
    const std::string_view kind = kKinds[data[0] % 4];
    const std::string_view country = kCountries[(data[0] / 4) % 6];
    const std::string_view number(reinterpret_cast<const char*>(data + 1), size - 1);
    const Date today{std::chrono::year(2026), std::chrono::December, std::chrono::day(6)};
    try {
        const IdentityDocument document = parse_identity_document(kind, number, today, country);
        if (document.masked.size() != document.number.size() ||
            parse_identity_document(kind, document.number, today, country).number !=
                document.number) {
            std::abort();  // normalizing twice changes nothing
        }
        (void)subject_binding_hash("Wang Fang", document.kind, document.country, document.number);
    } catch (const signet::Error& e) {
        check_refusal(e, number);
    }
    try {
        (void)normalize_e164(number);
    } catch (const signet::Error& e) {
        check_refusal(e, number);
    }
    try {
        (void)normalize_email(number);
    } catch (const signet::Error& e) {
        check_refusal(e, number);
    }
    try {
        (void)subject_binding_hash(number, DocumentKind::passport, "GB", "E12345678");
    } catch (const signet::Error& e) {
        check_refusal(e, number);
    }
    return 0;
}
