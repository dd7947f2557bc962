#pragma once

// The evidence package's half of POST /v1/verify and the public page's POST /verify/report
// (verify_routes.hpp): a ZIP handed to the verification is judged by evidence::verify_package
// against the appliance's own roots, as `signetctl evidence verify --root` would judge it.
#include <string>
#include <string_view>

#include "api/router.hpp"
#include "api/verify_routes.hpp"
#include "evidence/zip.hpp"

namespace signet::api {

// What the answer's "format" says of a package report, beside sign::report_json's "pdf" and
// "cms": the one member a client (web/assets/report_view.js) switches on.
inline constexpr std::string_view kEvidencePackageFormat = "evidence-package";

// A ZIP's first local file header signature (APPNOTE.TXT §4.3.7, 0x04034b50 little-endian): an
// evidence package starts with it, a PDF ("%PDF-") or a DER CMS (0x30) never does.
bool looks_like_zip(std::string_view bytes) noexcept;

// The archive bounds for a route whose documents may be `max_document_bytes`: the package's
// entries together hold at most what the route would take as a document plus kVerifyOverhead,
// so a small deflated upload cannot make the route hold more than a large document would.
evidence::ZipLimits package_limits(std::size_t max_document_bytes);

// 200 with evidence::report_json plus "format": "evidence-package", whatever the verdict.
// Errc::failed_precondition (409) when the appliance has no root CA yet (nothing to judge
// against); Errc::invalid_argument prefixed with `where` ("the body", "the part 'signature'")
// for an archive evidence::read_zip refuses.
Response verify_evidence_package(const VerifyServices& services, std::string_view zip,
                                 const std::string& where);

}  // namespace signet::api
