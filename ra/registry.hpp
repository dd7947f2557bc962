#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/log.hpp"
#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "ra/evidence.hpp"
#include "store/database.hpp"
#include "store/subjects.hpp"

namespace signet::ra {

// The registration authority's service (issue 12): who a subject really is, decided before the
// CA issues anything. People and organizations are created with their identity document, which
// is kept only as an HSM-keyed hash and a masked form; identity evidence (a provider's signed
// statement, or an RA officer's manual verification) raises their assurance level; changing an
// identity attribute or deactivating revokes their certificates. Every decision is an audit
// event in the same transaction as the change. The rules are in docs/ra.md.
//
// Errors (signet::Error; each changes nothing unless stated): Errc::invalid_argument naming the
// field ("'document.number': ..."), never echoing an identity number; not_found (no such
// subject); already_exists (an active subject already holds this document); failed_precondition
// (a deactivated subject, a person given where an organization is needed, an agent whose
// authorization expired); EvidenceError (ra/evidence_error.hpp) for a refused statement.

// An identity document as a client gives it. `kind`: cn_resident_id, cn_uscc, passport.
// `country`: the issuing country (ISO 3166-1 alpha-2); empty means CN for the PRC kinds.
struct DocumentInput {
    std::string kind;
    std::string number;
    std::string country;
};

struct PersonInput {
    std::string name;
    DocumentInput document;
    std::string mobile;                // E.164, required (the SMS channel of OTPs)
    std::optional<std::string> email;  // optional
    std::string organization;          // optional: the O= of a personal certificate
};

struct OrganizationInput {
    std::string name;
    std::string credit_code;                 // the unified social credit code (GB 32100)
    std::int64_t legal_representative_id = 0;  // an active person subject
};

// A provider's signed statement about a subject. The document number is given again: the
// statement is bound to it (ra::subject_binding_hash) and it is not stored, so it is checked
// against the stored keyed hash and then forgotten.
struct EvidenceSubmission {
    std::string statement;        // compact JWS
    std::string document_number;  // as on the document
    // The level the statement must reach: that of the certificate profile the subject will
    // apply for, or a level directly; neither given: the lowest level policy defines.
    std::optional<std::string> profile;
    std::optional<unsigned> level;
};

// An RA officer's verification in person or by video: the officer saw the document.
struct ManualVerification {
    unsigned level = 0;           // 1..identity.max_assurance_level
    std::string reason;           // 1-500 characters of name text, e.g. "seen at branch 12"
    std::string document_number;  // as on the document, checked against the stored hash
};

// Attribute changes. An identity attribute (name, document, credit code) that changes resets the
// assurance level to 0, revokes the subject's certificates (reason superseded, RFC 5280
// §5.3.1) and requires new evidence; contact details (mobile, e-mail) and the organization
// shown in a personal certificate do not.
struct SubjectUpdate {
    std::optional<std::string> name;
    std::optional<DocumentInput> document;                // a person's
    std::optional<std::string> credit_code;               // an organization's
    std::optional<std::int64_t> legal_representative_id;  // an organization's
    std::optional<std::string> mobile;
    std::optional<std::string> email;  // "" removes it
    std::optional<std::string> organization;
};

struct SubjectFilter {
    std::optional<std::string> kind;    // person, organization
    std::optional<std::string> status;  // active, deactivated
    std::optional<int> min_level;
    std::optional<DocumentInput> document;  // found again through the keyed hash
    std::int64_t after_id = 0;
    std::size_t limit = 100;  // 1..1000
};

// An authorized agent of an organization (a verified person), or its legal representative.
struct AgentGrant {
    std::int64_t person_id = 0;
    // What the agent may do for the organization: "sign" (sign contracts on its behalf),
    // "apply_seal" (apply its e-seal), "approve_seal" (approve another agent's seal).
    std::vector<std::string> permissions;
    Clock::time_point valid_until;
    std::string authorization_reference;  // e.g. the letter of authorization's number, 1-200
    std::optional<Bytes> authorization_sha256;  // SHA-256 of the authorization document, 32 B
};

struct Agent {
    std::int64_t id = 0;
    std::int64_t organization_id = 0;
    std::int64_t person_id = 0;
    std::vector<std::string> permissions;
    Clock::time_point valid_until;
    std::string authorization_reference;
    std::optional<Bytes> authorization_sha256;
    std::string granted_by;
    Clock::time_point granted_at;
    std::optional<Clock::time_point> revoked_at;
    std::string revoked_by;
};

// What the registry needs from outside, narrowed.
struct RegistryDependencies {
    store::Database& database;
    audit::AuditLog& audit;
    const Clock& clock;
    // HMAC-SHA-256 inside the HSM (hsm::Token::hmac_sha256 under identity.hmac_key_label) of
    // kind || 0x00 || country || 0x00 || normalized number.
    std::function<Bytes(ByteView)> document_hmac;
    // The provider statements' verifier and the policy's levels (ra/evidence.hpp), and the
    // assurance level each certificate profile requires (policy ca.profiles.*.required_assurance).
    EvidencePolicy evidence_policy;
    std::function<std::optional<unsigned>(const std::string& profile)> profile_level;
    unsigned max_assurance_level = 3;
    // Revokes every issued certificate of the subject (superseded or cessationOfOperation) and
    // returns their serials in hex; signetd backs it with ca::Authority.
    std::function<std::vector<std::string>(std::int64_t subject_id, bool superseded,
                                           const std::string& actor)>
        revoke_certificates;
};

class Registry {
  public:
    explicit Registry(RegistryDependencies dependencies);
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // Level 0, active. Audit "subject.created" (kind, document kind, masked number).
    store::Subject create_person(const PersonInput& input, const std::string& actor);
    store::Subject create_organization(const OrganizationInput& input, const std::string& actor);

