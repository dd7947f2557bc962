// validate_subject (store/subjects.hpp): the rules every stored subject meets.
#include <algorithm>
#include <string_view>

#include "common/text.hpp"
#include "store/subjects.hpp"

namespace signet::store {

namespace {

[[noreturn]] void refuse(std::string_view field, const std::string& rule) {
    throw Error(Errc::invalid_argument, "'" + std::string(field) + "' " + rule);
}

// A name a person reads, of 1 to `max` characters (an empty optional one is fine).
void check_name_text(std::string_view field, const std::string& value, std::size_t max,
                     bool required, std::string_view bound) {
    if (value.empty()) {
        if (required)
            refuse(field, "is required");
        return;
    }
    if (const auto problem = name_text_problem(value))
        refuse(field, *problem);
    if (std::ranges::all_of(value, [](char c) { return c == ' '; }))
        refuse(field, "is blank");
    const std::size_t length = utf8_length(value).value_or(0);
    if (length > max)
        refuse(field, "has " + std::to_string(length) + " characters; at most " +
                          std::to_string(max) + " (RFC 5280 Appendix A " + std::string(bound) +
                          ")");
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

void check_identity_columns(const Subject& s) {
    if (s.status != "active" && s.status != "deactivated")
        refuse("status", "is 'active' or 'deactivated', not " + quote_input(s.status));
    if (s.deactivated_at.has_value() != (s.status == "deactivated"))
        refuse("deactivated_at", "is set exactly when the status is 'deactivated'");
    // The kind is a name from a fixed list, not personal data: it may be quoted.
    const bool person_kind = s.document_kind == "cn_resident_id" || s.document_kind == "passport";
    const bool organization_kind = s.document_kind == "cn_uscc";
    if (!s.document_kind.empty() &&
        !(s.kind == "person" ? person_kind : (s.kind == "organization" && organization_kind)))
        refuse("document_kind",
               "is not a document of a " + s.kind + ": " + quote_input(s.document_kind));
    if (s.document_kind.empty() != !s.document_hmac.has_value())
        refuse("document_hmac", "is present exactly when 'document_kind' is");
    if (s.document_hmac && s.document_hmac->size() != 32)
        refuse("document_hmac", "is 32 bytes (HMAC-SHA-256)");
}

void check_contact_columns(const Subject& s) {
    // ITU-T E.164: at most 15 digits after '+', the country code's first digit not 0.
    if (!s.mobile.empty() &&
        (s.mobile.size() < 9 || s.mobile.size() > 16 || s.mobile[0] != '+' || s.mobile[1] == '0' ||
         !std::all_of(s.mobile.begin() + 1, s.mobile.end(), is_digit)))
        refuse("mobile", "is an E.164 number: '+' and 8 to 15 digits, the first not 0");
    if (s.email.size() > 254)
        refuse("email", "has more than 254 characters (RFC 5321 §4.5.3.1)");
    if (!std::ranges::all_of(s.email, [](char c) { return c > ' ' && c < 0x7f; }))
        refuse("email", "holds a character other than printable ASCII");
}

void check_verification_columns(const Subject& s) {
    if (s.legal_representative_id && (s.kind != "organization" || *s.legal_representative_id <= 0 ||
                                      *s.legal_representative_id == s.id))
        refuse("legal_representative_id", "is another subject's id, and only an organization's");
    const std::string& method = s.verification_method;
    if (!method.empty() && method != "provider" && method != "officer")
        refuse("verification_method", "is '', 'provider' or 'officer', not " + quote_input(method));
    if (method.empty() == s.verified_at.has_value())
        refuse("verified_at", "is set exactly when 'verification_method' is");
}

}  // namespace

void validate_subject(const Subject& s) {
    if (s.kind != "person" && s.kind != "organization")
        refuse("kind", "is 'person' or 'organization', not " + quote_input(s.kind));
    check_name_text("name", s.name, 64, true, "ub-common-name: it becomes a CN or an O");
    check_name_text("organization", s.organization, 64, false, "ub-organization-name");
    if (s.country.size() != 2 ||
        !std::ranges::all_of(s.country, [](char c) { return c >= 'A' && c <= 'Z'; }))
        refuse("country",
               "is two capital letters (ISO 3166-1 alpha-2), not " + quote_input(s.country));
    if (s.id_masked.size() > 64)
        refuse("id_masked", "has " + std::to_string(s.id_masked.size()) +
                                " characters; at most 64 (RFC 5280 Appendix A ub-serial-number)");
    // The value itself is not echoed: it is (part of) an identity number (DESIGN.md
    // invariant 6); the first character that does not fit is.
    const auto bad = std::ranges::find_if(
        s.id_masked, [](char c) { return !is_printable_string(std::string_view(&c, 1)); });
    if (bad != s.id_masked.end())
        refuse("id_masked", "has " + quote_input(std::string_view(&*bad, 1), 1) +
                                ", which is no PrintableString character (A-Z a-z 0-9 space ' ( ) "
                                "+ , - . / : = ?): it may become the DN's serialNumber (X.520); "
                                "mask digits with 'X', not '*'");
    if (s.assurance_level < 0 || s.assurance_level > 10)
        refuse("assurance_level", "is 0 to 10");
    check_identity_columns(s);
    check_contact_columns(s);
    check_verification_columns(s);
}

}  // namespace signet::store
