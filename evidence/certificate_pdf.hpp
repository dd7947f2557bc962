#pragma once

// The evidence certificate: one page for people, inside every package (evidence-certificate.pdf),
// saying what the package proves; sealed by the platform's e-seal (PAdES, EN 319 142-1) so the
// page itself cannot be changed unnoticed.
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "sign/pades_signing.hpp"

namespace signet::evidence {

struct CertificateSigner {
    int position = 0;
    std::string kind;  // "person" or "seal"
    std::string name;
    std::optional<Clock::time_point> signed_at;  // the genTime of its "signed" event's time-stamp
    std::string certificate_serial;              // lowercase hex
    std::string certificate_issuer;              // RFC 2253
    std::string certificate_sha256;              // lowercase hex of the DER's SHA-256
};

struct CertificateContent {
    std::string contract_id;
    std::string title;
    std::string format;           // "pdf" or "bytes"
    std::string state;            // the contract's state when the package was made
    std::string document_sha256;  // the package's signed document (hex)
    std::vector<CertificateSigner> signers;
    std::string checkpoint_origin;
    std::uint64_t checkpoint_size = 0;
    std::string checkpoint_root;  // hex
    Clock::time_point checkpoint_time;
    Clock::time_point made_at;
};

// The unsigned page (qpdf): A4, Helvetica, every line of `content`; text outside Latin-1 (the
// standard font's encoding, WinAnsi) is shown as '?' — the exact names are in the package's
// identity/*.json files. Shrinks the type so any number of signers fits on the one page.
Bytes certificate_page(const CertificateContent& content);

// The page sealed: an invisible PAdES signature (field "Evidence-Seal") by `parties.signer`,
// its signature time-stamp from `parties.time_stamper`, and a /DSS with the validation data of
// both chains (B-LT).
Bytes sealed_certificate(const CertificateContent& content, const sign::SigningParties& parties,
                         Clock::time_point now);

}  // namespace signet::evidence