    // Verifies the statement (EvidencePolicy) for this subject, accepts it once, stores the
    // minimized record and raises the subject's level to the level reached (never lowers it).
    // Audit "subject.verified" (method provider, issuer, level). A refused statement throws
    // EvidenceError and stores nothing (the replay guard included).
    // The errors attach_evidence gives for the profile or level asked (invalid_argument naming
    // 'profile' or 'level', failed_precondition when no policy level reaches it), without
    // touching anything: POST /v1/subjects checks them before it creates the subject.
    void check_evidence_target(const EvidenceSubmission& evidence) const;
    store::Subject attach_evidence(std::int64_t subject_id, const EvidenceSubmission& evidence,
                                   const std::string& actor);
    // An officer's decision: sets the level (up or down). Audit "subject.verified" (method
    // officer, reason, officer = actor).
    store::Subject verify_manually(std::int64_t subject_id, const ManualVerification& verification,
                                   const std::string& actor);

    std::optional<store::Subject> find(std::int64_t subject_id);
    std::vector<store::Subject> list(const SubjectFilter& filter);

    struct Changed {
        store::Subject subject;
        std::vector<std::string> revoked;  // serials, hex
        bool reverification_required = false;
    };
    // Audit "subject.updated" (the names of the fields changed, never their values).
    Changed update(std::int64_t subject_id, const SubjectUpdate& update, const std::string& actor);
    // Status deactivated, level 0, every certificate revoked (cessationOfOperation), agents'
    // grants of and to it revoked. Audit "subject.deactivated" with the reason. Repeating it on a
    // deactivated subject revokes what is left (a revocation that failed the first time).
    Changed deactivate(std::int64_t subject_id, const std::string& reason,
                       const std::string& actor);

    // Agents: the person must be an active person subject at level >= 1; the organization an
    // active organization. Audit "organization.agent_granted" / "organization.agent_revoked".
    Agent grant_agent(std::int64_t organization_id, const AgentGrant& grant,
                      const std::string& actor);
    Agent revoke_agent(std::int64_t organization_id, std::int64_t agent_id,
                       const std::string& actor);
    std::vector<Agent> agents(std::int64_t organization_id, bool include_inactive);
    // Whether `person_id` may do `permission` for the organization now: an unrevoked grant
    // listing it whose valid_until is in the future, and both subjects active. Throws
    // failed_precondition naming why not (expired, revoked, not granted, deactivated): the
    // signing issue calls it before an agent acts.
    void check_agent_may(std::int64_t organization_id, std::int64_t person_id,
                         const std::string& permission);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace signet::ra
