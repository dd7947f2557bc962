#include "api/wire.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <charconv>

#include "common/clock.hpp"

namespace signet::api::detail {

namespace {

bool is_token_char(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_reserved_field(std::string_view name) {
    using boost::beast::iequals;
    return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
           iequals(name, "connection") || iequals(name, "date") || iequals(name, "x-request-id");
}

bool has_line_break_or_nul(std::string_view value) {
    return value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

void append_decimal(std::string& out, std::uint64_t value) {
    char text[24];
    const auto result = std::to_chars(text, text + sizeof text, value);
    out.append(text, result.ptr);
}

}  // namespace

bool valid_extra_headers(const Response& response) {
    for (const auto& [name, value] : response.headers) {
        if (name.empty() || is_reserved_field(name) ||
            !std::all_of(name.begin(), name.end(), is_token_char) || has_line_break_or_nul(value)) {
            return false;
        }
    }
    return !has_line_break_or_nul(response.content_type);
}

bool status_has_body(http::status status) {
    const unsigned code = static_cast<unsigned>(status);
    return code >= 200 && code != 204 && code != 304;
}

BodyFraming framing_of(const Response& response, bool http11) {
    if (!response.streamed || response.streamed->length)
        return BodyFraming::content_length;
    return http11 ? BodyFraming::chunked : BodyFraming::until_close;
}

void write_response_head(std::string& head, const Response& response, std::string_view request_id,
                         ConnectionField connection, BodyFraming framing) {
    head.clear();
    head += "HTTP/1.1 ";
    append_decimal(head, static_cast<unsigned>(response.status));
    head += ' ';
    head += http::obsolete_reason(response.status);
    head += "\r\nDate: ";
    head += http_date_now();
    if (!response.content_type.empty()) {
        head += "\r\nContent-Type: ";
        head += response.content_type;
    }
    if (status_has_body(response.status)) {
        switch (framing) {
            case BodyFraming::content_length:
                head += "\r\nContent-Length: ";
                append_decimal(head, response.streamed ? response.streamed->length.value_or(0)
                                                       : response.body.size());
                break;
            case BodyFraming::chunked:
                head += "\r\nTransfer-Encoding: chunked";
                break;
            case BodyFraming::until_close:
                break;
        }
    }
    head += "\r\nX-Request-Id: ";
    head += request_id;
    for (const auto& [name, value] : response.headers) {
        head += "\r\n";
        head += name;
        head += ": ";
        head += value;
    }
    switch (connection) {
        case ConnectionField::none:
            break;
        case ConnectionField::close:
            head += "\r\nConnection: close";
            break;
        case ConnectionField::keep_alive:
            head += "\r\nConnection: keep-alive";
            break;
    }
    head += "\r\n\r\n";
}

}  // namespace signet::api::detail
