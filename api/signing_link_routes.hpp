#pragma once

#include "api/router.hpp"
#include "ra/registry.hpp"
#include "sign/contracts.hpp"
#include "sign/signing_links.hpp"

namespace signet::api {

struct SigningLinkServices {
    sign::SigningLinks& links;
    sign::Contracts& contracts;
    ra::Registry& registry;  // the parties' names
};

// The signing link's page data (issue 13 "a signing link carrying a single-use capability
// token", sign/signing_links.hpp; the signer's page /sign/{token}, docs/web.md). HTTPS only, no
// credential: the token in the path is the capability.
//   GET /v1/signing/{token}   {"contract": {"id", "title", "state", "format",
//                             "current_revision", "revision_sha256" (what a sign request
//                             names), "fingerprint" (what the SMS names), "document_sha256",
//                             "document_size", "file_name", "shredded",
//                             "expires_at"}, "signer": {"position", "kind", "state", "due"},
//                             "parties": [{"position", "kind", "name", "agent_name" (a seal's),
//                             "state", "signed_at", "due"}], "link_expires_at"}
//   GET /v1/signing/{token}/document   what the signer signs (streamed, Repr-Digest): a PDF's
//                             current revision, other bytes' original (document_sha256)
// 404 `not-found` for a token that is unknown or not a token at all; 410 `signing-link-used`
// or `signing-link-expired` (with the contract's `contract_state`) for one that was issued but
// no longer opens anything — only its holder can ask, so this tells nobody else anything.
// Reading does not use the token up; the signing routes consume it when the signature is made.
// Every answer is `Cache-Control: no-store`. The services outlive the router.
void add_signing_link_routes(Router& router, SigningLinkServices services);

// The 410 answer for a link that is used or expired (`status.state` not open or unknown), with
// `contract_state` as an extension member when it is not empty; the signing routes answer it too.
Response closed_link(const sign::SigningLinkStatus& status, std::string_view request_id,
                     const std::string& contract_state = {});

}  // namespace signet::api
