#pragma once

// How a notification leaves the node (issue 13 "Telling the next party"): a webhook POST signed
// with HMAC-SHA256, and an e-mail over SMTP with STARTTLS, both through libcurl. Each send is
// one try; sign/notification_deliverer.hpp retries with backoff and records every try.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/secret.hpp"

namespace signet::sign {

// One try's result: what the deliverer records (contract_notification_attempts).
struct SendResult {
    bool delivered = false;
    std::optional<int> reply_code;  // the HTTP status or the SMTP reply code; nullopt: none
    std::string error;              // short, no secret, no address, no URL; "" when delivered
};

// ---- Webhooks ----

struct WebhookEndpoint {
    std::string url;  // http:// or https:// (TLS verified against the system's CA store)
    Secret secret;    // the HMAC key
    std::chrono::milliseconds timeout{10'000};
};

// The Signet-Signature header's value: "v1=" and the lowercase hex HMAC-SHA256 (RFC 2104) under
// `secret` of `timestamp` "." `body`. Signing the timestamp with the body lets a receiver refuse
// an old message replayed (docs/signing.md "Notifications": the replay window).
std::string webhook_signature(std::string_view secret, std::string_view timestamp,
                              std::string_view body);

class WebhookSender {
  public:
    virtual ~WebhookSender() = default;
    // POSTs `body` (application/json) with the headers Signet-Timestamp (`now` in Unix seconds),
    // Signet-Signature, Signet-Event and Signet-Delivery (`delivery_id`: the same on every retry,
    // so a receiver can drop a duplicate). A 2xx answer is delivered.
    virtual SendResult post(const WebhookEndpoint& endpoint, std::string_view body,
                            std::string_view event, std::string_view delivery_id,
                            Clock::time_point now) = 0;
};

// Thread-safe: each post uses its own handle. No redirect is followed.
class CurlWebhookSender final : public WebhookSender {
  public:
    CurlWebhookSender();
    SendResult post(const WebhookEndpoint& endpoint, std::string_view body,
                    std::string_view event, std::string_view delivery_id,
                    Clock::time_point now) override;
};

// ---- E-mail ----

struct SmtpEndpoint {
    std::string url;  // smtp://HOST[:PORT] (STARTTLS, RFC 3207, required) or smtps://
    std::string from;  // local@domain
    std::string from_name = "Signet";
    std::optional<std::string> ca_file;  // PEM CAs for the server; else the system's store
    std::string username;                // "" = no AUTH
    Secret password;
    std::chrono::milliseconds timeout{30'000};
};

struct EmailMessage {
    std::string to;       // local@domain
    std::string subject;  // UTF-8
    std::string text;     // UTF-8 plain text, lines separated by "\n"
};

// The RFC 5322 message: Date, Message-ID (`message_id` without brackets), From, To, Subject
// (RFC 2047 encoded-words when not ASCII), MIME-Version, Content-Type text/plain UTF-8 and
// the body in base64 (RFC 2045 §6.8: 76-character lines), so no line is long and no byte is
// 8-bit; every line ends in CRLF (RFC 5322 §2.1). Errc::invalid_argument for an address with
// characters a header cannot hold.
std::string format_email(const SmtpEndpoint& endpoint, const EmailMessage& message,
                         Clock::time_point date, std::string_view message_id);

// RFC 2047 §4.1 "B" encoded-words of UTF-8 `text`, each at most 75 characters, never
// splitting a character, separated by CRLF and a space (folding, RFC 5322 §2.2.3); ASCII text
// without control characters is returned as it is.
std::string encode_header_text(std::string_view text);

class EmailSender {
  public:
    virtual ~EmailSender() = default;
    virtual SendResult send(const SmtpEndpoint& endpoint, const EmailMessage& message,
                            Clock::time_point now) = 0;
};

// Thread-safe: each send uses its own handle. STARTTLS is required (CURLUSESSL_ALL): a server
// that does not offer it gets nothing; the server's certificate and name are verified.
class CurlEmailSender final : public EmailSender {
  public:
    CurlEmailSender();
    SendResult send(const SmtpEndpoint& endpoint, const EmailMessage& message,
                    Clock::time_point now) override;
};

// curl_global_init, once per process (both senders' constructors call it).
void init_curl_for_notifications();

}  // namespace signet::sign
