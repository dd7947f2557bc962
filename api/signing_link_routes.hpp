#pragma once

#include "api/router.hpp"
#include "sign/contracts.hpp"
#include "sign/signing_links.hpp"

namespace signet::api {

struct SigningLinkServices {
    sign::SigningLinks& links;
    sign::Contracts& contracts;
};

// The signing link's page data (issue 13 "a signing link carrying a single-use capability
// token", sign/signing_links.hpp). HTTPS only, no credential: the token in the path is the
// capability.
//   GET /v1/signing/{token}   {"contract": {"id", "title", "state", "current_revision",
//                             "revision_sha256", "expires_at"}, "signer": {"position", "kind",
//                             "due"}, "link_expires_at"}
// 404 `not-found` for a token that is unknown, used, expired or not a token at all (one answer
// for all: the route tells nothing about tokens it does not honour). Reading does not use the
// token up; the signing routes consume it when the signature is made. The services outlive
// the router.
void add_signing_link_routes(Router& router, SigningLinkServices services);

}  // namespace signet::api
