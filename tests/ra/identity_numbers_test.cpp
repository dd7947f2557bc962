// Identity numbers (ra/identity_numbers.hpp): GB 11643 and GB 32100 check characters with
// published valid numbers, every single-character change refused, dates, passports, masking,
// E.164 and e-mail edges, the subject binding hash, and no error message carrying the number.
#include "ra/identity_numbers.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "common/error.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::ra;
using namespace std::chrono;
using signet::testing::expect_error;

namespace {

const Date kToday{year(2026), December, day(6)};

// GB 11643-1999's own example (its §5.4 worked example, also in its Annex).
constexpr const char* kStandardIdNumber = "11010519491231002X";
// Public registry entries (the National Enterprise Credit Information Publicity System):
// Huawei Technologies Co., Ltd. and Shenzhen Tencent Computer Systems Co., Ltd.
constexpr const char* kHuaweiUscc = "914403001922038216";
constexpr const char* kTencentUscc = "9144030071526726XG";

std::string id_number(std::string body17) {
    return body17 + gb11643_check_character(body17);
}

// The error's text, or "" when `number` is accepted.
std::string refusal(std::string_view kind, std::string_view number,
                    std::string_view country = {}) {
    try {
        (void)parse_identity_document(kind, number, kToday, country);
        return "";
    } catch (const Error& e) {
        BOOST_CHECK_EQUAL(to_string(e.code()), "invalid_argument");
        return e.what();
    }
}

// Every position, every other character of `alphabet`: all refused, and no message carries
// the number.
void every_substitution_refused(std::string_view kind, const std::string& valid,
                                std::string_view alphabet) {
    int tried = 0;
    for (std::size_t i = 0; i < valid.size(); ++i) {
        for (char c : alphabet) {
            if (c == valid[i])
                continue;
            std::string changed = valid;
            changed[i] = c;
            const std::string why = refusal(kind, changed);
            BOOST_CHECK_MESSAGE(!why.empty(), kind << ": position " << i << " -> " << c
                                                   << " was accepted");
            BOOST_CHECK(why.find(changed) == std::string::npos);
            ++tried;
        }
    }
    BOOST_TEST_MESSAGE(kind << ": " << tried << " substitutions refused");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ra_identity_numbers)

BOOST_AUTO_TEST_CASE(published_numbers_are_accepted_normalized_and_masked) {
    const auto id = parse_identity_document("cn_resident_id", kStandardIdNumber, kToday);
    BOOST_CHECK(id.kind == DocumentKind::cn_resident_id);
    BOOST_CHECK_EQUAL(id.number, kStandardIdNumber);
    BOOST_CHECK_EQUAL(id.masked, "1101XXXXXXXXXX002X");
    BOOST_CHECK_EQUAL(id.country, "CN");
    // Trimmed, and a lower-case 'x' taken for the check character 'X'.
    BOOST_CHECK_EQUAL(
        parse_identity_document("cn_resident_id", "  11010519491231002x\t", kToday).number,
        kStandardIdNumber);
    for (const char* code : {kHuaweiUscc, kTencentUscc}) {
        const auto org = parse_identity_document("cn_uscc", code, kToday, "cn");
        BOOST_CHECK_EQUAL(org.number, code);
        BOOST_CHECK_EQUAL(org.masked.substr(4, 10), "XXXXXXXXXX");
    }
    BOOST_CHECK_EQUAL(parse_identity_document("cn_uscc", " 9144030071526726xg ", kToday).number,
                      kTencentUscc);
}

BOOST_AUTO_TEST_CASE(check_characters_follow_the_standards) {
    BOOST_CHECK_EQUAL(gb11643_check_character("11010519491231002"), 'X');
    BOOST_CHECK_EQUAL(gb32100_check_character("91440300192203821"), '6');
    BOOST_CHECK_EQUAL(gb32100_check_character("9144030071526726X"), 'G');
}

BOOST_AUTO_TEST_CASE(every_single_character_substitution_is_refused) {
    // ISO 7064 MOD 11-2 and GB 32100's MOD 31 detect every single substitution (their moduli
    // are prime and no weight is 0); the syntax refuses what is outside the alphabet.
    // (a lower-case x for the final X is the same number, tested above)
    every_substitution_refused("cn_resident_id", kStandardIdNumber, "0123456789XA ");
    every_substitution_refused("cn_resident_id", id_number("44030019900307123"), "0123456789X");
    every_substitution_refused("cn_uscc", kHuaweiUscc, "0123456789ABCDEFGHJKLMNPQRTUWXYIOSVZ");
    every_substitution_refused("cn_uscc", kTencentUscc, "0123456789ABCDEFGHJKLMNPQRTUWXYIOSVZ");
}

BOOST_AUTO_TEST_CASE(adjacent_transpositions_are_refused) {
    // MOD 11-2: adjacent weights differ mod 11, so swapping two different adjacent characters
    // changes the weighted sum: every such transposition is caught. GB 32100's MOD 31 likewise
    // over positions 1-17; a swap of positions 17 and 18 is not guaranteed by the scheme (for
    // these examples, the GB 11714 check or the code's own catches it).
    for (const std::string& valid : {std::string(kStandardIdNumber), id_number("44030019900307123")}) {
        for (std::size_t i = 0; i + 1 < valid.size(); ++i) {
            if (valid[i] == valid[i + 1])
                continue;
            std::string swapped = valid;
            std::swap(swapped[i], swapped[i + 1]);
            BOOST_CHECK_MESSAGE(!refusal("cn_resident_id", swapped).empty(), "swap at " << i);
        }
    }
    for (const std::string valid : {kHuaweiUscc, kTencentUscc}) {
        for (std::size_t i = 0; i + 1 < valid.size(); ++i) {
            if (valid[i] == valid[i + 1])
                continue;
            std::string swapped = valid;
            std::swap(swapped[i], swapped[i + 1]);
            BOOST_CHECK_MESSAGE(!refusal("cn_uscc", swapped).empty(), "swap at " << i);
        }
    }
}

BOOST_AUTO_TEST_CASE(birth_dates_must_be_real_and_not_in_the_future) {
    BOOST_CHECK(refusal("cn_resident_id", id_number("11010520000229123")).empty());  // leap year
    BOOST_CHECK(refusal("cn_resident_id", id_number("11010520261206123")).empty());  // today
    BOOST_CHECK(refusal("cn_resident_id", id_number("11010519000101123")).empty());
    const std::pair<const char*, const char*> refused[] = {
        {"11010519000229123", "not a calendar date"},  // 1900 is not a leap year
        {"11010520230229123", "not a calendar date"},
        {"11010519901301123", "not a calendar date"},  // month 13
        {"11010519900001123", "not a calendar date"},  // month 0
        {"11010519900431123", "not a calendar date"},  // April 31
        {"11010519900100123", "not a calendar date"},  // day 0
        {"11010520261207123", "in the future"},        // tomorrow
        {"11010518991231123", "before 1900-01-01"},
    };
    for (const auto& [body, why] : refused) {
        BOOST_CHECK_MESSAGE(refusal("cn_resident_id", id_number(body)).find(why) !=
                                std::string::npos,
                            body << ": " << refusal("cn_resident_id", id_number(body)));
    }
}

BOOST_AUTO_TEST_CASE(resident_numbers_need_a_province_code_and_exact_syntax) {
    BOOST_CHECK(refusal("cn_resident_id", id_number("83000019900101123")).empty());  // Taiwan permit
    for (const char* body : {"00010519491231002", "10010519491231002", "39010519491231002",
                             "72010519491231002", "91010519491231002"}) {
        BOOST_CHECK(refusal("cn_resident_id", id_number(body)).find("province") !=
                    std::string::npos);
    }
    for (const char* bad : {"", "11010519491231002", "11010519491231002X0", "1101051949123100 2X",
                            "11010519491231002Y", "X10105194912310022", "１1010519491231002X"}) {
        BOOST_CHECK(!refusal("cn_resident_id", bad).empty());
    }
}

BOOST_AUTO_TEST_CASE(passports_need_a_country_and_a_plain_number) {
    const auto passport = parse_identity_document("passport", " e12345678 ", kToday, "cn");
    BOOST_CHECK(passport.kind == DocumentKind::passport);
    BOOST_CHECK_EQUAL(passport.number, "E12345678");
    BOOST_CHECK_EQUAL(passport.country, "CN");
    BOOST_CHECK_EQUAL(passport.masked, "E1XXXXX78");
    BOOST_CHECK_EQUAL(parse_identity_document("passport", "C01X00T47", kToday, "DE").number,
                      "C01X00T47");
    BOOST_CHECK(refusal("passport", "E12345678").find("'issuing_country'") != std::string::npos);
    BOOST_CHECK(refusal("passport", "E12345678", "XX").find("ISO 3166-1") != std::string::npos);
    BOOST_CHECK(refusal("passport", "E12345678", "CHN").find("ISO 3166-1") != std::string::npos);
    BOOST_CHECK(refusal("passport", "E1234", "FR").empty());
    BOOST_CHECK(!refusal("passport", "E123", "FR").empty());
    BOOST_CHECK(!refusal("passport", std::string(21, '1'), "FR").empty());
    BOOST_CHECK(!refusal("passport", "E1234-5678", "FR").empty());
    BOOST_CHECK(!refusal("passport", "E1234 5678", "FR").empty());
    BOOST_CHECK(refusal("cn_resident_id", kStandardIdNumber, "US").find("must be CN") !=
                std::string::npos);
    BOOST_CHECK(refusal("driving_licence", "E12345678", "FR").find("'document_kind'") !=
                std::string::npos);
}

BOOST_AUTO_TEST_CASE(masks_keep_at_most_a_quarter_at_each_end) {
    BOOST_CHECK_EQUAL(mask_number("11010519491231002X"), "1101XXXXXXXXXX002X");
    BOOST_CHECK_EQUAL(mask_number("ABCDEFGHIJKLMNOPQRST"), "ABCDXXXXXXXXXXXXQRST");
    BOOST_CHECK_EQUAL(mask_number("ABCDEFGH"), "ABXXXXGH");
    BOOST_CHECK_EQUAL(mask_number("ABCDE"), "AXXXE");
    BOOST_CHECK_EQUAL(mask_number("ABC"), "XXX");
}

BOOST_AUTO_TEST_CASE(no_error_message_carries_the_number) {
    const std::vector<std::pair<std::string, std::string>> inputs = {
        {"cn_resident_id", "11010519491231002Y"}, {"cn_resident_id", "11010519491231003X"},
        {"cn_resident_id", "11010519491331002X"}, {"cn_uscc", "914403001922038217"},
        {"cn_uscc", "914403001922038SI6"},       {"passport", "E1234-5678"},
        {"no_such_kind", "E12345678"},
    };
    for (const auto& [kind, number] : inputs) {
        const std::string why = refusal(kind, number, kind == "passport" ? "FR" : "");
        BOOST_CHECK(!why.empty());
        BOOST_CHECK_MESSAGE(why.find(number) == std::string::npos, why);
        BOOST_CHECK_MESSAGE(why.find(number.substr(4, 8)) == std::string::npos, why);
    }
    for (const char* mobile : {"+86 138 0013 8000", "8613800138000"}) {
        try {
            normalize_e164(mobile);
            BOOST_ERROR("accepted");
        } catch (const Error& e) {
            BOOST_CHECK(std::string(e.what()).find("13800138000") == std::string::npos);
            BOOST_CHECK(std::string(e.what()).find("'mobile'") != std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(e164_numbers) {
    BOOST_CHECK_EQUAL(normalize_e164(" +8613800138000 "), "+8613800138000");
    BOOST_CHECK_EQUAL(normalize_e164("+12025550123"), "+12025550123");
    BOOST_CHECK_EQUAL(normalize_e164("+12345678"), "+12345678");                 // 8 digits
    BOOST_CHECK_EQUAL(normalize_e164("+123456789012345"), "+123456789012345");   // 15 digits
    expect_error([] { normalize_e164("+1234567"); }, Errc::invalid_argument, "8 to 15 digits");
    expect_error([] { normalize_e164("+1234567890123456"); }, Errc::invalid_argument,
                 "8 to 15 digits");
    expect_error([] { normalize_e164("+0861380013800"); }, Errc::invalid_argument,
                 "does not start with 0");
    expect_error([] { normalize_e164("008613800138000"); }, Errc::invalid_argument, "'+'");
    expect_error([] { normalize_e164("+86-138-0013-8000"); }, Errc::invalid_argument,
                 "digits only");
    expect_error([] { normalize_e164(""); }, Errc::invalid_argument, "'mobile'");
    expect_error([] { normalize_e164("+"); }, Errc::invalid_argument, "8 to 15 digits");
}

BOOST_AUTO_TEST_CASE(email_addresses) {
    BOOST_CHECK_EQUAL(normalize_email(" Wang.Fang+sign@Example.COM "), "Wang.Fang+sign@example.com");
    BOOST_CHECK_EQUAL(normalize_email("a@b.cn"), "a@b.cn");
    const std::string local64(64, 'a');
    BOOST_CHECK_EQUAL(normalize_email(local64 + "@example.com"), local64 + "@example.com");
    // 254 characters in all: 64 + '@' + 189 of domain.
    const std::string domain189 = std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                                  std::string(61, 'd');
    BOOST_CHECK_EQUAL(normalize_email(local64 + "@" + domain189).size(), 254u);
    for (const std::string& bad :
         {std::string(""), std::string("wang"), std::string("@example.com"),
          std::string("wang@"), std::string("wang@@example.com"), std::string("a@b@example.com"),
          std::string("wang fang@example.com"), std::string("wang@exa mple.com"),
          std::string(".wang@example.com"), std::string("wang.@example.com"),
          std::string("wang..fang@example.com"), std::string("wang@localhost"),
          std::string("wang@-example.com"), std::string("wang@example-.com"),
          std::string("wang@example..com"), std::string("wang@[192.0.2.1]"),
          std::string("\"wang\"@example.com"), std::string("wang\n@example.com"),
          std::string("王@example.com"), local64 + "a@example.com",
          local64 + "@" + domain189 + "e", "wang@" + std::string(64, 'b') + ".com"}) {
        expect_error([&] { normalize_email(bad); }, Errc::invalid_argument, "'email'");
    }
}

BOOST_AUTO_TEST_CASE(subject_binding_hash_is_the_documented_contract) {
    // SHA-256(name || 0x00 || kind || 0x00 || country || 0x00 || number), computed
    // independently with Python's hashlib and base64.urlsafe_b64encode, '=' stripped.
    const std::string expected = subject_binding_hash("王芳", DocumentKind::cn_resident_id, "CN",
                                                      kStandardIdNumber);
    BOOST_CHECK_EQUAL(expected.size(), 43u);
    BOOST_CHECK(expected.find_first_of("+/=") == std::string::npos);
    BOOST_CHECK_EQUAL(expected, "-j-e5eA05q3uLnxeZ_nfUQ01Bp3iIxwh34UUmH76N30");
    BOOST_CHECK_EQUAL(subject_binding_hash("John Smith", DocumentKind::passport, "GB", "E12345678"),
                      "pUpvun5NFxJ8p5nIIYjh4yWBBUnU12cfIGKNu61pQ3A");
    // Two countries may issue the same passport number: two different bindings.
    BOOST_CHECK_NE(subject_binding_hash("John Smith", DocumentKind::passport, "GB", "E12345678"),
                   subject_binding_hash("John Smith", DocumentKind::passport, "FR", "E12345678"));
    // White space trimmed and collapsed (U+3000 IDEOGRAPHIC SPACE, TAB, NBSP too), and NFC.
    BOOST_CHECK_EQUAL(
        subject_binding_hash("Zoë  Ångström", DocumentKind::passport, "SE", "E12345678"),
        subject_binding_hash("\u3000Zoe\u0308\t\u00a0A\u030angstro\u0308m ", DocumentKind::passport,
                             "SE", "E12345678"));
    BOOST_CHECK_NE(subject_binding_hash("Zoë Ångström", DocumentKind::passport, "SE", "E12345678"),
                   subject_binding_hash("ZoëÅngström", DocumentKind::passport, "SE", "E12345678"));
    BOOST_CHECK_NE(subject_binding_hash("王芳", DocumentKind::passport, "CN", kStandardIdNumber),
                   expected);
    BOOST_CHECK_NE(
        subject_binding_hash("王芳", DocumentKind::cn_resident_id, "CN", "11010519491231003X"),
        expected);
    expect_error([] { subject_binding_hash(" \t", DocumentKind::passport, "GB", "E12345678"); },
                 Errc::invalid_argument, "'name': is empty");
    expect_error([] { subject_binding_hash("\xff", DocumentKind::passport, "GB", "E12345678"); },
                 Errc::invalid_argument, "'name': is not UTF-8");
    for (const char* country : {"", "gb", "GBR", "G1"})
        expect_error(
            [&] { subject_binding_hash("John Smith", DocumentKind::passport, country, "E12345678"); },
            Errc::invalid_argument, "'issuing_country'");
}

BOOST_AUTO_TEST_SUITE_END()
