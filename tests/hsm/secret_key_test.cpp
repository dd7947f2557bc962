// The token's secret-key operations (hsm/secret_keys.cpp) against a real SoftHSM token: the HMAC
// key that hashes identity numbers, and small secrets wrapped under the key-encryption key.
#include <openssl/hmac.h>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

#include "common/error.hpp"
#include "hsm/token.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet;
using namespace signet::hsm;
using signet::testing::expect_error;
using signet::testing::SoftHsm;
using namespace std::string_view_literals;

namespace {

CK_OBJECT_HANDLE secret_key_handle(Token& token, CK_SESSION_HANDLE s, const std::string& label) {
    const auto& api = token.module().api();
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    std::string copy = label;
    CK_ATTRIBUTE query[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, copy.data(), copy.size()}};
    BOOST_REQUIRE_EQUAL(api.C_FindObjectsInit(s, query, 2), CKR_OK);
    CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
    CK_ULONG count = 0;
    BOOST_REQUIRE_EQUAL(api.C_FindObjects(s, &key, 1, &count), CKR_OK);
    api.C_FindObjectsFinal(s);
    BOOST_REQUIRE_EQUAL(count, 1u);
    return key;
}

// A generic secret token object with a value the test knows (a stand-in for the HMAC key, whose
// value nobody can read), so the token's HMAC can be compared with published vectors.
void import_known_hmac_key(Token& token, const std::string& label, const Bytes& value) {
    const auto& api = token.module().api();
    token.run([&](CK_SESSION_HANDLE s) {
        CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
        CK_KEY_TYPE type = CKK_GENERIC_SECRET;
        CK_BBOOL yes = CK_TRUE;
        std::string copy = label;
        Bytes key = value;
        CK_ATTRIBUTE attributes[] = {
            {CKA_CLASS, &cls, sizeof cls},   {CKA_KEY_TYPE, &type, sizeof type},
            {CKA_TOKEN, &yes, sizeof yes},   {CKA_PRIVATE, &yes, sizeof yes},
            {CKA_SIGN, &yes, sizeof yes},    {CKA_LABEL, copy.data(), copy.size()},
            {CKA_VALUE, key.data(), key.size()},
        };
        CK_OBJECT_HANDLE object = CK_INVALID_HANDLE;
        BOOST_REQUIRE_EQUAL(api.C_CreateObject(s, attributes, 7, &object), CKR_OK);
    });
}

constexpr std::string_view kForty = "1234567890123456789012345678901234567890";

