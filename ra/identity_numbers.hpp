#pragma once

// Identity numbers as a subject gives them (pure functions, no I/O): which ones are well-formed,
// their normalized form, the masked form that may be shown and put in a DN, and the hash that binds
// an identity-verification provider's statement to a subject. Errors are Errc::invalid_argument
// naming the field and the rule broken, never the value (a document number is personal data).

#include <chrono>
#include <string>
#include <string_view>

namespace signet::ra {

using Date = std::chrono::year_month_day;

enum class DocumentKind {
    cn_resident_id,  // PRC resident identity card, GB 11643-1999 (also the residence permits
                     // of Hong Kong, Macao and Taiwan residents, which use its format)
    cn_uscc,         // unified social credit code of a legal person or organization, GB 32100-2015
    passport,        // any country's passport (ICAO 9303): number and issuing country
};

// The names the API, the policy and subject_binding_hash use: "cn_resident_id", "cn_uscc",
// "passport".
std::string_view to_string(DocumentKind kind) noexcept;

struct IdentityDocument {
    DocumentKind kind{};
    // The normalized number: never logged, never stored (only its keyed hash and `masked` are).
    std::string number;
    // For display and the X.520 serialNumber (a PrintableString, so 'X' and not '*'): the first
    // and last min(4, length / 4) characters kept, the rest 'X' ("1101XXXXXXXXXX002X").
    std::string masked;
    // ISO 3166-1 alpha-2, upper case: the passport's issuing country, "CN" for the PRC kinds.
    std::string country;
};

// Parses and checks a document number of the kind named `kind` (see to_string). `today` bounds a
// resident identity card's birth date; `issuing_country` is a passport's (ISO 3166-1 alpha-2,
// either case) and must be empty or "CN" for the PRC kinds. Errc::invalid_argument naming
// 'document_kind', 'id_number' or 'issuing_country' and the rule, never the value.
IdentityDocument parse_identity_document(std::string_view kind, std::string_view number,
                                         Date today, std::string_view issuing_country = {});

// The masked form of a normalized number (see IdentityDocument::masked).
std::string mask_number(std::string_view number);

// The check character GB 11643 gives the first 17 digits of a resident identity number (ISO 7064
// MOD 11-2), and GB 32100 the first 17 characters of a credit code (ISO 7064 MOD 31-3 in
// GB 32100's form). Exposed for the tests and the fuzz target; `body` must be well-formed.
char gb11643_check_character(std::string_view body17);
char gb32100_check_character(std::string_view body17);

// A mobile number in ITU-T E.164 form: '+', then 8 to 15 digits, the first (the country code's
// first digit) not 0; surrounding white space trimmed, nothing else tolerated. Returns the
// trimmed number; Errc::invalid_argument naming 'mobile' otherwise.
std::string normalize_e164(std::string_view mobile);

// A conservative e-mail address (RFC 5321 §4.1.2 dot-atom Local-part "@" Domain, ASCII only):
// one '@'; the local part 1-64 characters of RFC 5322 atext and non-leading, non-trailing,
// non-doubled dots; the domain LDH labels of 1-63 characters, at least two, none starting or
// ending with '-'; the whole at most 254 characters (RFC 5321 §4.5.3.1's 256-octet path less
// its angle brackets). Returns it trimmed, the domain in lower case; Errc::invalid_argument
// naming 'email' otherwise.
std::string normalize_email(std::string_view email);

// The hash a provider's signed statement carries to bind it to this subject (an external
// contract, documented in ra/README.md): base64url without padding (RFC 4648 §5) of
//   SHA-256( UTF-8( NFC( collapse(name) ) ) || 0x00 || kind || 0x00 || country || 0x00 || number )
// where collapse removes leading and trailing white space and replaces each inner run of white
// space (Unicode White_Space) with one U+0020, `kind` is to_string(kind), `country` the issuing
// country (ISO 3166-1 alpha-2, upper case; CN for the PRC documents) and `number` the normalized
// number, as parse_identity_document gives them. Errc::invalid_argument naming 'name' when it is
// empty or not UTF-8, 'issuing_country' when it is not two upper-case letters.
std::string subject_binding_hash(std::string_view name, DocumentKind kind,
                                 std::string_view country, std::string_view normalized_number);

}  // namespace signet::ra
