// E-mail (sign/notification_senders.hpp): the RFC 5322 message and its delivery over SMTP with
// STARTTLS required, through libcurl.
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

#include "common/bytes.hpp"
#include "common/error.hpp"
#include "common/handle.hpp"
#include "sign/notification_senders.hpp"

namespace signet::sign {

namespace {

constexpr std::size_t kEncodedWordMax = 75;  // RFC 2047 §2: an encoded-word's length

bool is_plain_ascii(std::string_view text) {
    return std::ranges::all_of(text, [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u >= 0x20 && u < 0x7f;
    });
}

// A header cannot hold CR, LF or other control characters (header injection), nor spaces or
// brackets in a bare address.
void check_address(std::string_view what, std::string_view address) {
    const bool ok = !address.empty() && address.size() <= 254 &&
                    address.find('@') != std::string_view::npos &&
                    std::ranges::all_of(address, [](char c) {
                        return c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != '"' && c != ',';
                    });
    if (!ok)
        throw Error(Errc::invalid_argument, std::string(what) + " is not a plain e-mail address");
}

// The length of the UTF-8 sequence starting with `lead` (1 for a stray continuation byte, which
// is then encoded as it is).
std::size_t utf8_length(unsigned char lead) {
    if (lead >= 0xf0)
        return 4;
    if (lead >= 0xe0)
        return 3;
    if (lead >= 0xc0)
        return 2;
    return 1;
}

// RFC 5322 §3.3 date-time, UTC as "+0000": "Sun, 06 Dec 2026 23:40:20 +0000". HTTP's
// IMF-fixdate has the same fields with the zone written "GMT" (an obsolete RFC 5322 zone).
std::string rfc5322_date(Clock::time_point t) {
    std::string date = format_http_date(t);
    if (date.ends_with(" GMT"))
        date.replace(date.size() - 3, 3, "+0000");
    return date;
}

std::string base64_lines(std::string_view text) {
    const std::string encoded = to_base64(as_bytes(text));
    std::string out;
    for (std::size_t i = 0; i < encoded.size(); i += 76)
        out += encoded.substr(i, 76) + "\r\n";
    return out;
}

// Feeds the message to libcurl.
struct Upload {
    std::string_view rest;
};

std::size_t read_message(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto& upload = *static_cast<Upload*>(user);
    const std::size_t n = std::min(size * count, upload.rest.size());
    std::memcpy(buffer, upload.rest.data(), n);
    upload.rest.remove_prefix(n);
    return n;
}

}  // namespace

std::string encode_header_text(std::string_view text) {
    if (is_plain_ascii(text))
        return std::string(text);
    constexpr std::string_view kPrefix = "=?UTF-8?B?";
    constexpr std::string_view kSuffix = "?=";
    // Base64 of n bytes takes 4*ceil(n/3) characters: at most 45 bytes fit in 75 - 12.
    constexpr std::size_t kMaxBytes = (kEncodedWordMax - kPrefix.size() - kSuffix.size()) / 4 * 3;
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t end = i;
        while (end < text.size()) {
            const std::size_t next =
                end + utf8_length(static_cast<unsigned char>(text[end]));
            if (next - i > kMaxBytes)
                break;
            end = std::min(next, text.size());
        }
        if (end == i)  // cannot happen with kMaxBytes >= 4, but never loop forever
            end = std::min(i + kMaxBytes, text.size());
        if (!out.empty())
            out += "\r\n ";
        out += std::string(kPrefix) + to_base64(as_bytes(text.substr(i, end - i))) +
               std::string(kSuffix);
        i = end;
    }
    return out;
}

std::string format_email(const SmtpEndpoint& endpoint, const EmailMessage& message,
                         Clock::time_point date, std::string_view message_id) {
    check_address("the sender", endpoint.from);
    check_address("the recipient", message.to);
    // A display name as a quoted-string would need escaping; an encoded-word never does.
    const std::string from_name =
        endpoint.from_name.empty()
            ? std::string()
            : (is_plain_ascii(endpoint.from_name) &&
                       endpoint.from_name.find_first_of("()<>[]:;@\\,.\"") == std::string::npos
                   ? endpoint.from_name
                   : "=?UTF-8?B?" + to_base64(as_bytes(endpoint.from_name)) + "?=") +
                  " ";
    std::string text;
    text += "Date: " + rfc5322_date(date) + "\r\n";
    text += "Message-ID: <" + std::string(message_id) + ">\r\n";
    text += "From: " + from_name + "<" + endpoint.from + ">\r\n";
    text += "To: <" + message.to + ">\r\n";
    text += "Subject: " + encode_header_text(message.subject) + "\r\n";
    text += "MIME-Version: 1.0\r\n";
    text += "Content-Type: text/plain; charset=UTF-8\r\n";
    text += "Content-Transfer-Encoding: base64\r\n";
    text += "Auto-Submitted: auto-generated\r\n";  // RFC 3834 §5: no auto-replies, please
    text += "\r\n";
    std::string body;
    for (const char c : message.text) {
        if (c == '\n')
            body += "\r\n";  // RFC 2046 §4.1.1: text line breaks are CRLF before encoding
        else if (c != '\r')
            body += c;
    }
    text += base64_lines(body);
    return text;
}

CurlEmailSender::CurlEmailSender() {
    init_curl_for_notifications();
}

SendResult CurlEmailSender::send(const SmtpEndpoint& endpoint, const EmailMessage& message,
                                 Clock::time_point now) {
    Bytes random(16);
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1)
        throw Error(Errc::internal, "the random generator failed");
    const std::string domain = endpoint.from.substr(endpoint.from.find('@') + 1);
    const std::string text =
        format_email(endpoint, message, now, to_hex(random) + "@" + domain);

    CurlSlistPtr recipients(curl_slist_append(nullptr, ("<" + message.to + ">").c_str()));
    if (!recipients)
        throw Error(Errc::internal, "curl_slist_append failed");
    CurlPtr curl(curl_easy_init());
    if (!curl)
        throw Error(Errc::internal, "curl_easy_init failed");
    CURL* c = curl.get();
    Upload upload{text};
    curl_easy_setopt(c, CURLOPT_URL, endpoint.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    // RFC 3207 STARTTLS, and nothing sent when the server does not offer it (CURLUSESSL_ALL:
    // "require SSL for all communication or fail").
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (endpoint.ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, endpoint.ca_file->c_str());
    if (!endpoint.username.empty()) {
        curl_easy_setopt(c, CURLOPT_USERNAME, endpoint.username.c_str());
        std::string password(endpoint.password.view());
        curl_easy_setopt(c, CURLOPT_PASSWORD, password.c_str());  // libcurl copies it
        OPENSSL_cleanse(password.data(), password.size());
    }
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, ("<" + endpoint.from + ">").c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
    // libcurl escapes a line that starts with "." (RFC 5321 §4.5.2 transparency) and ends the
    // data with CRLF.CRLF itself; the base64 body never starts a line with "." anyway.
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(c, CURLOPT_READDATA, &upload);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text.size()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<std::int64_t>(endpoint.timeout.count(), 5000)));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(endpoint.timeout.count()));
    const CURLcode result = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);  // the last SMTP reply code

    SendResult outcome;
    if (code > 0)
        outcome.reply_code = static_cast<int>(code);
    if (result == CURLE_OK) {
        outcome.delivered = true;
    } else {
        outcome.error = std::string(curl_easy_strerror(result)) +
                        (code > 0 ? " (SMTP " + std::to_string(code) + ")" : "");
    }
    return outcome;
}

}  // namespace signet::sign