Bytes bytes_of(std::string_view text) {
    return {text.begin(), text.end()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(secret_keys)

BOOST_AUTO_TEST_CASE(hmac_key_is_sensitive_unextractable_and_only_signs) {
    auto token = SoftHsm::instance().open_new_token("hmac-attrs");
    BOOST_CHECK(!token->has_hmac_key("subject-hmac"));
    token->generate_hmac_key("subject-hmac");
    BOOST_CHECK(token->has_hmac_key("subject-hmac"));
    const auto& api = token->module().api();
    token->run([&](CK_SESSION_HANDLE s) {
        const CK_OBJECT_HANDLE key = secret_key_handle(*token, s, "subject-hmac");
        CK_BBOOL flags[9] = {};
        CK_KEY_TYPE type = 0;
        CK_ULONG length = 0;
        CK_ATTRIBUTE attributes[] = {
            {CKA_SENSITIVE, &flags[0], 1}, {CKA_EXTRACTABLE, &flags[1], 1},
            {CKA_PRIVATE, &flags[2], 1},   {CKA_TOKEN, &flags[3], 1},
            {CKA_SIGN, &flags[4], 1},      {CKA_VERIFY, &flags[5], 1},
            {CKA_ENCRYPT, &flags[6], 1},   {CKA_WRAP, &flags[7], 1},
            {CKA_DERIVE, &flags[8], 1},    {CKA_KEY_TYPE, &type, sizeof type},
            {CKA_VALUE_LEN, &length, sizeof length},
        };
        BOOST_REQUIRE_EQUAL(api.C_GetAttributeValue(s, key, attributes, 11), CKR_OK);
        const CK_BBOOL expected[9] = {CK_TRUE, CK_FALSE, CK_TRUE, CK_TRUE, CK_TRUE,
                                      CK_TRUE, CK_FALSE, CK_FALSE, CK_FALSE};
        for (int i = 0; i < 9; ++i)
            BOOST_CHECK_MESSAGE(flags[i] == expected[i], "attribute " << i);
        BOOST_CHECK_EQUAL(type, CKK_GENERIC_SECRET);
        BOOST_CHECK_EQUAL(length, 32u);
        std::uint8_t value[64];
        CK_ATTRIBUTE read{CKA_VALUE, value, sizeof value};
        BOOST_CHECK_EQUAL(api.C_GetAttributeValue(s, key, &read, 1), CKR_ATTRIBUTE_SENSITIVE);
    });
    const auto keys = token->list_keys();
    BOOST_REQUIRE_EQUAL(keys.size(), 1u);
    BOOST_CHECK_EQUAL(keys[0].algorithm, "secret-256");
    BOOST_CHECK(keys[0].sensitive && !keys[0].extractable);
}

BOOST_AUTO_TEST_CASE(hmac_labels_are_unique_and_missing_keys_not_found) {
    auto token = SoftHsm::instance().open_new_token("hmac-labels");
    token->generate_hmac_key("h");
    token->generate_kek("kek");
    expect_error([&] { token->generate_hmac_key("h"); }, Errc::already_exists, "'h'");
    expect_error([&] { token->generate_hmac_key("kek"); }, Errc::already_exists, "'kek'");
    expect_error([&] { token->generate_kek("h"); }, Errc::already_exists, "'h'");
    expect_error([&] { token->generate_hmac_key(""); }, Errc::invalid_argument, "label");
    BOOST_CHECK(!token->has_hmac_key("kek"));  // an AES key is not an HMAC key
    expect_error([&] { token->hmac_sha256("nope", as_bytes("x")); }, Errc::not_found, "'nope'");
    expect_error([&] { token->hmac_sha256("kek", as_bytes("x")); }, Errc::not_found, "'kek'");
}

BOOST_AUTO_TEST_CASE(hmac_is_deterministic_per_key_and_input) {
    // The generated key's value cannot be read, so its HMAC cannot be recomputed outside:
    // it is checked for being a function of (key, input) only; the mechanism itself is checked
    // against RFC 4231 below with a key the test knows.
    auto token = SoftHsm::instance().open_new_token("hmac-det");
    token->generate_hmac_key("a");
    token->generate_hmac_key("b");
    const Bytes first = token->hmac_sha256("a", as_bytes("cn_resident_id\0" "11010519491231002X"sv));
    BOOST_CHECK_EQUAL(first.size(), 32u);
    BOOST_CHECK(first == token->hmac_sha256("a", as_bytes("cn_resident_id\0" "11010519491231002X"sv)));
    BOOST_CHECK(first != token->hmac_sha256("a", as_bytes("cn_resident_id\0" "11010519491231003X"sv)));
    BOOST_CHECK(first != token->hmac_sha256("b", as_bytes("cn_resident_id\0" "11010519491231002X"sv)));
    BOOST_CHECK_EQUAL(token->hmac_sha256("a", {}).size(), 32u);
}

BOOST_AUTO_TEST_CASE(hmac_matches_rfc_4231_and_openssl) {
    // RFC 4231 §4.7 test case 6: a 131-byte key (SoftHSM refuses HMAC-SHA-256 keys shorter
    // than 32 bytes, so the short-key cases cannot run).
    auto token = SoftHsm::instance().open_new_token("hmac-4231");
    const Bytes key(131, 0xaa);
    import_known_hmac_key(*token, "known", key);
    const std::string data = "Test Using Larger Than Block-Size Key - Hash Key First";
    const Bytes mac = token->hmac_sha256("known", as_bytes(data));
    BOOST_CHECK_EQUAL(to_hex(mac),
                      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    Bytes expected(32);
    unsigned int size = 0;
    BOOST_REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                       expected.data(), &size));
    BOOST_CHECK(mac == expected);
}

BOOST_AUTO_TEST_CASE(secrets_round_trip_wrapped_under_the_kek) {
    auto token = SoftHsm::instance().open_new_token("wrap-secret");
    token->generate_kek("kek");
    for (std::size_t size : {16u, 20u, 33u, 64u}) {
        const Bytes secret = token->random(size);
        const Bytes blob = token->wrap_secret("kek", secret);
        // RFC 5649 §4.1 over the secret padded to whole semiblocks (ISO/IEC 7816-4).
        BOOST_CHECK_EQUAL(blob.size(), (size / 8 + 1) * 8 + 8);
        BOOST_CHECK(std::search(blob.begin(), blob.end(), secret.begin(), secret.begin() + 8) ==
                    blob.end());
        const Secret back = token->unwrap_secret("kek", blob);
        BOOST_CHECK_EQUAL(back.size(), size);
        BOOST_CHECK(std::ranges::equal(as_bytes(back.view()), secret));
    }
    // Wrapping leaves no object behind.
    const auto& api = token->module().api();
    token->run([&](CK_SESSION_HANDLE s) {
        BOOST_REQUIRE_EQUAL(api.C_FindObjectsInit(s, nullptr, 0), CKR_OK);
        CK_OBJECT_HANDLE objects[8];
        CK_ULONG count = 0;
        BOOST_REQUIRE_EQUAL(api.C_FindObjects(s, objects, 8, &count), CKR_OK);
        api.C_FindObjectsFinal(s);
        BOOST_CHECK_EQUAL(count, 1u);  // the KEK
    });
}

BOOST_AUTO_TEST_CASE(tampered_or_foreign_blobs_and_bad_sizes_are_refused) {
    auto token = SoftHsm::instance().open_new_token("wrap-bad");
    token->generate_kek("kek-a");
    token->generate_kek("kek-b");
    const Bytes blob = token->wrap_secret("kek-a", bytes_of(kForty));
    for (std::size_t at : {std::size_t{0}, std::size_t{7}, std::size_t{8}, blob.size() - 1}) {
        Bytes tampered = blob;
        tampered[at] ^= 0x01;
        expect_error([&] { token->unwrap_secret("kek-a", tampered); }, Errc::invalid_argument,
                     "does not unwrap under key-encryption key 'kek-a'");
    }
    expect_error([&] { token->unwrap_secret("kek-b", blob); }, Errc::invalid_argument,
                 "wrapped under another key");
    expect_error([&] { token->unwrap_secret("kek-a", Bytes(blob.begin(), blob.end() - 8)); },
                 Errc::invalid_argument, "does not unwrap");
    expect_error([&] { token->unwrap_secret("kek-a", Bytes(blob.begin(), blob.end() - 1)); },
                 Errc::invalid_argument, "RFC 5649");
    expect_error([&] { token->unwrap_secret("kek-a", Bytes(8)); }, Errc::invalid_argument,
                 "RFC 5649");
    expect_error([&] { token->unwrap_secret("no-kek", blob); }, Errc::not_found, "'no-kek'");
    expect_error([&] { token->wrap_secret("no-kek", Bytes(20)); }, Errc::not_found, "'no-kek'");
    expect_error([&] { token->wrap_secret("kek-a", Bytes(15)); }, Errc::invalid_argument,
                 "16 to 64 bytes");
    expect_error([&] { token->wrap_secret("kek-a", Bytes(65)); }, Errc::invalid_argument,
                 "16 to 64 bytes");
    // The token still works on the same sessions afterwards.
    BOOST_CHECK_EQUAL(token->unwrap_secret("kek-a", blob).view(), kForty);
}

BOOST_AUTO_TEST_SUITE_END()
