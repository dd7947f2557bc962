#pragma once

#include <string>
#include <vector>

// The appearance of a visible signature widget (ISO 32000-1 §12.5.5, §12.7.4.5): a form XObject's
// content stream that frames the rectangle and writes the text lines in Helvetica, one of the
// standard 14 fonts (§9.6.2.2) every reader has, so nothing is embedded. Internal to sign/.
namespace signet::sign {

// The content stream for a width x height box; the font resource is named /F1 and must be
// Helvetica with /WinAnsiEncoding (§D.2), which is what helvetica_font_dictionary() is.
std::string signature_appearance_content(double width, double height,
                                         const std::vector<std::string>& lines);

std::string helvetica_font_dictionary();

}  // namespace signet::sign
