#include "ca/ceremony.hpp"

#include <algorithm>
#include <fstream>
#include <set>

#include "ca/issuance.hpp"
#include "ca/service_purposes.hpp"
#include "common/error.hpp"
#include "common/host_names.hpp"
#include "hsm/bridge.hpp"

namespace signet::ca {

namespace {

namespace fs = std::filesystem;

const std::string kTimeStamping = "1.3.6.1.5.5.7.3.8";  // RFC 3161 §2.3
const std::string kServerAuth = "1.3.6.1.5.5.7.3.1";    // RFC 5280 §4.2.1.12
const std::string kAnyPolicy = "2.5.29.32.0";           // RFC 5280 §4.2.1.4
// The TLS server certificate's service role, purpose and PEM file name.
const std::string kTlsServer = "tls-server";
// The audit checkpoint signer's (audit/checkpoint.hpp; signetd and signetctl find it by it).
const std::string kAuditCheckpoint = "audit-checkpoint";
// The evidence seal's service role, purpose and PEM file name.
const std::string kEvidenceSeal = "evidence-seal";
// RFC 9336 §3 id-kp-documentSigning, and id-kp-emailProtection (RFC 5280 §4.2.1.12).
const std::string kDocumentSigning = "1.3.6.1.5.5.7.3.36";
const std::string kEmailProtection = "1.3.6.1.5.5.7.3.4";

TimePoint whole_seconds(Clock::time_point t) {
    return std::chrono::time_point_cast<std::chrono::seconds>(t);
}

// Validity from `now`, last second included (RFC 5280 §4.1.2.5).
void set_validity(CertificateTemplate& tmpl, TimePoint now, unsigned days) {
    tmpl.not_before = now;
    tmpl.not_after = now + std::chrono::days(days) - std::chrono::seconds(1);
}

struct Made {
    std::shared_ptr<const hsm::Signer> signer;
    EvpPkeyPtr key;
    Issued issued;
};

class CeremonyRun {
  public:
    CeremonyRun(const policy::Ceremony& c,
                const std::map<std::string, policy::CertificateProfile>& profiles,
                hsm::Token& token, store::Database& database,
                store::CertificateRepository& certificates, audit::AuditLog& audit,
                const Clock& clock, std::string actor)
        : c_(c),
          profiles_(profiles),
          token_(token),
          certificates_(certificates),
          audit_(audit),
          actor_(std::move(actor)),
          context_{database,
                   certificates,
                   audit,
                   clock,
                   [&token](std::size_t n) { return token.random(n); },
                   {},
                   nullptr},
          now_(whole_seconds(clock.now())) {}

