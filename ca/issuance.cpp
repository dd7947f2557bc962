#include "ca/issuance.hpp"

#include "ca/lint.hpp"
#include "common/error.hpp"

namespace signet::ca {

namespace {

constexpr int kSerialAttempts = 3;

std::string joined(const std::vector<LintFinding>& findings) {
    std::string text;
    for (const auto& f : findings)
        text += (text.empty() ? "" : "; ") + f.rule + ": " + f.message;
    return text;
}

// Marks the row abandoned (best effort: if the database is gone the row stays 'reserved', which
// says the same thing: never signed) and records why.
void abandon(IssuanceContext& context, const store::CertificateRecord& record,
             const std::string& actor, const std::string& failure) {
    try {
        context.database.transaction([&](store::Connection& tx) {
            if (!context.certificates.mark_abandoned(tx, record.serial, failure))
                return;  // abandoned by another (Authority::revoke_subject) meanwhile
            context.audit.record(tx, {"certificate.abandoned",
                                      actor,
                                      "certificate:" + serial_hex(record.serial),
                                      {{"issuer_ca", record.issuer_ca}, {"failure", failure}}});
        });
    } catch (const Error&) {
    }
}

}  // namespace

Issued issue_certificate(IssuanceContext& context, const Issuer& issuer, IssuanceDraft draft) {
    if (issuer.key == nullptr || (draft.subject_key == nullptr && draft.record.public_key.empty()))
        throw Error(Errc::internal, "issue_certificate needs the issuer's and the subject's keys");
    if (draft.record.public_key.empty())
        draft.record.public_key = public_key_der(draft.subject_key);

    // 1-2: serial, TBS, reservation. A serial collision (2^-159 per pair) is retried.
    X509Ptr certificate;
    store::CertificateRecord record = std::move(draft.record);
    const bool journaled = context.journal != nullptr && !draft.also;
    for (int attempt = 1;; ++attempt) {
        draft.tmpl.serial = make_serial(context.random);
        // Built once, from the key's SubjectPublicKeyInfo as it is (no key encoded or
        // decoded). The TBS is fixed without signing: it holds the signature algorithm the
        // issuer's key will use, set here as signing sets it, and an empty signature nothing
        // reads (our linter checks no signature). Step 4 signs this very object and checks the
        // TBS it then has is byte for byte the one reserved and linted.
        certificate = build_certificate(draft.tmpl, record.public_key, issuer.certificate);
        set_signature_algorithm(certificate.get(), issuer.key_type);

        record.serial = draft.tmpl.serial;
        record.issuer_ca = issuer.name;
        record.subject_dn = format_distinguished_name(X509_get_subject_name(certificate.get()));
        record.tbs = tbs_der(certificate.get());
        record.status = "reserved";
        record.not_before = draft.tmpl.not_before;
        record.not_after = draft.tmpl.not_after;
        record.reserved_at = context.clock.now();
        try {
            if (journaled) {
                context.journal->reserve(record);
            } else {
                context.database.transaction(
                    [&](store::Connection& tx) { context.certificates.reserve(tx, record); });
            }
            break;
        } catch (const Error& e) {
            if (e.code() != Errc::already_exists || attempt == kSerialAttempts)
                throw;
        }
    }

    // 3: lint, before anything is signed. A self-signed certificate is its own issuer.
    const X509* lint_issuer =
        issuer.certificate != nullptr ? issuer.certificate : certificate.get();
    const auto findings = lint_certificate(certificate.get(), lint_issuer, draft.tmpl);
    if (!findings.empty()) {
        const std::string failure = "lint: " + joined(findings);
        abandon(context, record, draft.actor, failure);
        throw Error(Errc::failed_precondition,
                    "certificate " + serial_hex(record.serial) + " not issued: " + failure);
    }
    if (context.after_reservation)
        context.after_reservation(record);
    if (draft.still_allowed) {
        try {
            draft.still_allowed();
        } catch (const Error& e) {
            abandon(context, record, draft.actor, e.what());
            throw;
        }
    }

    // 4: the HSM signs; the signed TBS must be the linted one.
    sign_certificate(certificate.get(), issuer.key);
    if (tbs_der(certificate.get()) != record.tbs) {
        const std::string failure = "the signed tbsCertificate differs from the linted one";
        abandon(context, record, draft.actor, failure);
        throw Error(Errc::internal,
                    "certificate " + serial_hex(record.serial) + " not issued: " + failure);
    }

    // 5: store it with its audit event.
    const Bytes der = certificate_der(certificate.get());
    record.der = der;
    record.status = "issued";
    record.issued_at = context.clock.now();
    nlohmann::json details = draft.audit_details;
    details["issuer_ca"] = record.issuer_ca;
    details["purpose"] = record.purpose;
    details["profile"] = record.profile;
    details["subject_dn"] = record.subject_dn;
    details["key_type"] = record.key_type;
    details["key_source"] = record.key_source;
    details["fingerprint_sha256"] = sha256_fingerprint(der);
    if (record.subject_id)
        details["subject_id"] = *record.subject_id;
    const audit::AuditEvent event{"certificate.issued", draft.actor,
                                  "certificate:" + serial_hex(record.serial), std::move(details)};
    if (journaled) {
        context.journal->complete(record, event);
    } else {
        context.database.transaction([&](store::Connection& tx) {
            context.certificates.mark_issued(tx, record.serial, der, *record.issued_at);
            if (draft.also)
                draft.also(tx, record);
            // Deferred: the event commits with the certificate but takes no append lock, so
            // concurrent issuances do not queue behind each other's commits (audit/README.md).
            context.audit.defer(tx, event);
        });
    }
    // The caller decodes the DER if it needs an object (Issued::certificate): the one signed
    // here was built from the key's bytes and has no decoded public key (build_certificate).
    return Issued(std::move(record));
}

X509* Issued::certificate() const {
    if (!decoded_) {
        if (!record.der)
            throw Error(Errc::internal,
                        "certificate " + serial_hex(record.serial) + " is not signed");
        decoded_ = certificate_from_der(*record.der);
    }
    return decoded_.get();
}

}  // namespace signet::ca
