#include "evidence/package_parts.hpp"

#include <openssl/pkcs7.h>
#include <openssl/ts.h>

#include <nlohmann/json.hpp>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "store/identity_evidence.hpp"

namespace signet::evidence {

namespace layout {

std::string cades_signature(int position) {
    return "document/signer-" + std::to_string(position) + ".p7s";
}
std::string validation(int position, const std::string& kind, std::size_t index) {
    return "validation/signer-" + std::to_string(position) + "/" + kind + "-" +
           std::to_string(index + 1) + ".der";
}
std::string identity(int position) {
    return "identity/signer-" + std::to_string(position) + ".json";
}
std::string audit_event(std::int64_t seq) {
    return "audit/events/" + std::to_string(seq) + ".json";
}
std::string audit_proof(std::int64_t seq) {
    return "audit/proofs/" + std::to_string(seq) + ".json";
}
std::string contract_event(const store::ContractEventRecord& event, const char* extension) {
    return "contract-events/" + std::to_string(event.seq) + "-" + event.type + extension;
}
std::string certificate(ByteView der) {
    return "certificates/" + to_hex(sha256_of(der)).substr(0, 16) + ".der";
}

}  // namespace layout

namespace {

constexpr store::Statement kEventsAbout{
    "evidence.events_about",
    "SELECT seq FROM audit_events WHERE object = $1 ORDER BY seq LIMIT 10001"};
constexpr std::size_t kMaxEvents = 10000;

std::optional<std::string> optional_time(const std::optional<Clock::time_point>& t) {
    return t ? std::optional<std::string>(format_utc(*t)) : std::nullopt;
}

nlohmann::json person_json(const store::Subject& s) {
    // Minimized (DESIGN.md invariant 6): the masked number only, never the number or its HMAC.
    return {{"subject_id", s.id},
            {"kind", s.kind},
            {"name", s.name},
            {"country", s.country},
            {"document_kind", s.document_kind},
            {"id_masked", s.id_masked},
            {"assurance_level", s.assurance_level},
            {"verification_method", s.verification_method},
            {"verified_at", optional_time(s.verified_at).value_or("")}};
}

// The current evidence behind the level: each record's method, level, provider (issuer) or the
// officer's verification, and when; never the statement itself, only what the RA kept.
nlohmann::json evidence_json(const std::vector<store::IdentityEvidenceRecord>& records) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : records) {
        if (r.superseded_at)
            continue;
        nlohmann::json e = {
            {"method", r.method}, {"level", r.level}, {"recorded_at", format_utc(r.recorded_at)}};
        if (r.issuer)
            e["provider"] = *r.issuer;
        if (!r.methods.empty())
            e["checks"] = r.methods;
        if (r.issued_at)
            e["statement_issued_at"] = format_utc(*r.issued_at);
        if (r.statement_sha256)
            e["statement_sha256"] = to_hex(*r.statement_sha256);
        out.push_back(std::move(e));
    }
    return out;
}

store::Subject subject_of(store::SubjectReader& subjects, std::int64_t id) {
    auto subject = subjects.find(id);
    if (!subject)
        throw Error(Errc::failed_precondition,
                    "subject " + std::to_string(id) + " of the contract no longer exists");
    return std::move(*subject);
}

}  // namespace

X509Ptr parse_certificate(ByteView der) {
    const unsigned char* p = der.data();
    X509Ptr certificate(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!certificate || p != der.data() + der.size()) {
        clear_openssl_errors();
        return nullptr;
    }
    return certificate;
}

bool self_signed(const X509* certificate) {
    const bool result = X509_check_issued(const_cast<X509*>(certificate),
                                          const_cast<X509*>(certificate)) == X509_V_OK;
    clear_openssl_errors();
    return result;
}

