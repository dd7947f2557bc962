// Text from outside: which characters a name may hold, and how client input is quoted in errors.
#include "common/text.hpp"

#include <boost/test/unit_test.hpp>

using namespace signet;

BOOST_AUTO_TEST_SUITE(text)

BOOST_AUTO_TEST_CASE(utf8_length_counts_characters_and_refuses_what_is_not_utf8) {
    BOOST_CHECK_EQUAL(utf8_length("Wang Fang").value(), 9u);
    BOOST_CHECK_EQUAL(utf8_length("王芳").value(), 2u);
    BOOST_CHECK_EQUAL(utf8_length("\xF0\x9F\x98\x80").value(), 1u);  // U+1F600
    BOOST_CHECK(!utf8_length("\xC0\xAF"));                           // overlong '/'
    BOOST_CHECK(!utf8_length("\xED\xA0\x80"));                       // a lone surrogate U+D800
    BOOST_CHECK(!utf8_length("\xF4\x90\x80\x80"));                   // above U+10FFFF
    BOOST_CHECK(!utf8_length("abc\xE4\xB8"));                        // cut short
    BOOST_CHECK(!utf8_length("\xFF"));
}

BOOST_AUTO_TEST_CASE(names_refuse_control_and_invisible_characters_and_non_nfc) {
    for (const char* fine :
         {"Wang Fang", "王芳", "Zoë Ångström", "O'Brien, \"Jr\"+<x>;=#\\", "  spaced  ",
          "葛\xF3\xA0\x84\x80" /* U+845B + VS17: a glyph choice */}) {
        BOOST_CHECK_MESSAGE(!name_text_problem(fine), fine << ": " << *name_text_problem(fine));
    }
    const std::pair<std::string, std::string> refused[] = {
        {"Wang\tFang", "U+0009"},
        {"Wang\nFang", "U+000A"},
        {std::string("Wang\0Fang", 9), "U+0000"},
        {"Wang\xC2\x85", "U+0085"},             // NEL, a C1 control
        {"evil\xE2\x80\xAEgnp.exe", "U+202E"},  // RIGHT-TO-LEFT OVERRIDE
        {"Wang\xE2\x80\x8B"
         "Fang",
         "U+200B"},                       // ZERO WIDTH SPACE
        {"\xEF\xBB\xBFWang", "U+FEFF"},   // BOM
        {"Wang\xE2\x81\xA6x", "U+2066"},  // LEFT-TO-RIGHT ISOLATE
        {"Wang\xC2\xAD"
         "Fang",
         "U+00AD"},                      // SOFT HYPHEN
        {"\xE3\x85\xA4", "U+3164"},      // HANGUL FILLER (looks like nothing)
        {"Wang\xE2\x80\xA8", "U+2028"},  // LINE SEPARATOR
        {"\xEE\x80\x80", "U+E000"},      // private use
        {"\xEF\xB7\x90", "U+FDD0"},      // a noncharacter
        {"\xED\xA0\x80", "not UTF-8"},   // an unpaired surrogate
        {"Zoe\xCC\x88", "NFC"},          // e + COMBINING DIAERESIS, not NFC
    };
    for (const auto& [value, needle] : refused) {
        const auto problem = name_text_problem(value);
        BOOST_REQUIRE_MESSAGE(problem, "accepted: " << needle);
        BOOST_CHECK_MESSAGE(problem->find(needle) != std::string::npos, *problem);
    }
}

BOOST_AUTO_TEST_CASE(printable_string_alphabet) {
    BOOST_CHECK(is_printable_string("1101XXXXXXXXXX1234"));
    BOOST_CHECK(is_printable_string("A-Z a-z 0-9 '()+,-./:=?"));
    BOOST_CHECK(!is_printable_string("1101****1234"));
    BOOST_CHECK(!is_printable_string("a@b"));
    BOOST_CHECK(!is_printable_string("é"));
}

BOOST_AUTO_TEST_CASE(quoted_input_is_short_and_shows_hidden_characters) {
    BOOST_CHECK_EQUAL(quote_input("personal"), "'personal'");
    const std::string long_name(16384, 'p');
    BOOST_CHECK_EQUAL(quote_input(long_name), "'" + std::string(64, 'p') + "'...(16384 bytes)");
    BOOST_CHECK_EQUAL(quote_input("a\tb\nc\r"), "'a\\tb\\nc\\r'");
    BOOST_CHECK_EQUAL(quote_input("it's a \\"), "'it\\'s a \\\\'");
    BOOST_CHECK_EQUAL(quote_input("evil\xE2\x80\xAEtxt"), "'evil\\u{202E}txt'");
    BOOST_CHECK_EQUAL(quote_input(std::string("a\0b", 3)), "'a\\u{0000}b'");
    BOOST_CHECK_EQUAL(quote_input("\xFF\xFE"), "'\\xFF\\xFE'");
    // Characters, not bytes: a multi-byte character is never cut.
    BOOST_CHECK_EQUAL(quote_input("王芳王芳", 2), "'王芳'...(12 bytes)");
}

BOOST_AUTO_TEST_CASE(nfc_and_white_space_collapsing) {
    BOOST_CHECK_EQUAL(to_nfc("Zoe\u0308 A\u030angstro\u0308m").value(), "Zo\u00eb \u00c5ngstr\u00f6m");
    BOOST_CHECK_EQUAL(to_nfc("\u2126").value(), "\u03a9");  // OHM SIGN -> GREEK CAPITAL OMEGA
    BOOST_CHECK_EQUAL(to_nfc("王芳").value(), "王芳");
    BOOST_CHECK_EQUAL(to_nfc("").value(), "");
    BOOST_CHECK(!to_nfc("\xC0\xAF"));
    BOOST_CHECK_EQUAL(collapse_white_space(" \tWang \u3000\u00a0 Fang\n").value(), "Wang Fang");
    BOOST_CHECK_EQUAL(collapse_white_space(" \t ").value(), "");
    BOOST_CHECK(!collapse_white_space("Wang\xFF"));
}

BOOST_AUTO_TEST_SUITE_END()
