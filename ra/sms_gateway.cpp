// Sending a one-time password by SMS (ra/sms_gateway.hpp): the JSON body from the policy's
// template, and the POST to the gateway through libcurl with timeouts and a bounded retry.
#include "ra/sms_gateway.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <mutex>
#include <thread>

#include "common/error.hpp"
#include "common/handle.hpp"
#include "ra/field_errors.hpp"

namespace signet::ra {

using detail::refuse;

namespace {

constexpr std::size_t kMaxAnswer = 4096;  // of the gateway's answer kept for the log

// Replaces the placeholders in one string value, in one pass (a phone number or message that
// holds "{{message}}" is not expanded again).
std::string substitute(const std::string& value, std::string_view phone,
                       std::string_view message) {
    constexpr std::string_view kPhone = "{{phone}}";
    constexpr std::string_view kMessage = "{{message}}";
    std::string out;
    for (std::size_t i = 0; i < value.size();) {
        if (value.compare(i, kPhone.size(), kPhone) == 0) {
            out += phone;
            i += kPhone.size();
        } else if (value.compare(i, kMessage.size(), kMessage) == 0) {
            out += message;
            i += kMessage.size();
        } else {
            out += value[i++];
        }
    }
    return out;
}

void substitute_all(nlohmann::json& node, std::string_view phone, std::string_view message) {
    if (node.is_string()) {
        node = substitute(node.get_ref<const std::string&>(), phone, message);
    } else if (node.is_structured()) {
        for (auto& child : node)
            substitute_all(child, phone, message);
    }
}

nlohmann::json parse_template(std::string_view body_template) {
    try {
        return nlohmann::json::parse(body_template);
    } catch (const nlohmann::json::exception&) {
        refuse("sms.body_template", "is not a JSON text");
    }
}

// Whether the message reaches the body: some string value holds {{message}}.
bool uses_message(const nlohmann::json& node) {
    if (node.is_string())
        return node.get_ref<const std::string&>().find("{{message}}") != std::string::npos;
    if (node.is_structured()) {
        for (const auto& child : node) {
            if (uses_message(child))
                return true;
        }
    }
    return false;
}

std::size_t collect_answer(char* data, std::size_t size, std::size_t count, void* user) {
    auto& answer = *static_cast<std::string*>(user);
    const std::size_t bytes = size * count;
    answer.append(data, std::min(bytes, kMaxAnswer + 1 - std::min(answer.size(), kMaxAnswer + 1)));
    return bytes;  // read on, so the connection ends cleanly; only kMaxAnswer is kept
}

void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw Error(Errc::internal, "curl_global_init failed");
    });
}

// One try's outcome.
struct Attempt {
    CURLcode result = CURLE_OK;
    long status = 0;
    bool connected = false;
    std::string answer;
};

[[noreturn]] void not_accepted(const std::string& why) {
    throw Error(Errc::unavailable, "the SMS gateway did not accept the message: " + why);
}

}  // namespace

void check_sms_gateway_settings(const SmsGatewaySettings& settings) {
    if (!settings.url.starts_with("http://") && !settings.url.starts_with("https://"))
        refuse("sms.url", "is not an http:// or https:// URL");
    if (settings.url.find_first_of(" \t\r\n") != std::string::npos)
        refuse("sms.url", "holds white space");
    if (!uses_message(parse_template(settings.body_template)))
        refuse("sms.body_template", "has no string value with the placeholder {{message}}");
    if (settings.retries < 0 || settings.retries > 5)
        refuse("sms.retries", "is not between 0 and 5");
    if (settings.connect_timeout.count() <= 0 || settings.timeout.count() <= 0)
        refuse("sms.timeout", "is not positive");
    if (settings.backoff.count() < 0 || settings.backoff.count() > 10000)
        refuse("sms.backoff", "is not between 0 and 10000 ms");
    for (const auto& [name, value] : settings.headers) {
        if (name.empty() || name.find_first_of(":\r\n \t") != std::string::npos ||
            value.find_first_of("\r\n") != std::string::npos) {
            refuse("sms.headers", "a header name or value holds a colon, space or line break");
        }
    }
}

