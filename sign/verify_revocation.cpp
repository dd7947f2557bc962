// Revocation status from the data a CMS embeds (OCSP responses and CRLs), at a given time.
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "common/error.hpp"
#include "sign/verify_evidence.hpp"

namespace signet::sign {

namespace {

// EN 319 102-1's revocation freshness checker: data issued at `this_update` speaks of `at` when
// it was issued after it, or when `at` lies before its nextUpdate (the maximum accepted age being
// the data's own validity).
bool speaks_of(Clock::time_point at, const std::optional<Clock::time_point>& this_update,
               const std::optional<Clock::time_point>& next_update) {
    if (!this_update)
        return false;
    return *this_update >= at || (next_update && at <= *next_update);
}

// The status at `at` from what the data says: revoked only if revoked at or before it.
void conclude(RevocationReport& report, Clock::time_point at, bool revoked) {
    if (!speaks_of(at, report.this_update, report.next_update)) {
        report.status = RevocationStatus::unknown;
        report.problem = report.source +
                         " data too old for the validation time (nextUpdate "
                         "before it)";
        return;
    }
    report.status = revoked && report.revoked_at && *report.revoked_at <= at
                        ? RevocationStatus::revoked
                        : RevocationStatus::good;
}

// RFC 6960 §4.2.2.2: the response is signed by the issuer itself, or by a responder whose
// certificate the issuer signed and that carries id-kp-OCSPSigning; the responder's certificate
// was valid when the response was produced.
bool authorized_responder(OCSP_BASICRESP* response, X509* issuer, const Evidence& evidence,
                          std::string& problem) {
    X509* responder = nullptr;
    if (OCSP_resp_get0_signer(response, &responder, evidence.certificates.get()) != 1) {
        problem = "the OCSP responder's certificate is not embedded";
        return false;
    }
    // OCSP_NOVERIFY: the signature alone; who may sign is checked below, against this issuer.
    if (OCSP_basic_verify(response, evidence.certificates.get(), nullptr, OCSP_NOVERIFY) != 1) {
        problem = "the OCSP response's signature does not verify";
        return false;
    }
    if (X509_cmp(responder, issuer) == 0)
        return true;
    const bool delegated = X509_check_issued(issuer, responder) == X509_V_OK &&
                           X509_verify(responder, X509_get0_pubkey(issuer)) == 1 &&
                           (X509_get_extension_flags(responder) & EXFLAG_XKUSAGE) != 0 &&
                           (X509_get_extended_key_usage(responder) & XKU_OCSP_SIGN) != 0;
    if (!delegated) {
        problem =
            "the OCSP response is signed by neither the issuer nor a responder it "
            "authorized (RFC 6960 section 4.2.2.2)";
        return false;
    }
    const auto produced = time_of(OCSP_resp_get0_produced_at(response));
    const auto from = time_of(X509_get0_notBefore(responder));
    const auto until = time_of(X509_get0_notAfter(responder));
    if (!produced || !from || !until || *produced < *from || *produced > *until) {
        problem = "the OCSP responder's certificate was not valid when the response was produced";
        return false;
    }
    return true;
}

// The first embedded OCSP response about `certificate` that is usable, else what was wrong.
std::optional<RevocationReport> from_ocsp(X509* certificate, X509* issuer, const Evidence& evidence,
                                          Clock::time_point at) {
    std::optional<RevocationReport> found;
    for (const OcspBasicRespPtr& response : evidence.ocsp) {
        for (const EVP_MD* md : {EVP_sha1(), EVP_sha256()}) {  // the CertID hashes Signet signs
            const OcspCertIdPtr id(OCSP_cert_to_id(md, certificate, issuer));
            const int index = id ? OCSP_resp_find(response.get(), id.get(), -1) : -1;
            if (index < 0)
                continue;
            RevocationReport report;
            report.source = "ocsp";
            if (!authorized_responder(response.get(), issuer, evidence, report.problem)) {
                report.status = RevocationStatus::unknown;
                found = report;
                break;
            }
            int reason = -1;
            ASN1_GENERALIZEDTIME *revoked = nullptr, *this_update = nullptr, *next_update = nullptr;
            const int status =
                OCSP_single_get0_status(OCSP_resp_get0(response.get(), index), &reason, &revoked,
                                        &this_update, &next_update);
            report.this_update = time_of(this_update);
            report.next_update = next_update != nullptr ? time_of(next_update) : std::nullopt;
            if (status == V_OCSP_CERTSTATUS_UNKNOWN || status < 0) {
                report.status = RevocationStatus::unknown;
                report.problem = "the OCSP responder does not know the certificate";
                found = report;
                break;
            }
            if (status == V_OCSP_CERTSTATUS_REVOKED) {
                report.revoked_at = time_of(revoked);
                if (reason >= 0)
                    report.reason = reason;
            }
            conclude(report, at, status == V_OCSP_CERTSTATUS_REVOKED);
            if (report.status != RevocationStatus::unknown)
                return report;
            found = report;
            break;
        }
    }
    clear_openssl_errors();
    return found;
}

// The first embedded CRL of `issuer` (its name, its signature, cRLSign allowed) that is usable.
std::optional<RevocationReport> from_crl(X509* certificate, X509* issuer, const Evidence& evidence,
                                         Clock::time_point at) {
    const bool may_sign_crls = (X509_get_extension_flags(issuer) & EXFLAG_KUSAGE) == 0 ||
                               (X509_get_key_usage(issuer) & KU_CRL_SIGN) != 0;
    std::optional<RevocationReport> found;
    for (const X509CrlPtr& crl : evidence.crls) {
        if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(issuer)) != 0)
            continue;
        RevocationReport report;
        report.source = "crl";
        if (!may_sign_crls || X509_CRL_verify(crl.get(), X509_get0_pubkey(issuer)) != 1) {
            report.status = RevocationStatus::unknown;
            report.problem = "the CRL's signature does not verify with the issuer's key";
            found = report;
            continue;
        }
        report.this_update = time_of(X509_CRL_get0_lastUpdate(crl.get()));
        report.next_update = X509_CRL_get0_nextUpdate(crl.get()) != nullptr
                                 ? time_of(X509_CRL_get0_nextUpdate(crl.get()))
                                 : std::nullopt;
        X509_REVOKED* entry = nullptr;
        const bool revoked = X509_CRL_get0_by_cert(crl.get(), &entry, certificate) == 1;
        if (revoked) {
            report.revoked_at = time_of(X509_REVOKED_get0_revocationDate(entry));
            const Asn1EnumeratedPtr reason(static_cast<ASN1_ENUMERATED*>(
                X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nullptr, nullptr)));
            if (reason)
                report.reason = static_cast<int>(ASN1_ENUMERATED_get(reason.get()));
        }
        conclude(report, at, revoked);
        if (report.status != RevocationStatus::unknown)
            return report;
        found = report;
    }
    clear_openssl_errors();
    return found;
}

}  // namespace

RevocationReport revocation_report(X509* certificate, X509* issuer, const Evidence& evidence,
                                   Clock::time_point at) {
    const auto ocsp = from_ocsp(certificate, issuer, evidence, at);
    if (ocsp && ocsp->status != RevocationStatus::unknown)
        return *ocsp;
    const auto crl = from_crl(certificate, issuer, evidence, at);
    if (crl)
        return *crl;
    if (ocsp)
        return *ocsp;
    RevocationReport missing;
    missing.problem = "no embedded OCSP response or CRL about it";
    return missing;
}

}  // namespace signet::sign
