// The PKCS#11 layer against a real SoftHSM token created by the fixture.
#include "hsm/token.hpp"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <thread>

#include "common/error.hpp"
#include "common/handle.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet;
using namespace signet::hsm;
using signet::testing::expect_error;
using signet::testing::SoftHsm;

namespace {

Bytes digest_of(Digest digest, std::string_view message) {
    const EVP_MD* md = EVP_get_digestbyname(std::string(to_string(digest)).c_str());
    Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
    unsigned int size = 0;
    BOOST_REQUIRE(EVP_Digest(message.data(), message.size(), out.data(), &size, md, nullptr));
    return out;
}

// Verifies with OpenSSL's default provider, independently of the HSM.
bool verifies(EVP_PKEY* public_key, Digest digest, Padding padding, const Bytes& signature,
              const Bytes& hash) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, public_key, "provider=default"));
    BOOST_REQUIRE(ctx);
    BOOST_REQUIRE_EQUAL(EVP_PKEY_verify_init(ctx.get()), 1);
    const EVP_MD* md = EVP_get_digestbyname(std::string(to_string(digest)).c_str());
    BOOST_REQUIRE_EQUAL(EVP_PKEY_CTX_set_signature_md(ctx.get(), md), 1);
    if (padding == Padding::pss) {
        BOOST_REQUIRE_EQUAL(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING), 1);
        BOOST_REQUIRE_EQUAL(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST), 1);
    } else if (padding == Padding::pkcs1) {
        BOOST_REQUIRE_EQUAL(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING), 1);
    }
    const int ok =
        EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), hash.data(), hash.size());
    clear_openssl_errors();
    return ok == 1;
}

CK_OBJECT_HANDLE private_key_handle(Token& token, const std::string& label) {
    const auto& api = token.module().api();
    return token.run([&](CK_SESSION_HANDLE s) {
        CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
        CK_ATTRIBUTE query[] = {{CKA_CLASS, &cls, sizeof cls},
                                {CKA_LABEL, const_cast<char*>(label.data()), label.size()}};
        BOOST_REQUIRE_EQUAL(api.C_FindObjectsInit(s, query, 2), CKR_OK);
        CK_OBJECT_HANDLE found = CK_INVALID_HANDLE;
        CK_ULONG count = 0;
        BOOST_REQUIRE_EQUAL(api.C_FindObjects(s, &found, 1, &count), CKR_OK);
        api.C_FindObjectsFinal(s);
        BOOST_REQUIRE_EQUAL(count, 1u);
        return found;
    });
}

const std::vector<KeyType> kAllKeyTypes{KeyType::ec_p256, KeyType::ec_p384, KeyType::rsa_2048,
                                        KeyType::rsa_3072, KeyType::rsa_4096};

