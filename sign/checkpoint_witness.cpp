#include "sign/checkpoint_witness.hpp"

#include <curl/curl.h>

#include <fstream>

#include "audit/checkpoint_json.hpp"
#include "common/error.hpp"
#include "common/handle.hpp"
#include "sign/notification_senders.hpp"

namespace signet::sign {

namespace {

constexpr long kTimeoutMs = 10'000;

std::size_t discard_answer(char*, std::size_t size, std::size_t count, void*) {
    return size * count;
}

}  // namespace

void append_checkpoint_line(const std::filesystem::path& file,
                            const audit::SignedCheckpoint& checkpoint) {
    std::ofstream out(file, std::ios::binary | std::ios::app);
    out << audit::checkpoint_json(checkpoint).dump() << "\n";
    out.flush();
    if (!out)
        throw Error(Errc::io, "cannot append to " + file.string());
}

CheckpointWitness::CheckpointWitness(std::filesystem::path file, std::string url)
    : file_(std::move(file)), url_(std::move(url)) {
    if (file_.empty() == url_.empty())
        throw Error(Errc::invalid_argument, "a checkpoint witness is a file or a URL");
    if (!url_.empty())
        init_curl_for_notifications();
}

void CheckpointWitness::offer(const audit::SignedCheckpoint& checkpoint) {
    if (delivered_any_ && checkpoint.checkpoint.size <= delivered_)
        return;
    if (!file_.empty())
        append_checkpoint_line(file_, checkpoint);
    else
        post(audit::checkpoint_json(checkpoint).dump());
    delivered_ = checkpoint.checkpoint.size;
    delivered_any_ = true;
}

void CheckpointWitness::post(const std::string& body) {
    CurlSlistPtr headers(curl_slist_append(nullptr, "Content-Type: application/json"));
    CurlPtr curl(curl_easy_init());
    if (!headers || !curl)
        throw Error(Errc::internal, "curl_easy_init failed");
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, kTimeoutMs);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_answer);
    const CURLcode result = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (result == CURLE_OK && status >= 200 && status < 300)
        return;
    // curl's generic text or the status, never the URL (it may carry a credential).
    throw Error(Errc::unavailable, "the checkpoint witness did not take it: " +
                                       (status > 0 ? "HTTP " + std::to_string(status)
                                                   : std::string(curl_easy_strerror(result))));
}

}  // namespace signet::sign