std::string render_sms_body(std::string_view body_template, std::string_view phone,
                            std::string_view message) {
    nlohmann::json body = parse_template(body_template);
    substitute_all(body, phone, message);
    // Invalid UTF-8 in the message is replaced (U+FFFD), not thrown on.
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string answer_excerpt(std::string_view body, std::size_t max_bytes) {
    std::string out;
    const std::string_view shown = body.substr(0, max_bytes);
    for (std::size_t i = 0; i < shown.size();) {
        std::size_t digits = 0;
        while (i + digits < shown.size() && shown[i + digits] >= '0' && shown[i + digits] <= '9')
            ++digits;
        if (digits >= 4) {
            out.append(digits, '#');
            i += digits;
        } else if (digits > 0) {
            out.append(shown.substr(i, digits));
            i += digits;
        } else {
            const auto c = static_cast<unsigned char>(shown[i++]);
            out += (c < 0x20 || c == 0x7f) ? '.' : static_cast<char>(c);
        }
    }
    if (body.size() > max_bytes)
        out += "...(" + std::to_string(body.size()) + " bytes)";
    return out;
}

CurlSmsGateway::CurlSmsGateway(SmsGatewaySettings settings, std::shared_ptr<Logger> log)
    : settings_(std::move(settings)), log_(std::move(log)) {
    check_sms_gateway_settings(settings_);
    init_curl_once();
}

void CurlSmsGateway::send(const std::string& e164, const std::string& message) {
    const std::string body = render_sms_body(settings_.body_template, e164, message);
    CurlSlistPtr headers(curl_slist_append(nullptr, "Content-Type: application/json"));
    if (!headers)
        throw Error(Errc::internal, "curl_slist_append failed");
    for (const auto& [name, value] : settings_.headers) {
        // Appends to the list it is given (and returns its head), or returns nullptr.
        if (!curl_slist_append(headers.get(), (name + ": " + value).c_str()))
            throw Error(Errc::internal, "curl_slist_append failed");
    }
    const int tries = settings_.retries + 1;
    auto backoff = settings_.backoff;
    for (int attempt = 1;; ++attempt) {
        Attempt outcome;
        CurlPtr curl(curl_easy_init());
        if (!curl)
            throw Error(Errc::internal, "curl_easy_init failed");
        CURL* c = curl.get();
        curl_easy_setopt(c, CURLOPT_URL, settings_.url.c_str());
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for timeouts
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(settings_.connect_timeout.count()));
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_answer);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &outcome.answer);
        outcome.result = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &outcome.status);
        curl_off_t connect_time = 0;  // microseconds; 0 when no connection was made
        curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connect_time);
        outcome.connected = !(outcome.result == CURLE_COULDNT_CONNECT ||
                              outcome.result == CURLE_COULDNT_RESOLVE_HOST ||
                              (outcome.result == CURLE_OPERATION_TIMEDOUT && connect_time == 0));

        const bool ok = outcome.result == CURLE_OK && outcome.status >= 200 && outcome.status < 300;
        if (log_) {
            log_->log(ok ? LogLevel::info : LogLevel::warn, "sms gateway answer",
                      {{"try", attempt},
                       {"status", outcome.status},
                       {"curl", curl_easy_strerror(outcome.result)},
                       {"answer", answer_excerpt(outcome.answer)}});
        }
        if (ok)
            return;
        const bool server_error = outcome.result == CURLE_OK && outcome.status >= 500;
        const bool no_connection = outcome.result != CURLE_OK && !outcome.connected;
        const std::string tried =
            " after " + std::to_string(attempt) + (attempt == 1 ? " try" : " tries");
        if ((server_error || no_connection) && attempt < tries) {
            std::this_thread::sleep_for(backoff);
            backoff *= 2;
            continue;
        }
        if (outcome.result == CURLE_OK)
            not_accepted("HTTP " + std::to_string(outcome.status) + tried);
        if (outcome.result == CURLE_OPERATION_TIMEDOUT && outcome.connected) {
            // Not retried: the gateway may have the message already.
            not_accepted("no answer within " + std::to_string(settings_.timeout.count()) + " ms");
        }
        if (no_connection)
            not_accepted(std::string("could not connect (") + curl_easy_strerror(outcome.result) +
                         ")" + tried);
        not_accepted(std::string(curl_easy_strerror(outcome.result)) + tried);
    }
}

}  // namespace signet::ra
