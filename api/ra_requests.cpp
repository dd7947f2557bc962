#include "api/ra_requests.hpp"

#include <charconv>

#include "api/query.hpp"
#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/text.hpp"

namespace signet::api {

namespace {

// The store keeps assurance levels 0 to 10 (store::validate_subject); the registry narrows the
// range to identity.max_assurance_level.
constexpr std::int64_t kMaxLevel = 10;
// Subject ids are BIGSERIAL: 1 to 2^63 - 1.
constexpr std::int64_t kMaxId = INT64_MAX;

[[noreturn]] void refuse(const JsonBody& body, std::string_view field, std::string_view rule) {
    throw Error(Errc::invalid_argument, "'" + body.path(field) + "' " + std::string(rule));
}

ra::DocumentInput decode_document(const JsonBody& document) {
    document.only({"kind", "number", "country"});
    return {document.string("kind"), document.string("number"),
            document.optional_string("country").value_or("")};
}

std::optional<unsigned> optional_level(const JsonBody& body) {
    const auto level = body.optional_integer("level", 1, kMaxLevel);
    return level ? std::optional<unsigned>(static_cast<unsigned>(*level)) : std::nullopt;
}

// A profile, or a level the statement must reach: one or neither.
void check_profile_or_level(const JsonBody& body) {
    if (body.has("profile") && body.has("level"))
        refuse(body, "level", "excludes 'profile': the profile's level is the one required");
}

CreationEvidence decode_creation_evidence(const JsonBody& evidence) {
    evidence.only({"statement", "profile", "level"});
    check_profile_or_level(evidence);
    return {evidence.string("statement"), evidence.optional_string("profile"),
            optional_level(evidence)};
}

ra::PersonInput decode_person(const JsonBody& body) {
    body.only({"kind", "name", "document", "mobile", "email", "organization", "evidence"});
    ra::PersonInput person;
    person.name = body.string("name");
    person.document = decode_document(body.object("document"));
    person.mobile = body.string("mobile");
    person.email = body.optional_string("email");
    person.organization = body.optional_string("organization").value_or("");
    return person;
}

ra::OrganizationInput decode_organization(const JsonBody& body) {
    body.only({"kind", "name", "credit_code", "legal_representative_id", "evidence"});
    ra::OrganizationInput organization;
    organization.name = body.string("name");
    organization.credit_code = body.string("credit_code");
    organization.legal_representative_id = body.integer("legal_representative_id", 1, kMaxId);
    return organization;
}

}  // namespace

JsonBody parse_ra_body(std::string_view text) {
    return JsonBody::parse(text, InputEcho::never);
}

CreateSubjectRequest decode_create_subject(const JsonBody& body) {
    const std::string kind = body.string("kind");
    CreateSubjectRequest request;
    if (kind == "person")
        request.subject = decode_person(body);
    else if (kind == "organization")
        request.subject = decode_organization(body);
    else
        refuse(body, "kind", "must be \"person\" or \"organization\"");
    if (const auto evidence = body.optional_object("evidence"))
        request.evidence = decode_creation_evidence(*evidence);
    return request;
}

ra::SubjectFilter decode_subject_query(std::string_view query) {
    ra::SubjectFilter filter;
    for (const auto& [key, value] : query_parameters(query)) {
        if (key == "kind") {
            if (value != "person" && value != "organization")
                throw Error(Errc::invalid_argument, "'kind' must be person or organization");
            filter.kind = value;
        } else if (key == "status") {
            if (value != "active" && value != "deactivated")
                throw Error(Errc::invalid_argument, "'status' must be active or deactivated");
            filter.status = value;
        } else if (key == "min_level") {
            filter.min_level = static_cast<int>(query_integer(value, "min_level", 0, kMaxLevel));
        } else if (key == "after") {
            filter.after_id = query_integer(value, "after", 0, kMaxId);
        } else if (key == "limit") {
            filter.limit = static_cast<std::size_t>(query_integer(value, "limit", 1, 1000));
        } else {
            throw Error(Errc::invalid_argument, "unknown query parameter " + quote_input(key));
        }
    }
    return filter;
}

ra::DocumentInput decode_subject_search(const JsonBody& body) {
    body.only({"document"});
    return decode_document(body.object("document"));
}

ra::SubjectUpdate decode_subject_update(const JsonBody& body) {
    body.only({"name", "document", "credit_code", "legal_representative_id", "mobile", "email",
               "organization"});
    ra::SubjectUpdate update;
    update.name = body.optional_string("name");
    if (const auto document = body.optional_object("document"))
        update.document = decode_document(*document);
    update.credit_code = body.optional_string("credit_code");
    update.legal_representative_id = body.optional_integer("legal_representative_id", 1, kMaxId);
    update.mobile = body.optional_string("mobile");
    update.email = body.optional_string("email");
    update.organization = body.optional_string("organization");
    const bool changes = update.name || update.document || update.credit_code ||
                         update.legal_representative_id || update.mobile || update.email ||
                         update.organization;
    if (!changes)
        throw Error(Errc::invalid_argument,
                    "the body changes nothing: give at least one of name, document, credit_code, "
                    "legal_representative_id, mobile, email, organization");
    return update;
}

ra::EvidenceSubmission decode_evidence(const JsonBody& body) {
    body.only({"statement", "document_number", "profile", "level"});
    check_profile_or_level(body);
    ra::EvidenceSubmission evidence;
    evidence.statement = body.string("statement");
    evidence.document_number = body.string("document_number");
    evidence.profile = body.optional_string("profile");
    evidence.level = optional_level(body);
    return evidence;
}

ra::ManualVerification decode_verification(const JsonBody& body) {
    body.only({"level", "reason", "document_number"});
    ra::ManualVerification verification;
    verification.level = static_cast<unsigned>(body.integer("level", 1, kMaxLevel));
    verification.reason = body.string("reason");
    verification.document_number = body.string("document_number");
    return verification;
}

std::string decode_deactivation(const JsonBody& body) {
    body.only({"reason"});
    return body.string("reason");
}

std::optional<std::string> decode_totp_enrolment(const JsonBody& body) {
    body.only({"account"});
    return body.optional_string("account");
}

std::string decode_sms_number(const JsonBody& body) {
    body.only({"mobile"});
    return body.string("mobile");
}

ChallengeBody decode_challenge(const JsonBody& body) {
    body.only({"purpose", "channel"});
    ChallengeBody challenge;
    challenge.purpose = body.string("purpose");
    // SMS is the one channel a challenge is sent on; TOTP needs no challenge.
    if (const auto channel = body.optional_string("channel"); channel && *channel != "sms")
        refuse(body, "channel", "must be \"sms\"");
    return challenge;
}

OtpAnswer decode_otp_verify(const JsonBody& body) {
    if (const auto method = body.optional_string("method")) {
        body.only({"method", "code"});
        if (*method != "totp")
            refuse(body, "method", "must be \"totp\" (a challenge's answer has no method)");
        return TotpAnswer{body.string("code")};
    }
    body.only({"challenge_id", "purpose", "code"});
    return ChallengeAnswer{body.string("challenge_id"), body.string("purpose"),
                           body.string("code")};
}

ra::AgentGrant decode_agent_grant(const JsonBody& body) {
    body.only({"person_id", "permissions", "valid_until", "authorization_reference",
               "authorization_sha256"});
    ra::AgentGrant grant;
    grant.person_id = body.integer("person_id", 1, kMaxId);
    auto permissions = body.optional_string_array("permissions", 8);
    if (!permissions)
        refuse(body, "permissions", "is required");
    grant.permissions = std::move(*permissions);
    const std::string valid_until = body.string("valid_until");
    try {
        grant.valid_until = parse_utc(valid_until);
    } catch (const Error&) {
        refuse(body, "valid_until",
               "must be an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SS[.fraction]Z)");
    }
    grant.authorization_reference = body.string("authorization_reference");
    if (const auto digest = body.optional_string("authorization_sha256")) {
        Bytes bytes;
        try {
            bytes = from_hex(*digest);
        } catch (const Error&) {
        }
        if (bytes.size() != 32)
            refuse(body, "authorization_sha256", "must be 64 hex digits (a SHA-256)");
        grant.authorization_sha256 = std::move(bytes);
    }
    return grant;
}

std::int64_t parse_id(std::string_view text, std::string_view name) {
    // Digits only: from_chars would take a leading '-', and "+1" or " 1" are not ids.
    const bool digits = !text.empty() && text.size() <= 19 &&
                        text.find_first_not_of("0123456789") == std::string_view::npos;
    if (!digits)
        throw Error(
            Errc::invalid_argument,
            "'" + std::string(name) + "' must be an integer from 1 to " + std::to_string(kMaxId));
    return query_integer(text, name, 1, kMaxId);
}

}  // namespace signet::api
