#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "api/json_body.hpp"
#include "ra/registry.hpp"

namespace signet::api {

// The JSON bodies and query strings of the registration authority's /v1 routes
// (api/ra_routes.hpp), decoded through the one strict reader (api/json_body.hpp). Shared by the
// routes and the fuzz target (fuzz/ra_request_fuzz.cpp). They check the shape only — members,
// types, ranges — and leave the rules of a value (a document number's check character, E.164)
// to the registry, which names the field the same way. Every refusal is Errc::invalid_argument
// naming the member by its path ("'document.number' is required") and never its value: these
// bodies carry identity document numbers and one-time codes.

// Bodies carrying a document number or a code are parsed with this (no input excerpt in a
// syntax error).
JsonBody parse_ra_body(std::string_view text);

// The evidence attached at creation: the document number is the one just given.
struct CreationEvidence {
    std::string statement;
    std::optional<std::string> profile;
    std::optional<unsigned> level;
};

// POST /v1/subjects:
//   {"kind":"person","name","document":{"kind","number","country"?},"mobile","email"?,
//    "organization"?,"evidence"?:{"statement","profile"?|"level"?}}
//   {"kind":"organization","name","credit_code","legal_representative_id","evidence"?}
struct CreateSubjectRequest {
    std::variant<ra::PersonInput, ra::OrganizationInput> subject;
    std::optional<CreationEvidence> evidence;
};
CreateSubjectRequest decode_create_subject(const JsonBody& body);

// GET /v1/subjects?kind=&status=&min_level=&after=&limit= (no percent-decoding: the values are
// names and digits). Errc::invalid_argument naming the parameter.
ra::SubjectFilter decode_subject_query(std::string_view query);

// POST /v1/subjects/search: {"document":{"kind","number","country"?}}, and the same paging
// parameters as the list in the query string.
ra::DocumentInput decode_subject_search(const JsonBody& body);

// PATCH /v1/subjects/{id}: any of name, document, credit_code, legal_representative_id, mobile,
// email ("" removes it), organization; at least one.
ra::SubjectUpdate decode_subject_update(const JsonBody& body);

// POST /v1/subjects/{id}/evidence: {"statement","document_number","profile"?,"level"?}.
ra::EvidenceSubmission decode_evidence(const JsonBody& body);

// POST /v1/subjects/{id}/verification: {"level","reason","document_number"}.
ra::ManualVerification decode_verification(const JsonBody& body);

// POST /v1/subjects/{id}/deactivate: {"reason"}.
std::string decode_deactivation(const JsonBody& body);

// POST /v1/subjects/{id}/otp/totp: {"account"?} (an empty body is {}).
std::optional<std::string> decode_totp_enrolment(const JsonBody& body);

// PUT /v1/subjects/{id}/otp/sms: {"mobile"}.
std::string decode_sms_number(const JsonBody& body);

// POST /v1/subjects/{id}/otp/challenges: {"purpose","channel"?:"sms"}.
struct ChallengeBody {
    std::string purpose;
    std::string channel = "sms";
};
ChallengeBody decode_challenge(const JsonBody& body);

// POST /v1/subjects/{id}/otp/verify: {"challenge_id","purpose","code"} or
// {"method":"totp","code"}.
struct ChallengeAnswer {
    std::string challenge_id;
    std::string purpose;
    std::string code;
};
struct TotpAnswer {
    std::string code;
};
using OtpAnswer = std::variant<ChallengeAnswer, TotpAnswer>;
OtpAnswer decode_otp_verify(const JsonBody& body);

// POST /v1/organizations/{id}/agents: {"person_id","permissions":[...],"valid_until":
// "RFC 3339","authorization_reference","authorization_sha256"?: 64 hex digits}.
ra::AgentGrant decode_agent_grant(const JsonBody& body);

// A subject's, organization's or agent's id in a path or query: 1 to 2^63 - 1 in decimal digits.
// Errc::invalid_argument naming `name` otherwise ("'id' must be an integer from 1 to ...").
std::int64_t parse_id(std::string_view text, std::string_view name);

}  // namespace signet::api
