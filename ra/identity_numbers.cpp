// Identity document numbers (ra/identity_numbers.hpp): GB 11643 resident identity numbers,
// GB 32100 unified social credit codes, passports; masking and the subject binding hash.
#include "ra/identity_numbers.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>

#include "common/bytes.hpp"
#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "ra/field_errors.hpp"

namespace signet::ra {

using detail::refuse;
using detail::trim;

namespace {

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

bool all_digits(std::string_view text) noexcept {
    return std::ranges::all_of(text, is_digit);
}

std::string upper_trimmed(std::string_view input) {
    std::string out(trim(input));
    std::ranges::transform(out, out.begin(), [](char c) {
        return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    });
    return out;
}

// --- GB 11643-1999: the citizen identity number ----------------------------------------------

// GB/T 2260's province-level divisions (the first two digits of the address code, GB 11643
// §5.2): 11-15 North, 21-23 North-east, 31-37 East, 41-46 Central-south, 50-54 South-west,
// 61-65 North-west, 71 Taiwan, 81 Hong Kong, 82 Macao; and 83, the code the residence permits
// of Taiwan residents carry (the State Council's 2018 residence permit rules give HK/Macao
// residents 81/82 and Taiwan residents 83 in the same 18-character format).
bool is_province_code(int code) noexcept {
    return (code >= 11 && code <= 15) || (code >= 21 && code <= 23) || (code >= 31 && code <= 37) ||
           (code >= 41 && code <= 46) || (code >= 50 && code <= 54) || (code >= 61 && code <= 65) ||
           code == 71 || code == 81 || code == 82 || code == 83;
}

int digits_value(std::string_view digits) noexcept {
    int value = 0;
    for (char c : digits)
        value = value * 10 + (c - '0');
    return value;
}

std::string parse_resident_id(std::string_view input, Date today) {
    std::string number(trim(input));
    if (number.size() != 18)
        refuse("id_number", "a resident identity number has 18 characters (GB 11643 §4)");
    if (number[17] == 'x')
        number[17] = 'X';  // the check character 10 is written 'X' (GB 11643 §5.4); 'x' is a typo
    if (!all_digits(std::string_view(number).substr(0, 17)) ||
        !(is_digit(number[17]) || number[17] == 'X')) {
        refuse("id_number",
               "a resident identity number is 17 digits and a digit or 'X' (GB 11643 §4)");
    }
    if (!is_province_code(digits_value(std::string_view(number).substr(0, 2)))) {
        refuse("id_number",
               "the address code does not start with a province-level code (GB 11643 §5.2, "
               "GB/T 2260)");
    }
    // GB 11643 §5.3: the birth date, YYYYMMDD, a real day.
    const Date birth{std::chrono::year(digits_value(std::string_view(number).substr(6, 4))),
                     std::chrono::month(static_cast<unsigned>(
                         digits_value(std::string_view(number).substr(10, 2)))),
                     std::chrono::day(static_cast<unsigned>(
                         digits_value(std::string_view(number).substr(12, 2))))};
    if (!birth.ok())
        refuse("id_number", "the birth date is not a calendar date (GB 11643 §5.3)");
    if (birth < Date{std::chrono::year(1900), std::chrono::January, std::chrono::day(1)})
        refuse("id_number", "the birth date is before 1900-01-01 (GB 11643 §5.3)");
    if (birth > today)
        refuse("id_number", "the birth date is in the future (GB 11643 §5.3)");
    if (gb11643_check_character(std::string_view(number).substr(0, 17)) != number[17])
        refuse("id_number", "the check character does not match (GB 11643 ISO 7064 MOD 11-2)");
    return number;
}

// --- GB 32100-2015: the unified social credit code -------------------------------------------

// The code's 31 characters, each worth its index (GB 32100 §4.1 Table 1): the digits and the
// capital letters without I, O, Z, S, V.
constexpr std::string_view kUsccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

int uscc_value(char c) noexcept {
    const auto at = kUsccAlphabet.find(c);
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// GB 11714-1997 §5: the organization code's check character over its first 8 characters
// (digits, or capital letters worth 10-35), weights 3 7 9 10 5 8 4 2, C9 = 11 - (sum mod 11),
// 10 written 'X' and 11 written '0'.
char gb11714_check_character(std::string_view body8) {
    constexpr std::array<int, 8> kWeights{3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        const char c = body8[i];
        sum += (is_digit(c) ? c - '0' : c - 'A' + 10) * kWeights[i];
    }
    const int check = 11 - sum % 11;
    return check == 10 ? 'X' : check == 11 ? '0' : static_cast<char>('0' + check);
}

std::string parse_uscc(std::string_view input) {
    const std::string number = upper_trimmed(input);
    if (number.size() != 18)
        refuse("id_number", "a unified social credit code has 18 characters (GB 32100 §4)");
    if (!std::ranges::all_of(number, [](char c) { return uscc_value(c) >= 0; })) {
        refuse("id_number",
               "a unified social credit code uses only 0-9 and A-Z without I, O, S, V, Z "
               "(GB 32100 §4.1)");
    }
    // Characters 1 and 2, the registration authority and the organization type, are only
    // checked against the alphabet: the table of allowed pairs has grown since 2015 (N for rural
    // collective economic organizations, A for the military...) and an outdated table would
    // refuse real organizations.
    if (!all_digits(std::string_view(number).substr(2, 6)))
        refuse("id_number", "characters 3-8 are the region code, 6 digits (GB 32100 §4.2.3)");
    const std::string_view organization = std::string_view(number).substr(8, 9);
    if (gb11714_check_character(organization.substr(0, 8)) != organization[8]) {
        refuse("id_number",
               "the organization code's check character does not match (GB 32100 §4.2.4, "
               "GB 11714)");
    }
    if (gb32100_check_character(std::string_view(number).substr(0, 17)) != number[17])
        refuse("id_number",
               "the check character does not match (GB 32100 §4.2.5 ISO 7064 MOD 31-3)");
    return number;
}

// --- Passports -------------------------------------------------------------------------------

// ISO 3166-1 alpha-2, the officially assigned codes (from Debian's iso-codes, 249 of them).
constexpr std::string_view kCountries =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR "
    "BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ "
    "EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW "
    "GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY "
    "KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV "
    "MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY "
    "QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG "
    "TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM "
    "ZW";

std::string parse_country(std::string_view input) {
    const std::string country = upper_trimmed(input);
    if (country.size() != 2 ||
        !std::ranges::all_of(country, [](char c) { return c >= 'A' && c <= 'Z'; }) ||
        kCountries.find(country) == std::string_view::npos) {
        refuse("issuing_country", "is not an ISO 3166-1 alpha-2 country code");
    }
    return country;
}

std::string parse_passport(std::string_view input) {
    const std::string number = upper_trimmed(input);
    if (number.size() < 5 || number.size() > 20)
        refuse("id_number", "a passport number has 5 to 20 characters");
    if (!std::ranges::all_of(number, [](char c) { return is_digit(c) || (c >= 'A' && c <= 'Z'); }))
        refuse("id_number", "a passport number has only the characters A-Z and 0-9");
    return number;
}

std::string base64url(ByteView bytes) {
    std::string text = to_base64(bytes);
    std::erase(text, '=');
    std::ranges::replace(text, '+', '-');
    std::ranges::replace(text, '/', '_');
    return text;
}

}  // namespace

std::string_view to_string(DocumentKind kind) noexcept {
    switch (kind) {
        case DocumentKind::cn_resident_id:
            return "cn_resident_id";
        case DocumentKind::cn_uscc:
            return "cn_uscc";
        case DocumentKind::passport:
            return "passport";
    }
    return "unknown";
}

char gb11643_check_character(std::string_view body17) {
    // ISO 7064 MOD 11-2 (GB 11643 §5.4): weight W_i = 2^(i-1) mod 11 for position i counted from
    // the right with the check character at i = 1; the check value makes the weighted sum
    // congruent to 1 mod 11, i.e. (12 - S mod 11) mod 11, 10 written 'X'.
    int sum = 0;
    int weight = 2;  // position 17 from the left is i = 2
    for (std::size_t k = 17; k-- > 0;) {
        sum += (body17[k] - '0') * weight;
        weight = weight * 2 % 11;
    }
    const int check = (12 - sum % 11) % 11;
    return check == 10 ? 'X' : static_cast<char>('0' + check);
}

char gb32100_check_character(std::string_view body17) {
    // GB 32100 §4.2.5 (ISO 7064's hybrid MOD 31 in the standard's form): W_i = 3^(i-1) mod 31
    // for i = 1..17 from the left, C18 = 31 - (sum of C_i W_i mod 31), 31 written '0'.
    int sum = 0;
    int weight = 1;
    for (std::size_t i = 0; i < 17; ++i) {
        sum += uscc_value(body17[i]) * weight;
        weight = weight * 3 % 31;
    }
    const int check = (31 - sum % 31) % 31;
    return kUsccAlphabet[static_cast<std::size_t>(check)];
}

std::string mask_number(std::string_view number) {
    const std::size_t keep = std::min<std::size_t>(4, number.size() / 4);
    std::string masked(number);
    std::fill(masked.begin() + static_cast<long>(keep), masked.end() - static_cast<long>(keep),
              'X');
    return masked;
}

IdentityDocument parse_identity_document(std::string_view kind, std::string_view number, Date today,
                                         std::string_view issuing_country) {
    IdentityDocument document;
    if (kind == "cn_resident_id" || kind == "cn_uscc") {
        document.kind = kind == "cn_uscc" ? DocumentKind::cn_uscc : DocumentKind::cn_resident_id;
        if (!issuing_country.empty() && parse_country(issuing_country) != "CN")
            refuse("issuing_country", "must be CN (or empty) for a PRC document");
        document.country = "CN";
        document.number = document.kind == DocumentKind::cn_uscc ? parse_uscc(number)
                                                                 : parse_resident_id(number, today);
    } else if (kind == "passport") {
        document.kind = DocumentKind::passport;
        if (issuing_country.empty())
            refuse("issuing_country", "a passport needs its issuing country");
        document.country = parse_country(issuing_country);
        document.number = parse_passport(number);
    } else {
        refuse("document_kind", "is not one of cn_resident_id, cn_uscc, passport");
    }
    document.masked = mask_number(document.number);
    return document;
}

std::string subject_binding_hash(std::string_view name, DocumentKind kind, std::string_view country,
                                 std::string_view normalized_number) {
    // Two countries may issue the same passport number: the country is part of what is bound.
    if (country.size() != 2 ||
        !std::ranges::all_of(country, [](char c) { return c >= 'A' && c <= 'Z'; }))
        refuse("issuing_country", "is two upper-case letters (ISO 3166-1 alpha-2)");
    const auto collapsed = collapse_white_space(name);
    if (!collapsed)
        refuse("name", "is not UTF-8");
    if (collapsed->empty())
        refuse("name", "is empty");
    const auto normal = to_nfc(*collapsed);
    if (!normal)
        refuse("name", "cannot be normalized to NFC");
    std::string input = *normal;
    input += '\0';
    input += to_string(kind);
    input += '\0';
    input += country;
    input += '\0';
    input += normalized_number;
    const Sha256Digest digest = sha256_of(input);
    OPENSSL_cleanse(input.data(), input.size());  // it held the document number
    return base64url(digest);
}

}  // namespace signet::ra
