#include "common/text.hpp"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace signet {

namespace {

// The character at `at` and its length in bytes, or nullopt for a byte that starts no
// well-formed UTF-8 sequence (RFC 3629 §4's syntax).
struct Decoded {
    char32_t character;
    std::size_t length;
};

std::optional<Decoded> decode_at(std::string_view text, std::size_t at) noexcept {
    const auto lead = static_cast<unsigned char>(text[at]);
    std::size_t extra = 0;
    char32_t cp = 0;
    if (lead < 0x80)
        return Decoded{lead, 1};
    if ((lead & 0xe0) == 0xc0) {
        extra = 1;
        cp = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
        extra = 2;
        cp = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
        extra = 3;
        cp = lead & 0x07;
    } else {
        return std::nullopt;
    }
    if (at + extra >= text.size())
        return std::nullopt;
    for (std::size_t k = 1; k <= extra; ++k) {
        const auto next = static_cast<unsigned char>(text[at + k]);
        if ((next & 0xc0) != 0x80)
            return std::nullopt;
        cp = (cp << 6) | (next & 0x3f);
    }
    const bool overlong =
        (extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000);
    if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return std::nullopt;
    return Decoded{cp, extra + 1};
}

// A character that has no visible form of its own or that changes how others are shown.
bool is_control_or_invisible(char32_t cp) noexcept {
    const auto c = static_cast<UChar32>(cp);
    switch (u_charType(c)) {
        case U_CONTROL_CHAR:         // Cc
        case U_FORMAT_CHAR:          // Cf: zero-width and bidi controls, U+FEFF, soft hyphen
        case U_LINE_SEPARATOR:       // Zl
        case U_PARAGRAPH_SEPARATOR:  // Zp
        case U_PRIVATE_USE_CHAR:     // Co
        case U_SURROGATE:            // Cs
        case U_UNASSIGNED:           // Cn, noncharacters included
            return true;
        default:
            break;
    }
    // Default-ignorable characters of other categories (U+115F and U+3164 HANGUL FILLER, U+034F
    // COMBINING GRAPHEME JOINER...) render as nothing, except the variation selectors, which
    // choose a glyph (CJK ideographic variation sequences in names).
    return u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) != 0 &&
           u_hasBinaryProperty(c, UCHAR_VARIATION_SELECTOR) == 0;
}

std::string code_point_name(char32_t cp) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "U+%04X", static_cast<unsigned>(cp));
    return buffer;
}

// `text` as UTF-16 (ICU's form), or nullopt when it is not well-formed UTF-8.
std::optional<std::u16string> to_utf16(std::string_view text) {
    std::u16string utf16;
    utf16.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto d = decode_at(text, i);
        if (!d)
            return std::nullopt;
        if (d->character < 0x10000) {
            utf16.push_back(static_cast<char16_t>(d->character));
        } else {
            const char32_t v = d->character - 0x10000;
            utf16.push_back(static_cast<char16_t>(0xd800 + (v >> 10)));
            utf16.push_back(static_cast<char16_t>(0xdc00 + (v & 0x3ff)));
        }
        i += d->length;
    }
    return utf16;
}

bool is_nfc(std::string_view text) {
    const auto utf16 = to_utf16(text);
    if (!utf16)
        return false;
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2* nfc = unorm2_getNFCInstance(&status);
    if (U_FAILURE(status))
        return false;
    const UBool normalized =
        unorm2_isNormalized(nfc, utf16->data(), static_cast<int32_t>(utf16->size()), &status);
    return U_SUCCESS(status) && normalized != 0;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

}  // namespace

std::optional<std::size_t> utf8_length(std::string_view text) noexcept {
    std::size_t count = 0;
    for (std::size_t i = 0; i < text.size(); ++count) {
        const auto d = decode_at(text, i);
        if (!d)
            return std::nullopt;
        i += d->length;
    }
    return count;
}

std::optional<std::string> name_text_problem(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto d = decode_at(text, i);
        if (!d)
            return "is not UTF-8 (byte " + std::to_string(i) + ")";
        if (is_control_or_invisible(d->character))
            return "contains " + code_point_name(d->character) +
                   " (a control or invisible character)";
        i += d->length;
    }
    if (!is_nfc(text))
        return "is not in Unicode Normalization Form C (NFC)";
    return std::nullopt;
}

std::optional<std::string> to_nfc(std::string_view text) {
    const auto utf16 = to_utf16(text);
    if (!utf16)
        return std::nullopt;
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2* nfc = unorm2_getNFCInstance(&status);
    // NFC at most triples a string's UTF-16 length (UAX #15 §9); ask again if ICU wants more.
    std::u16string normal(utf16->size() * 3 + 1, u'\0');
    int32_t length = unorm2_normalize(nfc, utf16->data(), static_cast<int32_t>(utf16->size()),
                                      normal.data(), static_cast<int32_t>(normal.size()), &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
        status = U_ZERO_ERROR;
        normal.assign(static_cast<std::size_t>(length), u'\0');
        length = unorm2_normalize(nfc, utf16->data(), static_cast<int32_t>(utf16->size()),
                                  normal.data(), length, &status);
    }
    if (U_FAILURE(status))
        return std::nullopt;
    std::string out;
    out.reserve(static_cast<std::size_t>(length));
    for (int32_t i = 0; i < length;) {
        UChar32 cp = 0;
        U16_NEXT(normal.data(), i, length, cp);
        append_utf8(out, static_cast<char32_t>(cp));
    }
    return out;
}

std::optional<std::string> collapse_white_space(std::string_view text) {
    std::string out;
    bool pending_space = false;
    for (std::size_t i = 0; i < text.size();) {
        const auto d = decode_at(text, i);
        if (!d)
            return std::nullopt;
        if (u_isUWhiteSpace(static_cast<UChar32>(d->character))) {
            pending_space = !out.empty();
        } else {
            if (pending_space)
                out += ' ';
            pending_space = false;
            out.append(text.substr(i, d->length));
        }
        i += d->length;
    }
    return out;
}

bool is_printable_string(std::string_view text) noexcept {
    return std::ranges::all_of(text, [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               std::string_view(" '()+,-./:=?").find(c) != std::string_view::npos;
    });
}

std::string quote_input(std::string_view input, std::size_t max_characters) {
    std::string out = "'";
    std::size_t i = 0;
    for (std::size_t shown = 0; i < input.size() && shown < max_characters; ++shown) {
        const auto d = decode_at(input, i);
        char buffer[16];
        if (!d) {
            std::snprintf(buffer, sizeof buffer, "\\x%02X",
                          static_cast<unsigned>(static_cast<unsigned char>(input[i])));
            out += buffer;
            ++i;
            continue;
        }
        const char32_t cp = d->character;
        if (cp == '\'' || cp == '\\') {
            out += '\\';
            out += static_cast<char>(cp);
        } else if (cp == '\n') {
            out += "\\n";
        } else if (cp == '\r') {
            out += "\\r";
        } else if (cp == '\t') {
            out += "\\t";
        } else if (is_control_or_invisible(cp)) {
            std::snprintf(buffer, sizeof buffer, "\\u{%04X}", static_cast<unsigned>(cp));
            out += buffer;
        } else {
            out.append(input.substr(i, d->length));
        }
        i += d->length;
    }
    out += "'";
    if (i < input.size())
        out += "...(" + std::to_string(input.size()) + " bytes)";
    return out;
}

}  // namespace signet
