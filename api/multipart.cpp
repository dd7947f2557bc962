#include "api/multipart.hpp"

#include <algorithm>
#include <cctype>

#include "api/http.hpp"
#include "common/error.hpp"

namespace signet::api {

namespace {

[[noreturn]] void refuse(const std::string& why) {
    throw Error(Errc::invalid_argument, "the multipart/form-data body " + why);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// RFC 2046 §5.1.1: bchars := bcharsnospace / " "; bcharsnospace := DIGIT / ALPHA / "'" / "(" /
// ")" / "+" / "_" / "," / "-" / "." / "/" / ":" / "=" / "?"; 1-70 of them, not ending in space.
bool is_boundary(std::string_view b) {
    if (b.empty() || b.size() > 70 || b.back() == ' ')
        return false;
    return std::ranges::all_of(b, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
    });
}

// The parameters of a header value "type; a=b; c="d"" (RFC 9110 §5.6.6), names lowercased.
// A quoted-string's backslash escapes the next character.
std::vector<std::pair<std::string, std::string>> parameters(std::string_view value) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t at = value.find(';');
    while (at != std::string_view::npos) {
        value.remove_prefix(at + 1);
        const std::size_t equals = value.find('=');
        if (equals == std::string_view::npos)
            break;
        std::string name(trim(value.substr(0, equals)));
        std::ranges::transform(name, name.begin(),
                               [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        value.remove_prefix(equals + 1);
        value = trim(value);
        std::string parameter;
        if (!value.empty() && value.front() == '"') {
            std::size_t i = 1;
            for (; i < value.size() && value[i] != '"'; ++i) {
                if (value[i] == '\\' && i + 1 < value.size())
                    ++i;
                parameter += value[i];
            }
            if (i >= value.size())
                refuse("has a header parameter with an unterminated quoted string");
            value.remove_prefix(i + 1);
            at = value.find(';');
        } else {
            at = value.find(';');
            parameter = std::string(trim(value.substr(0, at)));
        }
        out.emplace_back(std::move(name), std::move(parameter));
    }
    return out;
}

std::string boundary_of(std::string_view content_type) {
    if (!has_media_type(content_type, "multipart/form-data"))
        throw Error(Errc::invalid_argument, "the Content-Type must be multipart/form-data");
    for (const auto& [name, value] : parameters(content_type))
        if (name == "boundary") {
            if (!is_boundary(value))
                throw Error(Errc::invalid_argument,
                            "the multipart/form-data boundary must be 1-70 characters of "
                            "RFC 2046 bchars");
            return value;
        }
    throw Error(Errc::invalid_argument, "the multipart/form-data Content-Type has no boundary");
}

// One part's header fields (RFC 2046 §5.1.1 over RFC 5322 fields), without folding.
FormPart part_from(std::string_view header, std::string_view data) {
    FormPart part;
    part.content_type = "text/plain";
    bool disposition = false;
    while (!header.empty()) {
        const std::size_t end = header.find("\r\n");
        const std::string_view line = header.substr(0, end);
        header.remove_prefix(end == std::string_view::npos ? header.size() : end + 2);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
            refuse("has a part header line that is not a header field");
        const std::string_view name = line.substr(0, colon);
        const std::string_view value = trim(line.substr(colon + 1));
        if (iequals(name, "Content-Disposition")) {
            if (disposition)
                refuse("has a part with two Content-Disposition fields");
            disposition = true;
            if (!iequals(trim(value.substr(0, value.find(';'))), "form-data"))
                refuse("has a part whose Content-Disposition is not form-data");
            for (auto& [key, parameter] : parameters(value)) {
                if (key == "name")
                    part.name = std::move(parameter);
                else if (key == "filename")
                    part.filename = std::move(parameter);
            }
        } else if (iequals(name, "Content-Type")) {
            part.content_type = std::string(value);
        }
    }
    if (!disposition || part.name.empty())
        refuse("has a part without a Content-Disposition naming it (RFC 7578 §4.2)");
    part.data = data;
    return part;
}

// Where the next delimiter starts at or after `from`: CRLF "--" boundary followed by "--" (the
// close delimiter) or by transport padding and CRLF (RFC 2046 §5.1.1). Those bytes followed by
// anything else are data, so a part may hold "--boundary-ish" without ending early.
std::size_t next_delimiter(std::string_view body, std::string_view delimiter, std::size_t from) {
    for (std::size_t at = body.find(delimiter, from); at != std::string_view::npos;
         at = body.find(delimiter, at + 1)) {
        std::string_view after = body.substr(at + delimiter.size());
        if (after.starts_with("--"))
            return at;
        while (!after.empty() && (after.front() == ' ' || after.front() == '\t'))
            after.remove_prefix(1);
        if (after.starts_with("\r\n"))
            return at;
    }
    return std::string_view::npos;
}

}  // namespace

std::vector<FormPart> parse_form_data(std::string_view content_type, std::string_view body) {
    const std::string dash_boundary = "--" + boundary_of(content_type);
    const std::string delimiter = "\r\n" + dash_boundary;
    // The first delimiter: at the start of the body, or after a preamble.
    std::size_t at = body.starts_with(dash_boundary) ? 0 : body.find(delimiter);
    if (at == std::string_view::npos)
        refuse("holds no part (no boundary delimiter)");
    at += body.starts_with(dash_boundary) ? dash_boundary.size() : delimiter.size();

    std::vector<FormPart> parts;
    for (;;) {
        std::string_view rest = body.substr(at);
        if (rest.starts_with("--"))
            break;  // the close delimiter; what follows is the epilogue
        // Transport padding (LWSP) then CRLF after a delimiter.
        const std::size_t line_end = rest.find("\r\n");
        if (line_end == std::string_view::npos || !trim(rest.substr(0, line_end)).empty())
            refuse("has a boundary delimiter not followed by CRLF");
        rest.remove_prefix(line_end + 2);
        at = body.size() - rest.size();
        if (parts.size() == kMaxFormParts)
            refuse("has more than " + std::to_string(kMaxFormParts) + " parts");
        // The header ends at an empty line; a part may have none ("\r\n" at once).
        std::string_view header;
        if (rest.starts_with("\r\n")) {
            at += 2;
        } else {
            const std::size_t header_end = rest.find("\r\n\r\n");
            if (header_end == std::string_view::npos || header_end > kMaxPartHeaderBytes)
                refuse("has a part header that does not end within " +
                       std::to_string(kMaxPartHeaderBytes) + " bytes");
            header = rest.substr(0, header_end);
            at += header_end + 4;
        }
        const std::size_t next = next_delimiter(body, delimiter, at);
        if (next == std::string_view::npos)
            refuse("ends before its close delimiter");
        FormPart part = part_from(header, body.substr(at, next - at));
        if (std::ranges::any_of(parts, [&](const FormPart& p) { return p.name == part.name; }))
            refuse("has two parts named '" + part.name.substr(0, 64) + "'");
        parts.push_back(std::move(part));
        at = next + delimiter.size();
    }
    if (parts.empty())
        refuse("holds no part");
    return parts;
}

}  // namespace signet::api
