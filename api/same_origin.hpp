#pragma once

#include "api/http.hpp"

namespace signet::api {

// Cross-site request forgery, for a state-changing route whose only credential is a capability
// in its path (the signing link's token): a page on another site that learned the link (from a
// Referer, say) must not be able to make the signer's browser post to it. Refused with
// Errc::permission_denied (403) or Errc::invalid_argument (400), before anything is read:
//   - the body must be application/json. A cross-site page can send only the "CORS-safelisted"
//     types (application/x-www-form-urlencoded, multipart/form-data, text/plain) without a
//     preflight (WHATWG Fetch §3.2.2, "CORS-safelisted request-header"), and signetd answers
//     no preflight, so a forged request can never carry this type;
//   - a Sec-Fetch-Site header, when the browser sends one, must be "same-origin" or "none"
//     (W3C Fetch Metadata Request Headers §2.4: "cross-site" and "same-site" are other sites);
//   - an Origin header, when sent, must be this server's own: "https://" + Host (RFC 6454 §7.2:
//     the origin of the page that made the request; "null" is an opaque origin, refused).
// A platform's server-side client (curl, no browser) sends neither header and passes.
void refuse_cross_site(const Request& request);

}  // namespace signet::api
