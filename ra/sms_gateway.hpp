#pragma once

// Sending a one-time password by SMS: signetd POSTs a JSON body, made from a template in the
// policy, to the operator's SMS gateway. The message (it holds the code) is never logged and
// never in an error; the gateway's answer is logged as a short, redacted excerpt.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/log.hpp"

namespace signet::ra {

struct SmsGatewaySettings {
    // http:// or https:// (TLS with peer and host name verification, the system's CA store).
    std::string url;
    // A JSON text whose string values may hold the placeholders {{phone}} and {{message}}
    // (it must use {{message}}); each is replaced inside the parsed JSON, so the values end up
    // JSON-escaped. E.g. {"to": "{{phone}}", "text": "{{message}}", "sender": "Signet"}.
    std::string body_template;
    // Extra request headers (an API key...), sent as given. Content-Type is application/json.
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds timeout{10000};  // each try, connection included
    // Tries after the first, on a failed connection or an HTTP 5xx answer only (never after a
    // 4xx, nor after a request that may have reached the gateway and timed out, which could
    // send the message twice).
    int retries = 2;
    std::chrono::milliseconds backoff{200};  // before the first retry, doubled before each next
};

class SmsGateway {
  public:
    virtual ~SmsGateway() = default;
    // Sends `message` to `e164`; Errc::unavailable when the gateway did not accept it.
    virtual void send(const std::string& e164, const std::string& message) = 0;
};

// Checks the settings (Errc::invalid_argument naming 'sms.url', 'sms.body_template',
// 'sms.retries' or a timeout) without sending anything: for policy validation.
void check_sms_gateway_settings(const SmsGatewaySettings& settings);

// The request body for one message: the template with its placeholders replaced in every string
// value (Errc::invalid_argument naming 'sms.body_template' when it is not JSON).
std::string render_sms_body(std::string_view body_template, std::string_view phone,
                            std::string_view message);

// At most `max_bytes` of a gateway's answer, fit for a log line: control characters as '.',
// every run of 4 or more digits as '#' (a gateway may echo the code or the number), and
// "...(N bytes)" when it was longer.
std::string answer_excerpt(std::string_view body, std::size_t max_bytes = 200);

// The gateway through libcurl. Thread-safe: each send uses its own handle.
class CurlSmsGateway final : public SmsGateway {
  public:
    // `log` may be nullptr (nothing logged). Checks the settings.
    CurlSmsGateway(SmsGatewaySettings settings, std::shared_ptr<Logger> log);
    // Errc::unavailable with a message a 502 problem can carry: "the SMS gateway did not accept
    // the message: HTTP 503 after 3 tries", "...: could not connect after 3 tries", "...: no
    // answer within 10000 ms".
    void send(const std::string& e164, const std::string& message) override;

  private:
    SmsGatewaySettings settings_;
    std::shared_ptr<Logger> log_;
};

}  // namespace signet::ra
