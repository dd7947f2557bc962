#pragma once

#include <memory>
#include <string>
#include <vector>

#include "audit/log.hpp"
#include "common/clock.hpp"
#include "hsm/token.hpp"
#include "policy/config.hpp"
#include "store/certificates.hpp"

namespace signet::ca {

struct ResponderRenewal {
    hsm::Token& token;
    store::Database& database;
    store::CertificateRepository& certificates;
    audit::AuditLog& audit;
    const Clock& clock;
    policy::OcspSettings settings;
    std::string actor = "signetd";
};

// Renews each issuing CA's OCSP responder certificate (role ocsp:{ca}) that has expired or
// expires within ocsp.responder_renew_before_days: a new certificate for the SAME HSM key (its
// label is in the current certificate's record), with the key ceremony's profile (KU
// digitalSignature, EKU id-kp-OCSPSigning, id-pkix-ocsp-nocheck, no AIA or CRL DP: RFC 6960
// §4.2.2.2 and §4.2.2.2.1), valid ocsp.responder_validity_days but never past its CA's notAfter
// (RFC 5280 §6.1.3: a path is valid only within every certificate's validity), through the
// issuance cycle (linted, recorded before signing), recorded as the role's certificate with the
// audit event "ocsp.responder_renewed" in the same transaction.
//
// One node at a time: under a PostgreSQL advisory lock (pg_try_advisory_lock; a node that does
// not get it returns, the other is renewing), and each CA is looked at again once the lock is
// held, so two callers renew a certificate once. A CA without a responder certificate has no
// key to renew from (the ceremony's ocsp_responder makes the first), and a revoked one is not
// renewed for its key (it may be compromised): both are left as they are (ocsp/health reports
// them). Returns the names of the CAs renewed. Throws what the HSM or the database throws,
// keeping the renewals done before.
std::vector<std::string> renew_ocsp_responders(const ResponderRenewal& renewal);

}  // namespace signet::ca
