#pragma once

#include "api/router.hpp"
#include "ca/authority.hpp"
#include "common/clock.hpp"
#include "store/certificates.hpp"

namespace signet::api {

// The CA's routes. The shell only: parse, authenticate (the router checks scopes), call the
// Authority or a read-only repository, map the result.
//   GET  /ca/{name}.crt                       CA certificate, application/pkix-cert (both)
//   GET  /crl/{name}.crl                      newest full CRL, application/pkix-crl (both)
//   GET  /v1/cas                              the CAs, their newest CRLs (certificates:read)
//   POST /v1/certificates                     issue        (certificates:issue)
//   GET  /v1/certificates?subject_id=&status=&ca=&serial=&after=&limit=
//                                             search       (certificates:read)
//   GET  /v1/certificates/{serial}            one          (certificates:read)
//   POST /v1/certificates/{serial}/revoke     revoke       (certificates:revoke)
void add_ca_routes(Router& router, ca::Authority& authority, store::CertificateReader& reader,
                   const Clock& clock);

}  // namespace signet::api