std::string name_text(const X509_NAME* name) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
        throw_openssl_error("cannot print a name");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::optional<Clock::time_point> time_stamp_time(ByteView token_der) {
    const unsigned char* p = token_der.data();
    Pkcs7Ptr token(d2i_PKCS7(nullptr, &p, static_cast<long>(token_der.size())));
    if (!token) {
        clear_openssl_errors();
        return std::nullopt;
    }
    TsTstInfoPtr info(PKCS7_to_TS_TST_INFO(token.get()));
    std::tm tm{};
    if (!info || ASN1_TIME_to_tm(TS_TST_INFO_get_time(info.get()), &tm) != 1) {
        clear_openssl_errors();
        return std::nullopt;
    }
    return from_unix_seconds(timegm(&tm));
}

std::vector<audit::RecordedEvent> events_about(store::Database& database,
                                               audit::AuditReader& reader,
                                               const std::vector<std::string>& objects) {
    std::vector<std::int64_t> seqs;
    database.with_connection([&](store::Connection& c) {
        for (const std::string& object : objects) {
            const store::Result rows = c.exec(kEventsAbout, {object});
            for (std::size_t i = 0; i < rows.size(); ++i)
                seqs.push_back(rows[i]["seq"].as<std::int64_t>());
        }
    });
    if (seqs.size() > kMaxEvents)
        throw Error(Errc::failed_precondition,
                    "more than " + std::to_string(kMaxEvents) + " audit events for one package");
    std::ranges::sort(seqs);
    seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
    std::vector<audit::RecordedEvent> events;
    for (const std::int64_t seq : seqs) {
        auto read = reader.read(seq, seq);
        if (read.size() != 1)
            throw Error(Errc::internal,
                        "audit event " + std::to_string(seq) + " did not read back");
        events.push_back(std::move(read.front()));
    }
    return events;
}

std::vector<PackageFile> identity_files(const sign::Contract& contract,
                                        store::SubjectReader& subjects, store::Database& database) {
    store::PostgresIdentityEvidence evidence;
    const auto evidence_of = [&](std::int64_t id) {
        return database.with_connection(
            [&](store::Connection& c) { return evidence_json(evidence.of_subject(c, id)); });
    };
    std::vector<PackageFile> files;
    for (const store::ContractSignerRecord& signer : contract.signers) {
        nlohmann::json doc = person_json(subject_of(subjects, signer.subject_id));
        doc["position"] = signer.position;
        doc["signer_kind"] = signer.kind;
        doc["evidence"] = evidence_of(signer.subject_id);
        if (signer.agent_id) {
            nlohmann::json agent = person_json(subject_of(subjects, *signer.agent_id));
            agent["evidence"] = evidence_of(*signer.agent_id);
            doc["agent"] = std::move(agent);
        }
        const std::string text = doc.dump(2) + "\n";
        files.push_back({layout::identity(signer.position), Bytes(text.begin(), text.end())});
    }
    return files;
}

std::vector<CertificateSigner> certificate_signers(const sign::Contract& contract,
                                                   store::SubjectReader& subjects,
                                                   store::CertificateReader& certificates) {
    std::vector<CertificateSigner> out;
    for (const store::ContractSignerRecord& signer : contract.signers) {
        CertificateSigner s;
        s.position = signer.position;
        s.kind = signer.kind;
        s.name = subject_of(subjects, signer.subject_id).name;
        if (signer.agent_id)
            s.name += ", applied by " + subject_of(subjects, *signer.agent_id).name;
        for (const store::ContractEventRecord& event : contract.events)
            if (event.type == "signed" && event.signer_position == signer.position)
                s.signed_at = time_stamp_time(event.timestamp_token);
        if (signer.certificate_serial) {
            s.certificate_serial = *signer.certificate_serial;
            const auto record = certificates.find(from_hex(*signer.certificate_serial));
            if (record && record->der) {
                const X509Ptr certificate = parse_certificate(*record->der);
                if (certificate)
                    s.certificate_issuer = name_text(X509_get_issuer_name(certificate.get()));
                s.certificate_sha256 = to_hex(sha256_of(ByteView(*record->der)));
            }
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace signet::evidence
