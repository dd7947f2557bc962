// Webhooks (sign/notification_senders.hpp): the HMAC-SHA256 signature and the POST through
// libcurl, in the style of the RA's SMS gateway (ra/sms_gateway.cpp).
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <mutex>

#include "common/bytes.hpp"
#include "common/error.hpp"
#include "common/handle.hpp"
#include "sign/notification_senders.hpp"

namespace signet::sign {

namespace {

constexpr std::size_t kMaxAnswer = 4096;  // of a receiver's answer read; nothing of it is kept

std::size_t discard_answer(char*, std::size_t size, std::size_t count, void*) {
    return size * count;  // read on, so the connection ends cleanly
}

}  // namespace

void init_curl_for_notifications() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw Error(Errc::internal, "curl_global_init failed");
    });
}

std::string webhook_signature(std::string_view secret, std::string_view timestamp,
                              std::string_view body) {
    std::string signed_text;
    signed_text.reserve(timestamp.size() + 1 + body.size());
    signed_text.append(timestamp).append(".").append(body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac,
             &length) == nullptr)
        throw Error(Errc::internal, "HMAC-SHA256 failed");
    return "v1=" + to_hex(ByteView(mac, length));
}

CurlWebhookSender::CurlWebhookSender() {
    init_curl_for_notifications();
}

SendResult CurlWebhookSender::post(const WebhookEndpoint& endpoint, std::string_view body,
                                   std::string_view event, std::string_view delivery_id,
                                   Clock::time_point now) {
    const std::string timestamp = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
    const std::string signature = webhook_signature(endpoint.secret.view(), timestamp, body);
    CurlSlistPtr headers(curl_slist_append(nullptr, "Content-Type: application/json"));
    if (!headers)
        throw Error(Errc::internal, "curl_slist_append failed");
    for (const std::string& header :
         {"Signet-Timestamp: " + timestamp, "Signet-Signature: " + signature,
          "Signet-Event: " + std::string(event), "Signet-Delivery: " + std::string(delivery_id)}) {
        if (!curl_slist_append(headers.get(), header.c_str()))
            throw Error(Errc::internal, "curl_slist_append failed");
    }
    CurlPtr curl(curl_easy_init());
    if (!curl)
        throw Error(Errc::internal, "curl_easy_init failed");
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, endpoint.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for timeouts
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<std::int64_t>(endpoint.timeout.count(), 3000)));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(endpoint.timeout.count()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_answer);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxAnswer));
    const CURLcode result = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);

    SendResult outcome;
    if (status > 0)
        outcome.reply_code = static_cast<int>(status);
    // An answer larger than kMaxAnswer stops the read (CURLE_FILESIZE_EXCEEDED) after the
    // status arrived: the status decides.
    if ((result == CURLE_OK || result == CURLE_FILESIZE_EXCEEDED) && status >= 200 && status < 300) {
        outcome.delivered = true;
    } else if (status > 0) {
        outcome.error = "HTTP " + std::to_string(status);
    } else {
        // curl's generic text ("Couldn't connect to server"), never the URL.
        outcome.error = curl_easy_strerror(result);
    }
    return outcome;
}

}  // namespace signet::sign
