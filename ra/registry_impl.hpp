#pragma once

// Internal to ra/registry*.cpp: the registry's state and the checks its operations share.

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "ra/evidence.hpp"
#include "ra/identity_numbers.hpp"
#include "ra/registry.hpp"
#include "store/identity_evidence.hpp"
#include "store/organization_agents.hpp"
#include "store/otp.hpp"

namespace signet::ra {

// How the fields parse_identity_document names ('id_number', 'document_kind',
// 'issuing_country') are called where the registry's caller gave them.
using FieldName = std::pair<std::string_view, std::string_view>;
using FieldNames = std::span<const FieldName>;
inline constexpr std::array<FieldName, 3> kPersonDocumentFields = {
    {{"document_kind", "document.kind"},
     {"id_number", "document.number"},
     {"issuing_country", "document.country"}}};
inline constexpr std::array<FieldName, 1> kCreditCodeFields = {{{"id_number", "credit_code"}}};
inline constexpr std::array<FieldName, 1> kDocumentNumberFields = {
    {{"id_number", "document_number"}}};

[[noreturn]] void fail(Errc code, const std::string& message);
std::string subject_ref(std::int64_t id);  // "subject 12"

// A document as a client gave it, checked, with its keyed hash. `number` stays in memory only.
struct CheckedDocument {
    IdentityDocument document;
    Bytes hmac;
};

// Text a person wrote (a reason, a reference): 1..max characters of name text.
void check_free_text(std::string_view field, const std::string& text, std::size_t max);
// An officer's reason: free text of at most 500 characters, without a run of 5 or more digits.
void check_reason(std::string_view field, const std::string& text);

// The registry's state and shared steps (Registry::Impl is this; a class of its own so that the
// files' helper functions can take it).
struct RegistryCore {
    explicit RegistryCore(RegistryDependencies dependencies);

    RegistryDependencies deps;
    store::PostgresSubjects subjects;
    store::PostgresIdentityEvidence evidence;
    store::PostgresOrganizationAgents agents;
    store::PostgresOtp otp;  // deactivation and a new mobile number void open codes
    EvidenceVerifier verifier;

    Date today() const;
    // Parses the number (errors renamed by `names`) and hashes kind || 0 || country || 0 ||
    // number in the HSM.
    CheckedDocument check_document(std::string_view kind, std::string_view number,
                                   std::string_view country, FieldNames names) const;
    // The subject's own document, given again as `number`: parsed as the subject's kind and
    // country and compared with the stored keyed hash ('document_number' when it differs).
    IdentityDocument confirm_document(const store::Subject& subject, std::string_view number) const;
    // Already_exists when an active subject other than `except` holds the document.
    void refuse_duplicate(store::Connection& tx, const CheckedDocument& document,
                          std::int64_t except = 0);

    // The subject locked for this transaction: not_found, or failed_precondition when it is
    // deactivated.
    store::Subject lock_active(store::Connection& tx, std::int64_t id);
    // An active subject of `kind` named by `field` ("legal_representative_id", "person_id"),
    // locked: not_found or failed_precondition naming the field.
    store::Subject lock_related(store::Connection& tx, std::int64_t id, std::string_view kind,
                                std::string_view field);
    // An existing organization (active or not), read without a lock: not_found, or
    // failed_precondition for a person.
    store::Subject organization(std::int64_t id);

    void audit(store::Connection& tx, std::string type, const std::string& actor,
               std::int64_t subject_id, nlohmann::json details);
    // A subject an API client creates ("client:NAME") belongs to that platform
    // (subjects.registered_by = NAME): its certificates are the platform's CSC credentials
    // (csc/README.md). An operator's subjects belong to no platform.
    void record_registrant(store::Connection& tx, std::int64_t subject_id,
                           const std::string& actor);
};

struct Registry::Impl : RegistryCore {
    using RegistryCore::RegistryCore;
};

}  // namespace signet::ra
