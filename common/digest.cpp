#include "common/digest.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <string>

#include "common/error.hpp"
#include "common/handle.hpp"

namespace signet {

namespace {

// Fetched once. EVP_sha256() is fetched from the provider store again on every digest, under
// OpenSSL 3.0's store lock; per request (the OCSP GET's ETag, a bearer token) on several I/O
// threads that lock showed up as the top symbol of `perf` on the OCSP GET path.
const EVP_MD* sha256_md() {
    static const EvpMdPtr md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
    return md.get();
}

}  // namespace

Bytes digest_of(const EVP_MD* md, ByteView data) {
    const int length = md != nullptr ? EVP_MD_get_size(md) : -1;
    Bytes out(static_cast<std::size_t>(std::max(length, 0)));
    unsigned int size = 0;
    check_openssl(length > 0 && EVP_Digest(data.data(), data.size(), out.data(), &size, md,
                                            nullptr) == 1,
                  "cannot hash with " + std::string(md != nullptr ? EVP_MD_get0_name(md) : "no digest"));
    out.resize(size);
    return out;
}

Sha256Digest sha256_of(std::string_view data) {
    Sha256Digest digest{};
    unsigned int size = 0;
    const EVP_MD* md = sha256_md();
    check_openssl(
        md != nullptr && EVP_Digest(data.data(), data.size(), digest.data(), &size, md, nullptr),
        "SHA-256");
    return digest;
}

Sha256Digest sha256_of(ByteView data) {
    return sha256_of(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

struct Sha256Stream::Context {
    EvpMdCtxPtr md_ctx{EVP_MD_CTX_new()};
};

Sha256Stream::Sha256Stream() : context_(std::make_unique<Context>()) {
    const EVP_MD* md = sha256_md();
    check_openssl(md != nullptr && context_->md_ctx != nullptr &&
                      EVP_DigestInit_ex2(context_->md_ctx.get(), md, nullptr),
                  "SHA-256 init");
}

Sha256Stream::Sha256Stream(Sha256Stream&&) noexcept = default;
Sha256Stream& Sha256Stream::operator=(Sha256Stream&&) noexcept = default;
Sha256Stream::~Sha256Stream() = default;

void Sha256Stream::update(ByteView piece) {
    if (!context_)
        throw Error(Errc::failed_precondition, "SHA-256 stream used after finish");
    check_openssl(EVP_DigestUpdate(context_->md_ctx.get(), piece.data(), piece.size()),
                  "SHA-256 update");
}

Sha256Digest Sha256Stream::finish() {
    if (!context_)
        throw Error(Errc::failed_precondition, "SHA-256 stream used after finish");
    Sha256Digest digest{};
    unsigned int size = 0;
    const int ok = EVP_DigestFinal_ex(context_->md_ctx.get(), digest.data(), &size);
    context_.reset();
    check_openssl(ok, "SHA-256 final");
    return digest;
}

}  // namespace signet
