#include "tests/ra/evidence_kit.hpp"

#include <openssl/pem.h>

#include <boost/test/unit_test.hpp>

#include "common/bytes.hpp"
#include "common/error.hpp"

namespace signet::ra::testing {
namespace {

std::string pem_of(EVP_PKEY* key, bool private_key) {
    BioPtr out(BIO_new(BIO_s_mem()));
    const int ok = private_key
                       ? PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                       : PEM_write_bio_PUBKEY(out.get(), key);
    check_openssl(ok, "writing a test key");
    char* data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

TestKey wrap(EVP_PKEY* raw) {
    if (raw == nullptr)
        throw_openssl_error("generating a test key");
    TestKey key{EvpPkeyPtr(raw), {}, {}};
    key.public_pem = pem_of(raw, false);
    key.private_pem = pem_of(raw, true);
    return key;
}

std::string signing_input(std::string_view header_json, std::string_view payload_json) {
    return base64url(header_json) + "." + base64url(payload_json);
}

}  // namespace

TestKey make_ec_key(const char* curve) {
    return wrap(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

TestKey make_rsa_key(unsigned bits) {
    return wrap(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
}

std::string base64url(std::string_view bytes) {
    std::string text = to_base64(as_bytes(bytes));
    std::string out;
    for (const char c : text)
        if (c != '=')
            out.push_back(c == '+' ? '-' : c == '/' ? '_' : c);
    return out;
}

std::string sign_jws(std::string_view header_json, std::string_view payload_json, EVP_PKEY* key) {
    const std::string input = signing_input(header_json, payload_json);
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    check_openssl(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key), "sign init");
    std::size_t size = 0;
    check_openssl(EVP_DigestSign(ctx.get(), nullptr, &size,
                                 reinterpret_cast<const unsigned char*>(input.data()), input.size()),
                  "sign size");
    std::string signature(size, '\0');
    check_openssl(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                                 reinterpret_cast<const unsigned char*>(input.data()), input.size()),
                  "sign");
    signature.resize(size);
    if (EVP_PKEY_is_a(key, "EC")) {
        // DER ECDSA-Sig-Value to the fixed-width R||S of RFC 7518 §3.4.
        const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
        EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size())));
        BOOST_REQUIRE(sig);
        std::string raw(64, '\0');
        BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), reinterpret_cast<unsigned char*>(raw.data()), 32);
        BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
        signature = raw;
    }
    return input + "." + base64url(signature);
}

std::string sign_hs256(std::string_view header_json, std::string_view payload_json,
                       std::string_view secret) {
    const std::string input = signing_input(header_json, payload_json);
    unsigned char mac[EVP_MAX_MD_SIZE];
    std::size_t size = 0;
    BOOST_REQUIRE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                            reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
                            sizeof mac, &size) != nullptr);
    return input + "." + base64url(std::string_view(reinterpret_cast<const char*>(mac), size));
}

std::string sign_with_libjwt(std::string_view payload_json, const char* alg,
                             const std::string& private_pem, const char* kid) {
    jwt_t* raw = nullptr;
    BOOST_REQUIRE_EQUAL(jwt_new(&raw), 0);
    JwtPtr jwt(raw);
    BOOST_REQUIRE_EQUAL(jwt_add_grants_json(jwt.get(), std::string(payload_json).c_str()), 0);
    if (kid != nullptr)
        BOOST_REQUIRE_EQUAL(jwt_add_header(jwt.get(), "kid", kid), 0);
    BOOST_REQUIRE_EQUAL(jwt_set_alg(jwt.get(), jwt_str_alg(alg),
                                    reinterpret_cast<const unsigned char*>(private_pem.data()),
                                    static_cast<int>(private_pem.size())),
                        0);
    JwtStringPtr token(jwt_encode_str(jwt.get()));
    BOOST_REQUIRE(token);
    return token.get();
}

}  // namespace signet::ra::testing