    void preflight() {
        std::vector<std::string> problems;
        auto check_dn = [&](const std::string& where, const std::string& dn) {
            try {
                make_name(parse_distinguished_name(dn));
                return true;
            } catch (const Error& e) {
                problems.push_back(where + ".subject: " + e.what());
                return false;
            }
        };
        std::set<std::string> labels;
        for (const auto& key : token_.list_keys())
            labels.insert(key.label);
        auto check_label = [&](const std::string& where, const std::string& label) {
            if (labels.contains(label))
                problems.push_back(where + ".key.label: the HSM already holds a key labelled '" +
                                   label + "'");
        };
        auto check_file = [&](const std::string& name) {
            if (fs::exists(pem_path(name)))
                problems.push_back("output file " + pem_path(name).string() + " already exists");
        };
        auto check_ca = [&](const std::string& where, const policy::CeremonyCa& ca) {
            check_dn(where, ca.subject);
            check_label(where, ca.key.label);
            check_file(ca.name);
            if (certificates_.find_ca(ca.name))
                problems.push_back(where + ".name: a CA named '" + ca.name + "' already exists");
        };
        check_ca("root", c_.root);
        for (std::size_t i = 0; i < c_.issuing_cas.size(); ++i) {
            const auto& ca = c_.issuing_cas[i];
            const std::string where = "issuing_cas[" + std::to_string(i) + "]";
            check_ca(where, ca);
            check_policies(where, ca, problems);
            if (ca.validity_days > c_.root.validity_days)
                problems.push_back(where + ".validity_days: " + std::to_string(ca.validity_days) +
                                   " outlasts the root's " + std::to_string(c_.root.validity_days));
            if (ca.ocsp_responder) {
                check_dn(where + ".ocsp_responder", ca.ocsp_responder->subject);
                check_label(where + ".ocsp_responder", ca.ocsp_responder->key.label);
                check_file("ocsp-" + ca.name);
                if (certificates_.find_service("ocsp:" + ca.name))
                    problems.push_back(where + ".ocsp_responder: CA '" + ca.name +
                                       "' already has an OCSP responder certificate");
                if (ca.ocsp_responder->validity_days > ca.validity_days)
                    problems.push_back(where + ".ocsp_responder.validity_days: outlasts its CA");
            }
        }
        if (c_.tsa) {
            check_dn("tsa", c_.tsa->subject);
            check_label("tsa", c_.tsa->key.label);
            check_file("tsa");
            if (certificates_.find_service("tsa"))
                problems.push_back("tsa: a TSA certificate already exists");
            for (const auto& ca : c_.issuing_cas) {
                if (ca.name == c_.tsa->issuer && c_.tsa->validity_days > ca.validity_days)
                    problems.push_back("tsa.validity_days: outlasts its issuer '" + ca.name + "'");
            }
        }
        if (c_.audit_checkpoint) {
            const auto& spec = *c_.audit_checkpoint;
            check_dn("audit_checkpoint", spec.subject);
            check_label("audit_checkpoint", spec.key.label);
            check_file(kAuditCheckpoint);
            if (certificates_.find_service(kAuditCheckpoint))
                problems.push_back(
                    "audit_checkpoint: an audit checkpoint certificate already exists");
            for (const auto& ca : c_.issuing_cas) {
                if (ca.name == spec.issuer && spec.validity_days > ca.validity_days)
                    problems.push_back("audit_checkpoint.validity_days: outlasts its issuer '" +
                                       ca.name + "'");
            }
        }
        if (c_.tls_server) {
            const auto& tls = *c_.tls_server;
            if (check_dn("tls_server", tls.subject))
                check_common_name(tls, problems);
            check_label("tls_server", tls.key.label);
            check_file(kTlsServer);
            if (certificates_.find_service(kTlsServer))
                problems.push_back("tls_server: a TLS server certificate already exists");
            for (const auto& ca : c_.issuing_cas) {
                if (ca.name == tls.issuer && tls.validity_days > ca.validity_days)
                    problems.push_back("tls_server.validity_days: outlasts its issuer '" + ca.name +
                                       "'");
            }
        }
        if (c_.evidence_seal) {
            const auto& seal = *c_.evidence_seal;
            check_dn("evidence_seal", seal.subject);
            check_label("evidence_seal", seal.key.label);
            check_file(kEvidenceSeal);
            if (certificates_.find_service(kEvidenceSeal))
                problems.push_back("evidence_seal: an evidence seal certificate already exists");
            for (const auto& ca : c_.issuing_cas) {
                if (ca.name == seal.issuer && seal.validity_days > ca.validity_days)
                    problems.push_back("evidence_seal.validity_days: outlasts its issuer '" +
                                       ca.name + "'");
            }
        }
        if (!problems.empty()) {
            std::string text = c_.file.string() + ": the ceremony cannot run; nothing was made:";
            for (const auto& p : problems)
                text += "\n  " + p;
            const bool exists = std::ranges::any_of(problems, [](const std::string& p) {
                return p.find("already") != std::string::npos;
            });
            throw Error(exists ? Errc::already_exists : Errc::invalid_argument, text);
        }
    }

    std::vector<CeremonyResult> run() {
        preflight();
        fs::create_directories(c_.output_dir);
        audit_.record({"ceremony.started",
                       actor_,
                       "ceremony:" + c_.file.filename().string(),
                       {{"file", c_.file.string()}}});

        Made root = make_ca(c_.root, nullptr, nullptr);
        for (const auto& ca : c_.issuing_cas) {
            Made issuing = make_ca(ca, &c_.root, &root);
            if (ca.ocsp_responder)
                make_responder(ca, issuing);
            if (c_.tsa && c_.tsa->issuer == ca.name)
                make_tsa(ca, issuing);
            if (c_.audit_checkpoint && c_.audit_checkpoint->issuer == ca.name)
                make_audit_checkpoint(ca, issuing);
            if (c_.tls_server && c_.tls_server->issuer == ca.name)
                make_tls_server(ca, issuing);
            if (c_.evidence_seal && c_.evidence_seal->issuer == ca.name)
                make_evidence_seal(ca, issuing);
        }
        audit_.record({"ceremony.completed",
                       actor_,
                       "ceremony:" + c_.file.filename().string(),
                       {{"certificates", results_.size()}}});
        return results_;
    }