std::vector<Padding> paddings_for(KeyType type) {
    if (is_ec(type))
        return {Padding::ecdsa};
    return {Padding::pkcs1, Padding::pss};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(token)

BOOST_AUTO_TEST_CASE(every_algorithm_signs_and_verifies_with_openssl) {
    auto token = SoftHsm::instance().open_new_token("algs");
    for (KeyType type : kAllKeyTypes) {
        auto signer = token->generate_key(type, "key-" + std::string(to_string(type)));
        BOOST_CHECK(signer->key_type() == type);
        BOOST_CHECK_EQUAL(EVP_PKEY_get_bits(signer->public_key()), key_bits(type));
        for (Padding padding : paddings_for(type)) {
            for (Digest digest : {Digest::sha256, Digest::sha384, Digest::sha512}) {
                BOOST_TEST_CONTEXT(to_string(type) << " " << to_string(digest) << " padding "
                                                   << static_cast<int>(padding)) {
                    const Bytes hash = digest_of(digest, "contract v1");
                    const Bytes signature = signer->sign_digest(digest, padding, hash);
                    BOOST_CHECK_LE(signature.size(), max_signature_size(type));
                    BOOST_CHECK(verifies(signer->public_key(), digest, padding, signature, hash));
                    // The same signature does not verify another message.
                    BOOST_CHECK(!verifies(signer->public_key(), digest, padding, signature,
                                          digest_of(digest, "contract v2")));
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(ecdsa_signature_is_der_encoded) {
    auto token = SoftHsm::instance().open_new_token("der");
    auto signer = token->generate_key(KeyType::ec_p256, "ec");
    const Bytes signature =
        signer->sign_digest(Digest::sha256, Padding::ecdsa, digest_of(Digest::sha256, "x"));
    const unsigned char* p = signature.data();
    EcdsaSigPtr parsed(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(signature.size())));
    BOOST_REQUIRE(parsed);
    BOOST_CHECK(p == signature.data() + signature.size());
}

BOOST_AUTO_TEST_CASE(private_key_value_cannot_be_read_or_made_extractable) {
    auto token = SoftHsm::instance().open_new_token("sens");
    token->generate_key(KeyType::ec_p256, "ec");
    token->generate_key(KeyType::rsa_2048, "rsa");
    const auto& api = token->module().api();
    for (const std::string label : {"ec", "rsa"}) {
        const CK_OBJECT_HANDLE key = private_key_handle(*token, label);
        token->run([&](CK_SESSION_HANDLE s) {
            // The value itself: CKR_ATTRIBUTE_SENSITIVE, whatever buffer is offered.
            CK_ATTRIBUTE_TYPE secret_attribute = label == "ec" ? CKA_VALUE : CKA_PRIVATE_EXPONENT;
            std::uint8_t buffer[1024];
            CK_ATTRIBUTE value{secret_attribute, buffer, sizeof buffer};
            BOOST_CHECK_EQUAL(api.C_GetAttributeValue(s, key, &value, 1), CKR_ATTRIBUTE_SENSITIVE);
            BOOST_CHECK_EQUAL(value.ulValueLen, CK_UNAVAILABLE_INFORMATION);

            CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE, is_private = CK_FALSE,
                     token_object = CK_FALSE;
            CK_ATTRIBUTE flags[] = {{CKA_SENSITIVE, &sensitive, sizeof sensitive},
                                    {CKA_EXTRACTABLE, &extractable, sizeof extractable},
                                    {CKA_PRIVATE, &is_private, sizeof is_private},
                                    {CKA_TOKEN, &token_object, sizeof token_object}};
            BOOST_REQUIRE_EQUAL(api.C_GetAttributeValue(s, key, flags, 4), CKR_OK);
            BOOST_CHECK_EQUAL(sensitive, CK_TRUE);
            BOOST_CHECK_EQUAL(extractable, CK_FALSE);
            BOOST_CHECK_EQUAL(is_private, CK_TRUE);
            BOOST_CHECK_EQUAL(token_object, CK_TRUE);

            // PKCS#11 §4.9: CKA_EXTRACTABLE can go from true to false only; CKA_SENSITIVE only
            // from false to true.
            CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
            CK_ATTRIBUTE make_extractable{CKA_EXTRACTABLE, &yes, sizeof yes};
            BOOST_CHECK_NE(api.C_SetAttributeValue(s, key, &make_extractable, 1), CKR_OK);
            CK_ATTRIBUTE make_insensitive{CKA_SENSITIVE, &no, sizeof no};
            BOOST_CHECK_NE(api.C_SetAttributeValue(s, key, &make_insensitive, 1), CKR_OK);
            BOOST_REQUIRE_EQUAL(api.C_GetAttributeValue(s, key, flags, 2), CKR_OK);
            BOOST_CHECK_EQUAL(extractable, CK_FALSE);
            BOOST_CHECK_EQUAL(sensitive, CK_TRUE);
        });
    }
}

BOOST_AUTO_TEST_CASE(token_key_cannot_be_wrapped_out) {
    auto token = SoftHsm::instance().open_new_token("nowrap");
    token->generate_key(KeyType::ec_p256, "ca");
    token->generate_kek("kek");
    const auto& api = token->module().api();
    const CK_OBJECT_HANDLE key = private_key_handle(*token, "ca");
    token->run([&](CK_SESSION_HANDLE s) {
        CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
        std::string label = "kek";
        CK_ATTRIBUTE query[] = {{CKA_CLASS, &cls, sizeof cls},
                                {CKA_LABEL, label.data(), label.size()}};
        BOOST_REQUIRE_EQUAL(api.C_FindObjectsInit(s, query, 2), CKR_OK);
        CK_OBJECT_HANDLE kek = CK_INVALID_HANDLE;
        CK_ULONG count = 0;
        BOOST_REQUIRE_EQUAL(api.C_FindObjects(s, &kek, 1, &count), CKR_OK);
        api.C_FindObjectsFinal(s);
        BOOST_REQUIRE_EQUAL(count, 1u);
        CK_MECHANISM mechanism{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
        CK_ULONG size = 0;
        BOOST_CHECK_EQUAL(api.C_WrapKey(s, &mechanism, kek, key, nullptr, &size),
                          CKR_KEY_UNEXTRACTABLE);
    });
}

BOOST_AUTO_TEST_CASE(keys_are_found_by_label_and_id_and_listed) {
    auto token = SoftHsm::instance().open_new_token("find");
    auto generated = token->generate_key(KeyType::ec_p384, "root-ca");
    token->generate_key(KeyType::rsa_2048, "tsa");
    token->generate_kek("user-kek");

    auto by_label = token->find_key("root-ca");
    BOOST_CHECK(by_label->key_type() == KeyType::ec_p384);
    BOOST_CHECK_EQUAL(EVP_PKEY_eq(by_label->public_key(), generated->public_key()), 1);

    const auto keys = token->list_keys();
    BOOST_REQUIRE_EQUAL(keys.size(), 3u);
    BOOST_CHECK_EQUAL(keys[0].label, "root-ca");
    BOOST_CHECK_EQUAL(keys[0].algorithm, "ec-p384");
    BOOST_CHECK_EQUAL(keys[0].object_class, "private-key");
    BOOST_CHECK(keys[0].sensitive && !keys[0].extractable);
    BOOST_CHECK_EQUAL(keys[1].label, "tsa");
    BOOST_CHECK_EQUAL(keys[1].algorithm, "rsa-2048");
    BOOST_CHECK_EQUAL(keys[2].label, "user-kek");
    BOOST_CHECK_EQUAL(keys[2].algorithm, "aes-256");
    BOOST_CHECK_EQUAL(keys[2].object_class, "secret-key");
    BOOST_CHECK(keys[2].sensitive && !keys[2].extractable);

    // The ID is the RFC 5280 key identifier: SHA-1 over the public key's bits.
    BOOST_REQUIRE_EQUAL(keys[0].id.size(), 20u);
    auto by_id = token->find_key_by_id(keys[0].id);
    BOOST_CHECK_EQUAL(EVP_PKEY_eq(by_id->public_key(), generated->public_key()), 1);

    // A signer found later signs like the one from generation.
    const Bytes hash = digest_of(Digest::sha384, "found");
    BOOST_CHECK(verifies(generated->public_key(), Digest::sha384, Padding::ecdsa,
                         by_label->sign_digest(Digest::sha384, Padding::ecdsa, hash), hash));
}

BOOST_AUTO_TEST_CASE(duplicate_labels_and_missing_keys_are_clear_errors) {
    auto token = SoftHsm::instance().open_new_token("dup");
    token->generate_key(KeyType::ec_p256, "tsa");
    expect_error([&] { token->generate_key(KeyType::rsa_2048, "tsa"); }, Errc::already_exists,
                 "already holds a key labelled 'tsa'");
    expect_error([&] { token->find_key("nope"); }, Errc::not_found,
                 "no private key labelled 'nope'");
    expect_error([&] { token->find_key_by_id(Bytes{1, 2, 3}); }, Errc::not_found, "010203");
    token->generate_kek("kek");
    expect_error([&] { token->generate_kek("kek"); }, Errc::already_exists, "'kek'");
    expect_error([&] { token->generate_wrapped_key(KeyType::ec_p256, "no-such-kek"); },
                 Errc::not_found, "no-such-kek");
    expect_error([&] { token->generate_key(KeyType::ec_p256, ""); }, Errc::invalid_argument,
                 "label");
    BOOST_CHECK_EQUAL(token->list_keys().size(), 2u);
}

BOOST_AUTO_TEST_CASE(bad_sign_requests_are_refused) {
    auto token = SoftHsm::instance().open_new_token("badsign");
    auto ec = token->generate_key(KeyType::ec_p256, "ec");
    auto rsa = token->generate_key(KeyType::rsa_2048, "rsa");
    const Bytes hash = digest_of(Digest::sha256, "x");
    expect_error([&] { ec->sign_digest(Digest::sha384, Padding::ecdsa, hash); },
                 Errc::invalid_argument, "needs 48");
    expect_error([&] { ec->sign_digest(Digest::sha256, Padding::pkcs1, hash); },
                 Errc::invalid_argument, "padding");
    expect_error([&] { rsa->sign_digest(Digest::sha256, Padding::ecdsa, hash); },
                 Errc::invalid_argument, "padding");
    expect_error([&] { parse_key_type("ec-p521"); }, Errc::invalid_argument, "ec-p521");
    expect_error([&] { parse_digest("SHA1"); }, Errc::invalid_argument, "SHA1");
}

BOOST_AUTO_TEST_CASE(wrapped_user_keys_sign_and_leave_nothing_in_the_hsm) {
    auto token = SoftHsm::instance().open_new_token("wrap");
    token->generate_kek("user-kek");
    BOOST_CHECK(token->has_kek("user-kek"));
    BOOST_CHECK(!token->has_kek("other"));
    const auto objects_before = token->list_keys().size();
    for (KeyType type : {KeyType::ec_p256, KeyType::rsa_2048}) {
        const WrappedKey wrapped = token->generate_wrapped_key(type, "user-kek");
        BOOST_CHECK(!wrapped.wrapped_private_key.empty());
        // The blob is not a PKCS#8 structure anyone could parse.
        const unsigned char* p = wrapped.wrapped_private_key.data();
        Pkcs8PrivKeyInfoPtr pkcs8(d2i_PKCS8_PRIV_KEY_INFO(
            nullptr, &p, static_cast<long>(wrapped.wrapped_private_key.size())));
        BOOST_CHECK(!pkcs8);
        clear_openssl_errors();

        auto signer = token->wrapped_signer(wrapped, "user-kek");
        for (Padding padding : paddings_for(type)) {
            const Bytes hash = digest_of(Digest::sha256, "user contract");
            const Bytes signature = signer->sign_digest(Digest::sha256, padding, hash);
            BOOST_CHECK(verifies(signer->public_key(), Digest::sha256, padding, signature, hash));
        }
    }
    // Neither the generated pairs nor the unwrapped copies stay in the token.
    BOOST_CHECK_EQUAL(token->list_keys().size(), objects_before);
    const auto& api = token->module().api();
    token->run([&](CK_SESSION_HANDLE s) {
        CK_BBOOL no = CK_FALSE;
        CK_ATTRIBUTE session_objects{CKA_TOKEN, &no, sizeof no};
        BOOST_REQUIRE_EQUAL(api.C_FindObjectsInit(s, &session_objects, 1), CKR_OK);
        CK_OBJECT_HANDLE found[8];
        CK_ULONG count = 0;
        BOOST_REQUIRE_EQUAL(api.C_FindObjects(s, found, 8, &count), CKR_OK);
        api.C_FindObjectsFinal(s);
        BOOST_CHECK_EQUAL(count, 0u);
    });
}

// sign_digests: each digest signed in order with the wrapped key, for every padding, and the
// unwrapped copy gone after (hsm/signer.hpp).
BOOST_AUTO_TEST_CASE(wrapped_user_keys_sign_several_digests_in_order) {
    auto token = SoftHsm::instance().open_new_token("wrapmany");
    token->generate_kek("user-kek");
    for (KeyType type : {KeyType::ec_p256, KeyType::rsa_2048}) {
        auto signer = token->wrapped_signer(token->generate_wrapped_key(type, "user-kek"),
                                            "user-kek");
        for (Padding padding : paddings_for(type)) {
            const std::vector<Bytes> hashes{digest_of(Digest::sha384, "first"),
                                            digest_of(Digest::sha384, "second"),
                                            digest_of(Digest::sha384, "third")};
            const std::vector<ByteView> views(hashes.begin(), hashes.end());
            const auto signatures = signer->sign_digests(Digest::sha384, padding, views);
            BOOST_REQUIRE_EQUAL(signatures.size(), 3u);
            for (std::size_t i = 0; i < 3; ++i) {
                BOOST_CHECK(verifies(signer->public_key(), Digest::sha384, padding,
                                     signatures[i], hashes[i]));
                BOOST_CHECK(!verifies(signer->public_key(), Digest::sha384, padding,
                                      signatures[i], hashes[(i + 1) % 3]));
            }
        }
        BOOST_CHECK(signer->sign_digests(Digest::sha256, paddings_for(type).front(), {}).empty());
    }
    const auto& api = token->module().api();
    token->run([&](CK_SESSION_HANDLE s) {
        CK_BBOOL no = CK_FALSE;
        CK_ATTRIBUTE session_objects{CKA_TOKEN, &no, sizeof no};
        BOOST_REQUIRE_EQUAL(api.C_FindObjectsInit(s, &session_objects, 1), CKR_OK);
        CK_OBJECT_HANDLE found[8];
        CK_ULONG count = 0;
        BOOST_REQUIRE_EQUAL(api.C_FindObjects(s, found, 8, &count), CKR_OK);
        api.C_FindObjectsFinal(s);
        BOOST_CHECK_EQUAL(count, 0u);
    });
}

BOOST_AUTO_TEST_CASE(wrapped_blob_does_not_hold_the_key_in_the_clear_and_needs_its_kek) {
    auto token = SoftHsm::instance().open_new_token("wrapclear");
    token->generate_kek("kek-a");
    token->generate_kek("kek-b");
    const auto& api = token->module().api();
    // A test-only key whose value can be read, wrapped exactly as user keys are, so the blob can
    // be searched for the private scalar.
    token->run([&](CK_SESSION_HANDLE s) {
        CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
        std::string label = "kek-a";
        CK_ATTRIBUTE query[] = {{CKA_CLASS, &secret_class, sizeof secret_class},
                                {CKA_LABEL, label.data(), label.size()}};
        CK_OBJECT_HANDLE kek = CK_INVALID_HANDLE;
        CK_ULONG count = 0;
        BOOST_REQUIRE_EQUAL(api.C_FindObjectsInit(s, query, 2), CKR_OK);
        BOOST_REQUIRE_EQUAL(api.C_FindObjects(s, &kek, 1, &count), CKR_OK);
        api.C_FindObjectsFinal(s);
        BOOST_REQUIRE_EQUAL(count, 1u);

        CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
        CK_KEY_TYPE ec = CKK_EC;
        std::uint8_t p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
        CK_ATTRIBUTE pub[] = {{CKA_KEY_TYPE, &ec, sizeof ec},
                              {CKA_EC_PARAMS, p256, sizeof p256},
                              {CKA_TOKEN, &no, sizeof no}};
        CK_ATTRIBUTE priv[] = {{CKA_KEY_TYPE, &ec, sizeof ec},
                               {CKA_TOKEN, &no, sizeof no},
                               {CKA_SENSITIVE, &no, sizeof no},
                               {CKA_EXTRACTABLE, &yes, sizeof yes},
                               {CKA_SIGN, &yes, sizeof yes}};
        CK_MECHANISM gen{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
        CK_OBJECT_HANDLE pub_h, priv_h;
        BOOST_REQUIRE_EQUAL(api.C_GenerateKeyPair(s, &gen, pub, 3, priv, 5, &pub_h, &priv_h),
                            CKR_OK);
        std::uint8_t scalar[64];
        CK_ATTRIBUTE value{CKA_VALUE, scalar, sizeof scalar};
        BOOST_REQUIRE_EQUAL(api.C_GetAttributeValue(s, priv_h, &value, 1), CKR_OK);
        BOOST_REQUIRE_GE(value.ulValueLen, 16u);

        CK_MECHANISM wrap{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
        std::uint8_t blob[1024];
        CK_ULONG blob_len = sizeof blob;
        BOOST_REQUIRE_EQUAL(api.C_WrapKey(s, &wrap, kek, priv_h, blob, &blob_len), CKR_OK);
        const std::uint8_t* blob_begin = blob;
        const std::uint8_t* blob_end = blob + blob_len;
        const std::uint8_t* scalar_begin = scalar;
        const std::uint8_t* scalar_end = scalar + value.ulValueLen;
        BOOST_CHECK(std::search(blob_begin, blob_end, scalar_begin, scalar_end) == blob_end);
        // Not even a 16-byte run of it.
        BOOST_CHECK(std::search(blob_begin, blob_end, scalar_begin, scalar_begin + 16) == blob_end);
        api.C_DestroyObject(s, pub_h);
        api.C_DestroyObject(s, priv_h);
    });

    // A user key's blob signs only with its own KEK.
    const WrappedKey wrapped = token->generate_wrapped_key(KeyType::ec_p256, "kek-a");
    auto wrong = token->wrapped_signer(wrapped, "kek-b");
    expect_error(
        [&] { wrong->sign_digest(Digest::sha256, Padding::ecdsa, digest_of(Digest::sha256, "x")); },
        Errc::hsm, "C_UnwrapKey");
    // A tampered blob is refused by the RFC 5649 integrity check.
    WrappedKey tampered = wrapped;
    tampered.wrapped_private_key[tampered.wrapped_private_key.size() / 2] ^= 0x01;
    auto broken = token->wrapped_signer(tampered, "kek-a");
    expect_error(
        [&] {
            broken->sign_digest(Digest::sha256, Padding::ecdsa, digest_of(Digest::sha256, "x"));
        },
        Errc::hsm, "C_UnwrapKey");
}

BOOST_AUTO_TEST_CASE(random_bytes_come_from_the_hsm) {
    auto token = SoftHsm::instance().open_new_token("rand");
    const Bytes a = token->random(32);
    const Bytes b = token->random(32);
    BOOST_CHECK_EQUAL(a.size(), 32u);
    BOOST_CHECK(a != b);
    BOOST_CHECK(token->random(0).empty());
    BOOST_CHECK_EQUAL(token->random(4096).size(), 4096u);
}

BOOST_AUTO_TEST_CASE(eight_threads_sign_through_one_pool) {
    auto token = SoftHsm::instance().open_new_token("threads");
    auto signer = token->generate_key(KeyType::ec_p256, "tsa");
    constexpr int kThreads = 8;
    constexpr int kPerThread = 2000;
    std::atomic<int> verified{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const std::string message = std::to_string(t) + "/" + std::to_string(i);
                const Bytes hash = digest_of(Digest::sha256, message);
                try {
                    const Bytes sig = signer->sign_digest(Digest::sha256, Padding::ecdsa, hash);
                    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, signer->public_key(),
                                                                 "provider=default"));
                    if (ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
                        EVP_PKEY_verify(ctx.get(), sig.data(), sig.size(), hash.data(),
                                        hash.size()) == 1) {
                        ++verified;
                    } else {
                        ++failed;
                    }
                } catch (const std::exception&) {
                    ++failed;
                }
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    BOOST_CHECK_EQUAL(failed.load(), 0);
    BOOST_CHECK_EQUAL(verified.load(), kThreads * kPerThread);
}

BOOST_AUTO_TEST_CASE(a_key_on_its_own_pool_signs_while_the_main_pool_is_held) {
    // The HTTPS key signs handshakes on the server's I/O threads: it must not wait behind bulk
    // signing that holds every session of the main pool.
    TokenConfig config = SoftHsm::instance().new_token("ownpool");
    config.pool_size = 1;
    config.session_wait = std::chrono::milliseconds(50);
    auto token = Token::open(config);
    token->generate_key(KeyType::ec_p256, "tls-server");
    auto shared = token->find_key("tls-server");
    auto own = token->find_key_on_own_pool("tls-server", 1, std::chrono::milliseconds(50));
    BOOST_CHECK(own->public_key() != nullptr);

    std::mutex mutex;
    std::condition_variable changed;
    bool holding = false, release = false;
    std::thread holder([&] {
        token->with_session([&](CK_SESSION_HANDLE) {
            std::unique_lock lock(mutex);
            holding = true;
            changed.notify_all();
            changed.wait(lock, [&] { return release; });
        });
    });
    {
        std::unique_lock lock(mutex);
        BOOST_REQUIRE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return holding; }));
    }
    const Bytes hash = digest_of(Digest::sha256, "handshake");
    expect_error([&] { shared->sign_digest(Digest::sha256, Padding::ecdsa, hash); },
                 Errc::unavailable, "");
    const Bytes signature = own->sign_digest(Digest::sha256, Padding::ecdsa, hash);
    BOOST_CHECK(verifies(own->public_key(), Digest::sha256, Padding::ecdsa, signature, hash));
    {
        std::lock_guard lock(mutex);
        release = true;
    }
    changed.notify_all();
    holder.join();
    expect_error([&] { token->find_key_on_own_pool("absent", 1, std::chrono::milliseconds(50)); },
                 Errc::not_found, "no private key labelled 'absent'");
}

BOOST_AUTO_TEST_CASE(session_closed_behind_the_pools_back_is_replaced) {
    auto token = SoftHsm::instance().open_new_token("recover");
    auto signer = token->generate_key(KeyType::ec_p256, "key");
    const auto& api = token->module().api();
    // Close the session the pool will hand out next.
    token->run([&](CK_SESSION_HANDLE s) { BOOST_REQUIRE_EQUAL(api.C_CloseSession(s), CKR_OK); });
    const auto replaced_before = token->sessions_replaced();
    const Bytes hash = digest_of(Digest::sha256, "after close");
    BOOST_CHECK(verifies(signer->public_key(), Digest::sha256, Padding::ecdsa,
                         signer->sign_digest(Digest::sha256, Padding::ecdsa, hash), hash));
    BOOST_CHECK_EQUAL(token->sessions_replaced(), replaced_before + 1);
}

BOOST_AUTO_TEST_CASE(all_sessions_closed_logs_in_again) {
    auto token = SoftHsm::instance().open_new_token("relogin");
    auto signer = token->generate_key(KeyType::ec_p256, "key");
    // Fill the pool: eight sessions, all open at once, then idle. A pool that retried on the
    // next idle session after a loss would meet another dead one.
    constexpr int kPool = 8;
    std::atomic<int> inside{0};
    std::vector<std::thread> holders;
    for (int i = 0; i < kPool; ++i) {
        holders.emplace_back([&] {
            token->run([&](CK_SESSION_HANDLE) {
                ++inside;
                while (inside.load() < kPool)
                    std::this_thread::yield();
            });
        });
    }
    for (auto& holder : holders)
        holder.join();
    // Closing every session of the application logs it out (PKCS#11 §5.6): the next operation
    // meets a dead session, every idle one is dead too, and the replacement must log in again.
    // (No other thread is in the module now: SoftHSM frees the sessions it closes.)
    const CK_SLOT_ID slot = token->info().slot;
    BOOST_REQUIRE_EQUAL(token->module().api().C_CloseAllSessions(slot), CKR_OK);
    const auto replaced_before = token->sessions_replaced();
    const Bytes hash = digest_of(Digest::sha256, "after logout");
    BOOST_CHECK(verifies(signer->public_key(), Digest::sha256, Padding::ecdsa,
                         signer->sign_digest(Digest::sha256, Padding::ecdsa, hash), hash));
    BOOST_CHECK_EQUAL(token->sessions_replaced(), replaced_before + 1);
    BOOST_CHECK(!token->random(8).empty());
}

BOOST_AUTO_TEST_CASE(wrong_pin_is_a_clear_error_and_is_not_retried) {
    auto& softhsm = SoftHsm::instance();
    TokenConfig config = softhsm.new_token("pin");
    signet::testing::TempDir dir;
    signet::testing::write_file(dir / "wrong.pin", "not-the-pin\n");
    TokenConfig wrong = config;
    wrong.pin = SecretSource::from_file(dir / "wrong.pin");
    try {
        Token::open(wrong);
        BOOST_ERROR("a wrong PIN opened the token");
    } catch (const Error& e) {
        const std::string message = e.what();
        BOOST_TEST_MESSAGE(message);
        BOOST_CHECK(e.code() == Errc::permission_denied);
        BOOST_CHECK(message.find("CKR_PIN_INCORRECT") != std::string::npos);
        BOOST_CHECK(message.find(config.token_label) != std::string::npos);
        BOOST_CHECK(message.find("not-the-pin") == std::string::npos);
        BOOST_REQUIRE(e.pkcs11());
        BOOST_CHECK_EQUAL(e.pkcs11()->function, "C_Login");
    }
    // One failed attempt only: the token still opens with the right PIN.
    auto token = Token::open(config);
    BOOST_CHECK(!token->random(4).empty());
}

BOOST_AUTO_TEST_CASE(pin_from_an_environment_variable) {
    TokenConfig config = SoftHsm::instance().new_token("envpin");
    setenv("SIGNET_TEST_HSM_PIN", SoftHsm::kUserPin, 1);
    config.pin = SecretSource::parse("env:SIGNET_TEST_HSM_PIN");
    BOOST_CHECK(!Token::open(config)->random(4).empty());
    config.pin = SecretSource::parse("env:SIGNET_TEST_UNSET_VARIABLE");
    expect_error([&] { Token::open(config); }, Errc::not_found, "SIGNET_TEST_UNSET_VARIABLE");
}

BOOST_AUTO_TEST_CASE(unknown_token_wrong_module_and_non_module_are_clear_errors) {
    TokenConfig config = SoftHsm::instance().new_token("errors");
    TokenConfig unknown = config;
    unknown.token_label = "no-such-token";
    expect_error([&] { Token::open(unknown); }, Errc::not_found,
                 "no token labelled 'no-such-token'");

    TokenConfig missing = config;
    missing.module_path = "/nonexistent/libpkcs11.so";
    expect_error([&] { Token::open(missing); }, Errc::not_found, "/nonexistent/libpkcs11.so");

    signet::testing::TempDir dir;
    signet::testing::write_file(dir / "not-a-library.so", "this is text, not ELF\n");
    TokenConfig text = config;
    text.module_path = dir / "not-a-library.so";
    expect_error([&] { Token::open(text); }, Errc::invalid_argument, "cannot load PKCS#11 module");

    // A real shared library that is not a PKCS#11 module.
    TokenConfig not_pkcs11 = config;
    not_pkcs11.module_path = "/lib/x86_64-linux-gnu/libz.so.1";
    expect_error([&] { Token::open(not_pkcs11); }, Errc::invalid_argument,
                 "is not a PKCS#11 module");

    TokenConfig zero_pool = config;
    zero_pool.pool_size = 0;
    expect_error([&] { Token::open(zero_pool); }, Errc::invalid_argument, "pool size");
}

BOOST_AUTO_TEST_CASE(return_values_are_named) {
    BOOST_CHECK_EQUAL(ckr_name(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
    BOOST_CHECK_EQUAL(ckr_name(CKR_SESSION_HANDLE_INVALID), "CKR_SESSION_HANDLE_INVALID");
    BOOST_CHECK_EQUAL(ckr_name(0x8000ABCDUL), "CKR_0x8000abcd");
    BOOST_CHECK_EQUAL(mechanism_name(CKM_AES_KEY_WRAP_PAD), "CKM_AES_KEY_WRAP_PAD");
    try {
        check_rv(CKR_DEVICE_ERROR, "C_Sign");
        BOOST_ERROR("check_rv did not throw");
    } catch (const Error& e) {
        BOOST_CHECK_EQUAL(std::string(e.what()), "C_Sign failed: CKR_DEVICE_ERROR");
        BOOST_CHECK(e.code() == Errc::unavailable);
        BOOST_CHECK_EQUAL(e.pkcs11()->rv, CKR_DEVICE_ERROR);
    }
}

BOOST_AUTO_TEST_CASE(module_and_token_information) {
    auto token = SoftHsm::instance().open_new_token("info");
    const ModuleInfo info = token->module().info();
    BOOST_CHECK_EQUAL(info.manufacturer, "SoftHSM");
    const TokenInfo t = token->info();
    BOOST_CHECK(t.initialized);
    BOOST_CHECK(t.label.starts_with("info-"));
    const auto mechanisms = token->module().mechanisms(t.slot);
    auto has = [&](CK_MECHANISM_TYPE m) {
        return std::ranges::any_of(mechanisms, [&](const MechanismInfo& i) { return i.type == m; });
    };
    BOOST_CHECK(has(CKM_ECDSA));
    BOOST_CHECK(has(CKM_RSA_PKCS_PSS));
    BOOST_CHECK(has(CKM_AES_KEY_WRAP_PAD));
}

BOOST_AUTO_TEST_SUITE_END()
