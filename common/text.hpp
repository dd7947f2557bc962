#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

// Text that comes from outside (a client, an operator, a CSR): whether it is fit to be a name
// in a certificate, and how to quote it in an error message.
namespace signet {

// The number of characters (Unicode scalar values) in `text`, or nullopt when it is not
// well-formed UTF-8 (RFC 3629 §3: no overlong forms, no surrogates U+D800..U+DFFF — so no
// unpaired surrogate either — nothing above U+10FFFF).
std::optional<std::size_t> utf8_length(std::string_view text) noexcept;

// Why `text` cannot be a name a person reads (a DN attribute value, a subject's name), or
// nullopt when it can: it is not UTF-8; it holds a control or invisible character — Unicode
// general categories Cc (TAB, CR, LF, NUL, C1 controls), Cf (U+200B ZERO WIDTH SPACE, the bidi
// controls U+202A..U+202E and U+2066..U+2069, U+FEFF, soft hyphen), Zl, Zp, Co (private use),
// Cn (unassigned, noncharacters) — each of which lets two names that look the same differ, or
// makes text display in another order than it is stored (Unicode TR #36 §2; CVE-2021-42574); or
// it is not in Unicode Normalization Form C (RFC 5280 §7.1 compares names after normalizing;
// a name stored in NFC looks and compares as it reads). The message names the character, e.g.
// "contains U+202E (a control or invisible character)".
std::optional<std::string> name_text_problem(std::string_view text);

// `text` in Unicode Normalization Form C (UAX #15), or nullopt when it is not well-formed UTF-8.
std::optional<std::string> to_nfc(std::string_view text);

// `text` with leading and trailing white space removed and every inner run of white space
// (the Unicode White_Space property: TAB, LF, U+00A0, U+3000 IDEOGRAPHIC SPACE...) replaced by
// one U+0020, or nullopt when it is not well-formed UTF-8.
std::optional<std::string> collapse_white_space(std::string_view text);

// Whether every character is in X.680's PrintableString alphabet (A-Z a-z 0-9 space ' ( ) + , -
// . / : = ?).
bool is_printable_string(std::string_view text) noexcept;

// Client input quoted for an error message: its first `max_characters` characters between
// single quotes, control and invisible characters and bytes that are not UTF-8 escaped
// (\n, \t, \u{202E}, \xFF; the quote and the backslash as \' and \\), then "...(N bytes)"
// when it was longer. So an error never echoes a 16 KB name whole, nor carries a character that
// reorders the text it is shown in.
std::string quote_input(std::string_view input, std::size_t max_characters = 64);

}  // namespace signet