  private:
    // The policies of the profiles issued under `ca`, sorted, each once.
    std::set<std::string> profile_policies(const policy::CeremonyCa& ca) const {
        std::set<std::string> policies;
        for (const auto& [name, profile] : profiles_) {
            if (profile.issuer == ca.name)
                policies.insert(profile.certificate_policies.begin(),
                                profile.certificate_policies.end());
        }
        return policies;
    }

    // An issuing CA's certificatePolicies: the ceremony file's list, else its profiles'.
    std::vector<std::string> policies_of(const policy::CeremonyCa& ca) const {
        if (ca.certificate_policies)
            return *ca.certificate_policies;
        const auto policies = profile_policies(ca);
        return {policies.begin(), policies.end()};
    }

    // A list in the ceremony file must cover the CA's profiles, or their certificates would not
    // validate under explicit policy (RFC 5280 §6.1.3 (d)).
    void check_policies(const std::string& where, const policy::CeremonyCa& ca,
                        std::vector<std::string>& problems) const {
        if (!ca.certificate_policies || std::ranges::find(*ca.certificate_policies, kAnyPolicy) !=
                                            ca.certificate_policies->end())
            return;
        for (const auto& [name, profile] : profiles_) {
            if (profile.issuer != ca.name)
                continue;
            for (const auto& policy : profile.certificate_policies) {
                if (std::ranges::find(*ca.certificate_policies, policy) ==
                    ca.certificate_policies->end())
                    problems.push_back(where + ".certificate_policies: profile '" + name +
                                       "' issues under policy " + policy +
                                       ", which the list lacks (add it, or anyPolicy)");
            }
        }
    }

    fs::path pem_path(const std::string& name) const { return c_.output_dir / (name + ".pem"); }

    Made make_key(const policy::CeremonyKey& key) {
        Made made;
        made.signer = token_.generate_key(key.type, key.label);
        made.key = hsm::bridge_key(made.signer);
        audit_.record({"hsm.key_generated",
                       actor_,
                       "hsm_key:" + key.label,
                       {{"key_type", std::string(to_string(key.type))}}});
        return made;
    }

    store::CertificateRecord draft_record(const std::string& purpose,
                                          const policy::CeremonyKey& key, EVP_PKEY* public_key) {
        store::CertificateRecord r;
        r.purpose = purpose;
        r.profile = purpose;
        r.key_type = std::string(to_string(key.type));
        r.key_source = "hsm-token";
        r.key_label = key.label;
        r.public_key = public_key_der(public_key);
        return r;
    }

    // The root (parent == nullptr) or an issuing CA signed by the root.
    Made make_ca(const policy::CeremonyCa& ca, const policy::CeremonyCa* parent,
                 const Made* parent_made) {
        Made made = make_key(ca.key);
        IssuanceDraft draft;
        draft.actor = actor_;
        draft.subject_key = made.key.get();
        draft.tmpl.subject = parse_distinguished_name(ca.subject);
        set_validity(draft.tmpl, now_, ca.validity_days);
        draft.tmpl.is_ca = true;
        draft.tmpl.key_usage = {"keyCertSign", "cRLSign"};
        if (parent != nullptr) {
            draft.tmpl.path_length = ca.path_length;
            draft.tmpl.certificate_policies = policies_of(ca);
            draft.tmpl.crl_distribution_point = parent->crl_distribution_point;
            draft.tmpl.ca_issuers_url = parent->ca_issuers_url;
            draft.tmpl.ocsp_url = parent->ocsp_url;
        }
        draft.record = draft_record(parent == nullptr ? "root" : "ca", ca.key, made.key.get());
        const std::string role = parent == nullptr ? "root" : "issuing";
        draft.also = [&](store::Connection& tx, const store::CertificateRecord& record) {
            certificates_.add_ca(
                tx, {ca.name,
                     role,
                     parent == nullptr ? std::nullopt : std::optional<std::string>(parent->name),
                     ca.key.label,
                     record.key_type,
                     record.serial,
                     {},
                     *record.issued_at});
            audit_.record(tx, {"ca.created",
                               actor_,
                               "ca:" + ca.name,
                               {{"role", role}, {"key_label", ca.key.label}}});
        };
        const Issuer issuer = parent == nullptr
                                  ? Issuer{ca.name, nullptr, made.key.get(), ca.key.type}
                                  : Issuer{parent->name, parent_made->issued.certificate(),
                                           parent_made->key.get(), parent->key.type};
        made.issued = issue_certificate(context_, issuer, std::move(draft));
        finish(ca.name, role, made.issued);
        return made;
    }

