#include "common/error.hpp"

#include <cctype>
#include <string>

#include <openssl/err.h>
#include <openssl/evp.h>

#include <boost/test/unit_test.hpp>

#include "common/bytes.hpp"

using namespace signet;

BOOST_AUTO_TEST_SUITE(error)

BOOST_AUTO_TEST_CASE(openssl_errors_are_drained_into_the_message) {
    // Provoke a real OpenSSL failure: an unknown digest name.
    BOOST_CHECK(EVP_MD_fetch(nullptr, "NO-SUCH-DIGEST", nullptr) == nullptr);
    try {
        throw_openssl_error("fetching the digest");
    } catch (const Error& e) {
        BOOST_CHECK(e.code() == Errc::crypto);
        BOOST_CHECK(std::string(e.what()).starts_with("fetching the digest: error:"));
    }
    // Nothing is left behind for an unrelated later call to trip over.
    BOOST_CHECK_EQUAL(ERR_peek_error(), 0u);
}

// The one drain (common/error.hpp), which the TSA's responder and verifier use too: a
// provider's own reason (the HSM bridge's) is kept, and the queue is left empty.
BOOST_AUTO_TEST_CASE(the_one_drain_keeps_a_providers_reason_and_empties_the_queue) {
    ERR_raise_data(ERR_LIB_USER, ERR_R_INTERNAL_ERROR, "the HSM said %s", "no");
    ERR_raise(ERR_LIB_USER, ERR_R_PASSED_NULL_PARAMETER);
    const std::string text = drain_openssl_errors();
    BOOST_CHECK_MESSAGE(text.find("(the HSM said no)") != std::string::npos, text);
    BOOST_CHECK_MESSAGE(text.find("; error:") != std::string::npos, text);
    BOOST_CHECK_EQUAL(ERR_peek_error(), 0u);
    BOOST_CHECK_EQUAL(drain_openssl_errors("no reason given"), "no reason given");
}

BOOST_AUTO_TEST_CASE(codes_have_stable_names) {
    BOOST_CHECK_EQUAL(to_string(Errc::invalid_argument), "invalid_argument");
    BOOST_CHECK_EQUAL(to_string(Errc::unavailable), "unavailable");
    BOOST_CHECK_EQUAL(to_string(Errc::hsm), "hsm");
    Error e(Errc::hsm, "C_Sign failed: CKR_DEVICE_ERROR", Pkcs11Failure{"C_Sign", 0x30});
    BOOST_REQUIRE(e.pkcs11());
    BOOST_CHECK_EQUAL(e.pkcs11()->function, "C_Sign");
    BOOST_CHECK(!Error(Errc::io, "x").pkcs11());
}

BOOST_AUTO_TEST_CASE(hex_round_trip_and_bad_input) {
    const Bytes bytes{0x00, 0x7f, 0xff, 0x10};
    BOOST_CHECK_EQUAL(to_hex(bytes), "007fff10");
    BOOST_CHECK(from_hex("007FFF10") == bytes);
    BOOST_CHECK_THROW(from_hex("abc"), Error);
    BOOST_CHECK_THROW(from_hex("zz"), Error);
}

// from_hex decodes by table (the vault's chunks are megabytes of bytea hex): every byte value in
// both cases, and every character that is not a digit refused wherever it stands.
BOOST_AUTO_TEST_CASE(hex_decodes_every_byte_and_refuses_every_non_digit) {
    Bytes all(256);
    for (std::size_t b = 0; b < all.size(); ++b)
        all[b] = static_cast<std::uint8_t>(b);
    std::string upper = to_hex(all);
    for (char& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    BOOST_CHECK(from_hex(to_hex(all)) == all);
    BOOST_CHECK(from_hex(upper) == all);
    BOOST_CHECK(from_hex("").empty());
    const std::string digits = "0123456789abcdefABCDEF";
    for (int c = 0; c < 256; ++c) {
        if (digits.find(static_cast<char>(c)) != std::string::npos)
            continue;
        constexpr std::size_t kPositions[] = {0, 1, 6, 7};
        for (const std::size_t at : kPositions) {
            std::string text = "00112233";
            text[at] = static_cast<char>(c);
            try {
                (void)from_hex(text);
                BOOST_ERROR("from_hex took character " << c << " at " << at);
            } catch (const Error& e) {
                BOOST_CHECK(e.code() == Errc::invalid_argument);
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
