// The RA's cryptography in a real SoftHSM token (ra/hsm_keys.hpp): the OTP codes' keyed hash and
// the TOTP seeds' wrapping, and the identity documents' keyed hash.
#include "ra/hsm_keys.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "tests/support/expect.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet;
using signet::testing::expect_error;
using signet::testing::SoftHsm;

namespace {

struct Fixture {
    std::shared_ptr<hsm::Token> token = SoftHsm::instance().open_new_token("ra-keys");
    Fixture() {
        token->generate_hmac_key("otp-hmac");
        token->generate_hmac_key("identity-hmac");
        token->generate_kek("seed-kek");
    }
};

bool contains(const Bytes& haystack, ByteView needle) {
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
           haystack.end();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hsm_keys)

BOOST_AUTO_TEST_CASE(otp_crypto_hashes_wraps_and_draws_in_the_token) {
    Fixture f;
    ra::HsmOtpCrypto crypto(f.token, "otp-hmac", "seed-kek");
    BOOST_CHECK_EQUAL(crypto.kek_label(), "seed-kek");

    const Bytes code = {'1', '2', '3', '4', '5', '6'};
    const Bytes hash = crypto.keyed_hash(code);
    BOOST_CHECK_EQUAL(hash.size(), 32u);
    BOOST_CHECK(hash == crypto.keyed_hash(code));
    BOOST_CHECK(hash == f.token->hmac_sha256("otp-hmac", code));
    // Another key gives another hash: the label is the one configured.
    BOOST_CHECK(hash != f.token->hmac_sha256("identity-hmac", code));
    BOOST_CHECK(hash != crypto.keyed_hash(Bytes{'1', '2', '3', '4', '5', '7'}));

    const Bytes seed = crypto.random(20);
    BOOST_CHECK_EQUAL(seed.size(), 20u);
    BOOST_CHECK(seed != crypto.random(20));
    const Bytes blob = crypto.wrap_seed(seed);
    BOOST_CHECK(!contains(blob, seed));
    const Secret back = crypto.unwrap_seed(blob);
    BOOST_CHECK(std::ranges::equal(as_bytes(back.view()), seed));
    Bytes tampered = blob;
    tampered[tampered.size() / 2] ^= 1;
    BOOST_CHECK_THROW(crypto.unwrap_seed(tampered), Error);
}

BOOST_AUTO_TEST_CASE(a_missing_key_is_unavailable_at_each_use_and_named) {
    Fixture f;
    ra::HsmOtpCrypto missing_hmac(f.token, "no-such-key", "seed-kek");
    expect_error([&] { missing_hmac.keyed_hash(as_bytes("x")); }, Errc::unavailable,
                 "no HMAC key 'no-such-key'");
    const auto document_hmac = ra::document_hmac_function(f.token, "no-such-key");
    expect_error([&] { document_hmac(as_bytes("x")); }, Errc::unavailable,
                 "signetctl hsm hmac-key --label no-such-key");
    // Made later, the key is used from then on: the node recovers without a restart.
    f.token->generate_hmac_key("no-such-key");
    BOOST_CHECK_EQUAL(document_hmac(as_bytes("x")).size(), 32u);
    BOOST_CHECK_EQUAL(missing_hmac.keyed_hash(as_bytes("x")).size(), 32u);
    ra::HsmOtpCrypto crypto(f.token, "otp-hmac", "no-such-kek");
    expect_error([&] { crypto.wrap_seed(Bytes(20, 1)); }, Errc::not_found, "no-such-kek");
}

BOOST_AUTO_TEST_CASE(the_document_hmac_is_the_tokens_hmac_under_its_label) {
    Fixture f;
    const auto hmac = ra::document_hmac_function(f.token, "identity-hmac");
    const std::string input =
        std::string("cn_resident_id") + '\0' + "CN" + '\0' + "11010519491231002X";
    const Bytes digest = hmac(as_bytes(input));
    BOOST_CHECK_EQUAL(digest.size(), 32u);
    BOOST_CHECK(digest == f.token->hmac_sha256("identity-hmac", as_bytes(input)));
    BOOST_CHECK(digest != hmac(as_bytes(input.substr(0, input.size() - 1) + "Y")));
}

BOOST_AUTO_TEST_SUITE_END()