    void make_responder(const policy::CeremonyCa& ca, const Made& issuing) {
        const auto& spec = *ca.ocsp_responder;
        Made made = make_key(spec.key);
        IssuanceDraft draft;
        draft.actor = actor_;
        draft.subject_key = made.key.get();
        draft.tmpl.subject = parse_distinguished_name(spec.subject);
        set_validity(draft.tmpl, now_, spec.validity_days);
        set_ocsp_responder_profile(draft.tmpl);
        draft.record = draft_record("ocsp", spec.key, made.key.get());
        const std::string role = "ocsp:" + ca.name;
        draft.also = [&](store::Connection& tx, const store::CertificateRecord& record) {
            certificates_.add_service(tx, role, record.serial, *record.issued_at);
        };
        const Issuer issuer{ca.name, issuing.issued.certificate(), issuing.key.get(), ca.key.type};
        Issued issued = issue_certificate(context_, issuer, std::move(draft));
        finish("ocsp-" + ca.name, "ocsp", issued);
    }

    // A service certificate signed by issuing CA `ca`, its key made in the HSM: `tmpl` says
    // what is particular to it, the rest is common to services (KU digitalSignature unless
    // `tmpl` names its own; the AIA and CRL DP of its issuer, for a relying party to check it);
    // recorded under `role`.
    Issued make_service(const policy::CeremonyCa& ca, const Made& issuing,
                        const policy::CeremonyCertificate& spec, const std::string& role,
                        CertificateTemplate tmpl) {
        Made made = make_key(spec.key);
        IssuanceDraft draft;
        draft.actor = actor_;
        draft.subject_key = made.key.get();
        draft.tmpl = std::move(tmpl);
        draft.tmpl.subject = parse_distinguished_name(spec.subject);
        set_validity(draft.tmpl, now_, spec.validity_days);
        if (draft.tmpl.key_usage.empty())
            draft.tmpl.key_usage = {"digitalSignature"};
        draft.tmpl.crl_distribution_point = ca.crl_distribution_point;
        draft.tmpl.ca_issuers_url = ca.ca_issuers_url;
        draft.tmpl.ocsp_url = ca.ocsp_url;
        draft.record = draft_record(role, spec.key, made.key.get());
        draft.also = [&](store::Connection& tx, const store::CertificateRecord& record) {
            certificates_.add_service(tx, role, record.serial, *record.issued_at);
        };
        const Issuer issuer{ca.name, issuing.issued.certificate(), issuing.key.get(), ca.key.type};
        return issue_certificate(context_, issuer, std::move(draft));
    }

    void make_tsa(const policy::CeremonyCa& ca, const Made& issuing) {
        // RFC 3161 §2.3: exactly one EKU, id-kp-timeStamping, critical.
        CertificateTemplate tmpl;
        tmpl.extended_key_usage = {kTimeStamping};
        tmpl.eku_critical = true;
        finish("tsa", "tsa", make_service(ca, issuing, *c_.tsa, "tsa", std::move(tmpl)));
    }

    // The platform's e-seal (evidence/README.md): it signs what the operator attests, the
    // evidence certificate and the package manifest, so nonRepudiation (contentCommitment) with
    // digitalSignature (RFC 5280 §4.2.1.3; EN 319 412-3 §4.2: a seal's key usage). EKU
    // id-kp-documentSigning (RFC 9336) limits it to documents; id-kp-emailProtection beside it
    // because NSS (poppler's pdfsig) checks a PDF signer as an e-mail signer and refuses a
    // certificate whose EKU lacks it — the e-seal profiles of signet.yaml carry the same pair.
    // Not critical: RFC 9336 §3 lets a relying party that does not know documentSigning go on.
    // The seal's own purpose (ca/service_purposes.hpp) beside them tells it from a signer's
    // personal certificate, which carries the same pair: the evidence verifier requires it.
    void make_evidence_seal(const policy::CeremonyCa& ca, const Made& issuing) {
        CertificateTemplate tmpl;
        tmpl.key_usage = {"digitalSignature", "nonRepudiation"};
        tmpl.extended_key_usage = {kDocumentSigning, kEmailProtection,
                                   std::string(kEvidenceSealPurpose)};
        const auto& spec = *c_.evidence_seal;
        finish(kEvidenceSeal, kEvidenceSeal,
               make_service(ca, issuing, spec, kEvidenceSeal, std::move(tmpl)));
    }

