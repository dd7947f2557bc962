#pragma once

// Internal to evidence/: the package's small files, gathered before the archive starts (so a
// refusal leaves the sink untouched), and the readers of certificates and time-stamp tokens the
// builder and the verifier share.
#include <optional>
#include <string>
#include <vector>

#include "audit/checkpoint.hpp"
#include "audit/log.hpp"
#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/handle.hpp"
#include "evidence/certificate_pdf.hpp"
#include "sign/contracts.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"
#include "store/subjects.hpp"

namespace signet::evidence {

struct PackageFile {
    std::string path;
    Bytes content;
};

// The package's layout (docs/evidence.md "Evidence packages").
namespace layout {
inline const std::string kEvidenceCertificate = "evidence-certificate.pdf";
inline const std::string kSignedPdf = "document/contract.pdf";
inline const std::string kData = "document/data.bin";
std::string cades_signature(int position);  // document/signer-N.p7s
std::string validation(int position, const std::string& kind, std::size_t index);
std::string identity(int position);         // identity/signer-N.json
std::string audit_event(std::int64_t seq);  // audit/events/SEQ.json
std::string audit_proof(std::int64_t seq);  // audit/proofs/SEQ.json
inline const std::string kCheckpointBody = "audit/checkpoint/body.txt";
inline const std::string kCheckpointSignature = "audit/checkpoint/signature.der";
inline const std::string kCheckpointCertificate = "audit/checkpoint/certificate.der";
inline const std::string kCheckpointTimeStamp = "audit/checkpoint/timestamp.tst";
std::string contract_event(const store::ContractEventRecord& event, const char* extension);
std::string certificate(ByteView der);  // certificates/<first 16 hex of SHA-256>.der
}  // namespace layout

X509Ptr parse_certificate(ByteView der);       // nullptr when it is not one
bool self_signed(const X509* certificate);     // subject == issuer and its own key verifies it
std::string name_text(const X509_NAME* name);  // RFC 2253
// A TimeStampToken's genTime; nullopt when the bytes are not one.
std::optional<Clock::time_point> time_stamp_time(ByteView token_der);

// The audit events about `objects`, oldest first (store migration 14's index on object).
std::vector<audit::RecordedEvent> events_about(store::Database& database,
                                               audit::AuditReader& reader,
                                               const std::vector<std::string>& objects);

// identity/signer-N.json: name, masked identity number, assurance level, how and by whom it was
// verified and when (never the number or its keyed hash); a seal's with its agent's.
std::vector<PackageFile> identity_files(const sign::Contract& contract,
                                        store::SubjectReader& subjects, store::Database& database);

// The evidence certificate's signer lines (names, time-stamp times, certificates).
std::vector<CertificateSigner> certificate_signers(const sign::Contract& contract,
                                                   store::SubjectReader& subjects,
                                                   store::CertificateReader& certificates);

}  // namespace signet::evidence
