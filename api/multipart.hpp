#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace signet::api {

// One part of a multipart/form-data body (RFC 7578): its field name, the file name when the
// client gave one, its Content-Type ("text/plain" when none is given, RFC 7578 §4.4) and its
// bytes, a view into the body.
struct FormPart {
    std::string name;
    std::string filename;
    std::string content_type;
    std::string_view data;
};

inline constexpr std::size_t kMaxFormParts = 8;
inline constexpr std::size_t kMaxPartHeaderBytes = 2048;

// Splits a multipart/form-data body (RFC 7578 over RFC 2046 §5.1.1). `content_type` is the
// request's Content-Type, which must be multipart/form-data with a boundary of 1-70 characters
// (RFC 2046 §5.1.1 bchars). The body must hold at most kMaxFormParts parts, each with a
// Content-Disposition of form-data and a name, its header at most kMaxPartHeaderBytes, no two
// parts of one name, and end with the close delimiter. A preamble and an epilogue are ignored.
// Every refusal is Errc::invalid_argument saying what is wrong, without quoting the body.
std::vector<FormPart> parse_form_data(std::string_view content_type, std::string_view body);

}  // namespace signet::api