    // The audit log's checkpoint signer (audit/checkpoint.hpp): KU digitalSignature, and an EKU
    // of its own purpose alone (ca/service_purposes.hpp): it signs a plain text body, which no
    // registered key purpose names, and the verifiers (signetctl audit verify, the evidence
    // verifier) accept a checkpoint only from a certificate that states this purpose.
    void make_audit_checkpoint(const policy::CeremonyCa& ca, const Made& issuing) {
        CertificateTemplate tmpl;
        tmpl.extended_key_usage = {std::string(kAuditCheckpointPurpose)};
        finish(kAuditCheckpoint, kAuditCheckpoint,
               make_service(ca, issuing, *c_.audit_checkpoint, kAuditCheckpoint, std::move(tmpl)));
    }

    // The HTTPS listener's certificate: id-kp-serverAuth alone (RFC 5280 §4.2.1.12), the hosts
    // in its subjectAltName (RFC 6125 §6). Its PEM has the issuing CA's certificate after it:
    // the chain the listener serves (listeners.https.tls.certificate), so a client that trusts
    // only the root can build the path.
    void make_tls_server(const policy::CeremonyCa& ca, const Made& issuing) {
        const auto& spec = *c_.tls_server;
        CertificateTemplate tmpl;
        tmpl.extended_key_usage = {kServerAuth};
        tmpl.dns_names = spec.dns_names;
        tmpl.ip_addresses = spec.ip_addresses;
        const Issued issued = make_service(ca, issuing, spec, kTlsServer, std::move(tmpl));
        finish(kTlsServer, kTlsServer, issued, issuing.issued.certificate());
    }

    // CA/B Forum BR §7.1.4.3: a TLS server certificate's subject CN, when there is one, is
    // exactly one entry, a copy of one of its subjectAltName's (an IP address in RFC 5952 text).
    // A client never reads it (RFC 6125 §6.4.4); a CN naming another host only misleads people.
    void check_common_name(const policy::CeremonyTlsServer& tls,
                           std::vector<std::string>& problems) const {
        std::vector<std::string> names;
        for (const auto& [attribute, value] : parse_distinguished_name(tls.subject))
            if (attribute == "CN")
                names.push_back(value);
        if (names.empty())
            return;
        std::vector<std::string> hosts = tls.dns_names;
        for (const auto& ip : tls.ip_addresses)
            if (const auto octets = ip_address_octets(ip))
                hosts.push_back(ip_address_text(*octets));
        if (names.size() > 1 || std::ranges::find(hosts, names.front()) == hosts.end())
            problems.push_back(
                "tls_server.subject: its CN must be one of the names in dns_names "
                "or ip_addresses, once (CA/B Forum BR §7.1.4.3)");
    }

    // Writes the certificate's PEM (followed by `chain`'s when given) to output_dir.
    void finish(const std::string& name, const std::string& role, const Issued& issued,
                const X509* chain = nullptr) {
        const fs::path path = pem_path(name);
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << certificate_pem(issued.certificate());
        if (chain != nullptr)
            out << certificate_pem(chain);
        out.close();
        if (!out)
            throw Error(Errc::io, "cannot write " + path.string());
        results_.push_back({name, role, issued.record.subject_dn, serial_hex(issued.record.serial),
                            sha256_fingerprint(issued.certificate()), path});
    }

    const policy::Ceremony& c_;
    const std::map<std::string, policy::CertificateProfile>& profiles_;
    hsm::Token& token_;
    store::CertificateRepository& certificates_;
    audit::AuditLog& audit_;
    std::string actor_;
    IssuanceContext context_;
    TimePoint now_;
    std::vector<CeremonyResult> results_;
};

}  // namespace

std::vector<CeremonyResult> run_ceremony(
    const policy::Ceremony& ceremony,
    const std::map<std::string, policy::CertificateProfile>& profiles, hsm::Token& token,
    store::Database& database, store::CertificateRepository& certificates, audit::AuditLog& audit,
    const Clock& clock, const std::string& actor) {
    return CeremonyRun(ceremony, profiles, token, database, certificates, audit, clock, actor)
        .run();
}

}  // namespace signet::ca
