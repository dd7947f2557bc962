#include "sign/pdf_appearance.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string_view>

namespace signet::sign {

namespace {

std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", value);
    return text;
}

// UTF-8 to a PDF literal string in WinAnsiEncoding (§7.3.4.2, §D.2): ASCII and Latin-1 (which
// WinAnsi shares from 0xA0 up) as they are, anything else '?', a malformed sequence '?' too.
std::string win_ansi_literal(std::string_view utf8) {
    std::string out = "(";
    for (std::size_t i = 0; i < utf8.size();) {
        const auto lead = static_cast<unsigned char>(utf8[i]);
        std::uint32_t code = '?';
        std::size_t length = 1;
        if (lead < 0x80) {
            code = lead;
        } else if ((lead & 0xE0) == 0xC0 && i + 1 < utf8.size() &&
                   (static_cast<unsigned char>(utf8[i + 1]) & 0xC0) == 0x80) {
            code = ((lead & 0x1Fu) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3Fu);
            length = 2;
        } else if ((lead & 0xF0) == 0xE0) {
            length = 3;
        } else if ((lead & 0xF8) == 0xF0) {
            length = 4;
        }
        i += length;
        if (code < 0x20 || (code >= 0x7F && code < 0xA0) || code > 0xFF)
            code = '?';
        if (code == '(' || code == ')' || code == '\\') {
            out += '\\';
            out += static_cast<char>(code);
        } else if (code >= 0x80) {
            char octal[8];
            std::snprintf(octal, sizeof octal, "\\%03o", static_cast<unsigned>(code));
            out += octal;
        } else {
            out += static_cast<char>(code);
        }
    }
    return out + ")";
}

}  // namespace

std::string signature_appearance_content(double width, double height,
                                         const std::vector<std::string>& lines) {
    // A thin frame, then the lines from the top, in a size that fits both ways (Helvetica's
    // characters average about 0.55 em; 1.25 em of leading).
    std::string content = "q 0.5 w 0 0 0 RG 0.25 0.25 " + number(width - 0.5) + " " +
                          number(height - 0.5) + " re S Q\n";
    if (lines.empty())
        return content;
    std::size_t longest = 1;
    for (const auto& line : lines)
        longest = std::max(longest, line.size());
    const double size =
        std::clamp(std::min((height - 4) / (1.25 * static_cast<double>(lines.size())),
                            (width - 4) / (0.55 * static_cast<double>(longest))),
                   1.0, 12.0);
    content += "BT /F1 " + number(size) + " Tf 0 g " + number(size * 1.25) + " TL 2 " +
               number(height - 2 - size) + " Td\n";
    for (std::size_t i = 0; i < lines.size(); ++i)
        content += (i == 0 ? "" : "T* ") + win_ansi_literal(lines[i]) + " Tj\n";
    return content + "ET\n";
}

std::string helvetica_font_dictionary() {
    return "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";
}

}  // namespace signet::sign
