#pragma once

// The Cloud Signature Consortium API v2.0.0.2 over HTTP (issue 17, docs/csc.md): the shell over
// csc::RemoteSigning, under /csc/v2, HTTPS only. The routes have no scope: each handler
// authenticates as the CSC API says —
//   - info: anyone (POST, and GET for a browser);
//   - auth/login: HTTP Basic "client-name:API-client-bearer-token" (RFC 7617), or the client
//     certificate (mutual TLS), or a refresh_token in the body;
//   - oauth2/token, oauth2/revoke: the client credentials (RFC 6749 §2.3.1: Basic, or
//     client_id/client_secret in the form; client_id alone with a client certificate);
//   - everything else: `Authorization: Bearer <access token>` (RFC 6750 §2.1) that auth/login or
//     oauth2/token issued.
// The API client needs the scope "csc" (else 403 access_denied). Answers are JSON; a refusal is
// {"error", "error_description"} (CSC API §10.2) with csc::http_status's status; 401 carries
// `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3) or, for a client's wrong
// secret, `WWW-Authenticate: Basic realm="signet"`; Errc::unavailable is 503
// temporarily_unavailable with Retry-After; anything unexpected 500 server_error, its message
// only in the server's log. Token and SAD answers carry `Cache-Control: no-store` (RFC 6749
// §5.1).

#include <optional>
#include <string>
#include <vector>

#include "api/auth.hpp"
#include "api/router.hpp"
#include "common/log.hpp"
#include "csc/remote_signing.hpp"
#include "policy/config.hpp"

namespace signet::api {

struct CscServices {
    csc::RemoteSigning& service;
    const ClientDirectory& clients;  // auth/login's and oauth2/token's client authentication
    policy::CscSettings settings;    // what info says; multisign bounds numSignatures
    Logger* log = nullptr;           // where a 500's cause goes (with the request id)
    // The API clients that have the scope "csc" now (signetd: from signet.yaml). An access or
    // refresh token outlives a configuration change: one whose client is no longer here is
    // refused (403 access_denied), and a refresh token of such a client is revoked when used.
    std::vector<std::string> platforms;
};

// The methods `info` lists (CSC API §11 names, without the oauth2 endpoints).
const std::vector<std::string>& csc_methods();

void add_csc_routes(Router& router, CscServices services);

}  // namespace signet::api
