#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/algorithms.hpp"
#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/handle.hpp"
#include "hsm/signer.hpp"

// Detached CMS signatures (RFC 5652) as CAdES baseline signatures (ETSI EN 319 122-1), made
// with a key in the HSM: the builder the CAdES path and the PAdES path (EN 319 142-1, whose
// /Contents is such a CMS over the ByteRange) share.
namespace signet::sign {

// The largest CMS this layer reads or writes. A signature with its chain, a time-stamp token and
// the validation data of two chains is tens of KiB; CRLs of a large CA can reach MiBs.
inline constexpr std::size_t kMaxCmsBytes = 16 * 1024 * 1024;

// The hash of the signed content, made by the caller: PAdES signs the ByteRange bytes, and a
// document kept in chunks is hashed as it is read (ContentHasher).
struct ContentDigest {
    Digest algorithm = Digest::sha256;
    Bytes value;  // digest_size(algorithm) bytes
};

ContentDigest digest_content(Digest algorithm, ByteView content);

// Hashes content that arrives in pieces. Errc::crypto if OpenSSL fails.
class ContentHasher {
  public:
    explicit ContentHasher(Digest algorithm = Digest::sha256);
    void update(ByteView piece);
    ContentDigest finish();  // once

  private:
    Digest algorithm_;
    EvpMdCtxPtr context_;
};

// Returns an RFC 3161 TimeStampToken (§2.4.2: a ContentInfo holding the SignedData over a
// TSTInfo), DER, whose messageImprint is `imprint`, an `algorithm` hash. Throws signet::Error
// when it cannot: Errc::unavailable when the TSA cannot serve now (retry later).
using TimeStamper = std::function<Bytes(Digest algorithm, ByteView imprint)>;

// Who signs: a key in the HSM — for a person, hsm::Token::wrapped_signer of the wrapped key the
// CA stored, unwrapped for this one signature — and its certificate, with the CA certificates
// above it, nearest first (the root may be left out: a relying party has it).
struct CmsSigner {
    std::shared_ptr<const hsm::Signer> key;
    X509Ptr certificate;
    std::vector<X509Ptr> chain;
};

struct CmsSignOptions {
    // RSA keys: PKCS#1 v1.5 (sha*WithRSAEncryption) or PSS (id-RSASSA-PSS, RFC 4056). EC keys
    // always sign ECDSA.
    hsm::Padding rsa_padding = hsm::Padding::pkcs1;
    // A signing-time attribute (RFC 5652 §11.3) claiming this time. Absent by default: PAdES
    // forbids it (EN 319 142-1 §6.3: the claimed time is the signature dictionary's /M), and
    // the time that counts is the signature time-stamp's. EN 319 122-1 §6.3 lists it for CAdES
    // baseline signatures; a CAdES caller that wants it passes the injected clock's time.
    std::optional<Clock::time_point> signing_time{};
};

// A detached SignedData (RFC 5652 §5) at CAdES baseline level B-T (EN 319 122-1 §6.3): one
// SignerInfo identified by issuer and serial, digestAlgorithm = `content.algorithm`, and
//   signed attributes (§5.1, §5.2): content-type id-data, message-digest = content.value, and
//     signing-certificate-v2 (RFC 5035: ESSCertIDv2 of the certificate with its issuerSerial,
//     hashed with the content's digest) — and no signing-time unless the options ask for it;
//   the signature over their DER (RFC 5652 §5.4), made by `signer.key` in the HSM;
//   the unsigned attribute signature-time-stamp (id-aa-signatureTimeStampToken, RFC 3161
//     appendix A, EN 319 122-1 §5.3): `time_stamper`'s token over the hash of the signature
//     value;
//   SignedData.certificates: the certificate and the chain.
// Checked before the HSM is asked (Errc::invalid_argument, nothing signed): the digest's length,
// the certificate holds the key's public key, its keyUsage (when present) allows
// digitalSignature or nonRepudiation (RFC 5280 §4.2.1.3), the padding suits the key. The
// signature is verified with the certificate's key before it is time-stamped (Errc::internal if
// the HSM's signature does not verify). The time-stamper's errors pass through (Errc::unavailable
// when the TSA cannot serve), and nothing is returned then; a token that is not over this
// signature is Errc::internal.
Bytes sign_detached(const ContentDigest& content, const CmsSigner& signer,
                    const TimeStamper& time_stamper, const CmsSignOptions& options = {});

// The attached form of a detached SignedData (`cms_der`, as sign_detached makes it): `content`
// as its eContent (RFC 5652 §5.2), everything else byte for byte, so the signature and its
// time-stamp stand. `content` must be what the message-digest attribute was computed over; it
// is not hashed again here. No kMaxCmsBytes bound on the result: it is the content's size plus
// the CMS, bounded by whoever accepted the content. Errc::invalid_argument when `cms_der` is not
// a DER SignedData or already holds content.
Bytes attach_content(ByteView cms_der, ByteView content);

}  // namespace signet::sign
