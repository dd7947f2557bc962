#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "api/router.hpp"
#include "common/clock.hpp"
#include "common/handle.hpp"

namespace signet::api {

struct VerifyServices {
    // signing.max_document_bytes: the body may be that plus kVerifyOverhead (a signed document
    // is larger than the one submitted: each signature's /Contents, the /DSS).
    std::size_t max_document_bytes = 100 * 1024 * 1024;
    // The roots a chain must lead to for "trusted", asked per request (signetd: the
    // appliance's own root CAs, so a key ceremony after start counts). May return none.
    std::function<std::vector<X509Ptr>()> trust_anchors;
    const Clock& clock;  // a signature without a usable time-stamp is judged at now
};

// What signing adds to a document, and a form's headers and boundaries: 16 MiB.
inline constexpr std::size_t kVerifyOverhead = 16u * 1024 * 1024;

// POST /v1/verify (issue 13, "Verification"), HTTPS only, scope `contracts`: the shell over
// sign::verify_document and, for an evidence package, evidence::verify_package
// (verify_evidence.hpp). The body is the signed document:
//   application/pdf                          a PDF: each signature and document time-stamp
//   application/pkcs7-signature, application/cms   a CMS: refused, it needs its data
//   application/zip                          an evidence package (issue 15)
//   multipart/form-data                      parts "signature" (a PDF, a detached CMS, or an
//                                            evidence package: a ZIP, told by its first bytes)
//                                            and, for a CMS only, "data" (the signed bytes)
// 200 with the JSON report whatever the verdict: "valid" says it; "format" says which report
// ("pdf", "cms": sign/verify_report.hpp; "evidence-package": evidence::report_json). 400
// problem+json naming the part for input that is not a signed document or a readable package;
// 409 for a package when the appliance has no root CA yet; 415 for another Content-Type. The
// work runs on the worker pool (Route's default), never on an I/O thread.
void add_verify_routes(Router& router, VerifyServices services);

// The verification POST /v1/verify runs, for a request of any route: the public page's
// POST /verify/report (web/) answers the same report from the same code.
Response verify_request(const VerifyServices& services, const Request& request);

}  // namespace signet::api
