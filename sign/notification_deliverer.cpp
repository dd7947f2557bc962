// The deliverer of contract notifications (sign/notification_deliverer.hpp).
#include "sign/notification_deliverer.hpp"

#include <condition_variable>
#include <mutex>

#include "common/error.hpp"

namespace signet::sign {

using namespace std::chrono_literals;

namespace {

constexpr std::size_t kMaxErrorBytes = 300;  // contract_notification_attempts.error's bound

std::string short_error(std::string text) {
    if (text.size() > kMaxErrorBytes)
        text.resize(kMaxErrorBytes);
    return text;
}

Clock::time_point to_micros(Clock::time_point t) {
    return std::chrono::time_point_cast<std::chrono::microseconds>(t);
}

std::string email_text(const store::ContractRecord& contract, int position,
                       const std::string& link, Clock::time_point expires_at) {
    return "Hello,\n\n"
           "you are asked to sign the contract \"" +
           contract.title + "\" as signer " + std::to_string(position) +
           ".\n\n"
           "Open this link to review and sign it:\n" +
           link +
           "\n\n"
           "The link is for you alone, works once and expires at " +
           format_utc(expires_at) +
           ".\n"
           "If you did not expect this message, ignore it.\n\n"
           "-- \nSignet (sent automatically)\n";
}

}  // namespace

struct NotificationDeliverer::Job {
    store::ContractNotificationRecord row;
    std::optional<EmailMessage> email;
    std::string refusal;  // not sent, and not to be retried
};

DelivererSettings deliverer_settings(const policy::NotificationSettings& s) {
    DelivererSettings out;
    for (const auto& [client, webhook] : s.webhooks)
        out.webhooks.emplace(client,
                             WebhookEndpoint{webhook.url, read_secret(webhook.secret),
                                             webhook.timeout});
    if (s.email) {
        SmtpEndpoint smtp;
        smtp.url = s.email->url;
        smtp.from = s.email->from;
        smtp.from_name = s.email->from_name;
        if (s.email->ca_file)
            smtp.ca_file = s.email->ca_file->string();
        smtp.username = s.email->username;
        if (s.email->password)
            smtp.password = read_secret(*s.email->password);
        smtp.timeout = s.email->timeout;
        out.email = std::move(smtp);
    }
    out.link_base = s.link_base;
    out.link_validity = s.link_validity;
    out.max_attempts = s.max_attempts;
    out.initial_backoff = s.initial_backoff;
    out.max_backoff = s.max_backoff;
    out.poll_interval = s.poll_interval;
    return out;
}

std::chrono::seconds retry_delay(unsigned attempts, std::chrono::seconds initial,
                                 std::chrono::seconds max) {
    std::chrono::seconds delay = initial;
    for (unsigned i = 1; i < attempts && delay < max; ++i)
        delay *= 2;
    return std::min(delay, max);
}

NotificationDeliverer::NotificationDeliverer(DelivererDependencies dependencies,
                                             DelivererSettings settings)
    : deps_(std::move(dependencies)), settings_(std::move(settings)) {
    if (settings_.max_attempts == 0 || settings_.batch == 0 ||
        settings_.initial_backoff <= 0s || settings_.max_backoff < settings_.initial_backoff)
        throw Error(Errc::invalid_argument,
                    "notification delivery needs max_attempts and a batch of at least 1, and "
                    "0 < initial_backoff <= max_backoff");
    // A claimed batch is sent one message after the other: the lease covers every try's
    // timeout, so no other node takes a row this one is still sending.
    std::chrono::milliseconds longest = settings_.email ? settings_.email->timeout : 0ms;
    for (const auto& [client, webhook] : settings_.webhooks)
        longest = std::max(longest, webhook.timeout);
    lease_ = std::chrono::duration_cast<std::chrono::seconds>(longest * settings_.batch) + 60s;
}

NotificationDeliverer::~NotificationDeliverer() {
    stop();
}

std::vector<NotificationDeliverer::Job> NotificationDeliverer::claim(Clock::time_point now) {
    return deps_.database.transaction([&](store::Connection& tx) {
        std::vector<Job> jobs;
        for (auto& row : deps_.outbox.claim_due(tx, now, settings_.batch, now + lease_)) {
            jobs.push_back({std::move(row), std::nullopt, {}});
            Job& job = jobs.back();
            if (job.row.kind == "email")
                prepare_email(tx, job, now);
            else if (!settings_.webhooks.contains(job.row.target))
                job.refusal = "no webhook is configured for the client";
        }
        return jobs;
    });
}

void NotificationDeliverer::prepare_email(store::Connection& tx, Job& job, Clock::time_point now) {
    const auto& row = job.row;
    if (!settings_.email) {
        job.refusal = "e-mail is not configured (signing.notifications.email)";
        return;
    }
    const auto contract = deps_.contracts.find(tx, row.contract_id);
    const int position = row.signer_position.value_or(0);
    if (!contract || (contract->state != "sent" && contract->state != "partially_signed")) {
        job.refusal = "the contract is " + (contract ? contract->state : "gone") +
                      ": its signer is no longer due";
        return;
    }
    for (const auto& signer : deps_.contracts.signers(tx, row.contract_id)) {
        if (signer.position == position && signer.state != "waiting") {
            job.refusal = "signer " + std::to_string(position) + " has signed already";
            return;
        }
    }
    const auto address = deps_.outbox.subject_email(tx, std::stoll(row.target));
    if (!address) {
        job.refusal = "the subject has no e-mail address";
        return;
    }
    const auto expires_at = std::min(to_micros(now + settings_.link_validity), contract->expires_at);
    const std::string token = deps_.links.issue(tx, row.contract_id, position, expires_at);
    job.email = EmailMessage{*address, "Please sign: " + contract->title,
                             email_text(*contract, position, settings_.link_base + token,
                                        expires_at)};
}

SendResult NotificationDeliverer::send(const Job& job, Clock::time_point now) {
    if (!job.refusal.empty())
        return {false, std::nullopt, job.refusal};
    if (job.row.kind == "email")
        return deps_.email.send(*settings_.email, *job.email, now);
    return deps_.webhooks.post(settings_.webhooks.at(job.row.target), job.row.payload, job.row.event,
                               std::to_string(job.row.id), now);
}

void NotificationDeliverer::record(const Job& job, const SendResult& result,
                                   Clock::time_point now) {
    store::ContractNotificationRecord updated = job.row;
    updated.attempts = job.row.attempts + 1;
    store::NotificationAttemptRecord attempt{job.row.id, updated.attempts, now, "", result.reply_code,
                                             std::nullopt};
    if (result.delivered) {
        attempt.outcome = updated.state = "delivered";
        updated.delivered_at = now;
        updated.last_error.reset();
    } else {
        attempt.error = updated.last_error = short_error(result.error);
        const bool final = !job.refusal.empty() ||
                           updated.attempts >= static_cast<int>(settings_.max_attempts);
        attempt.outcome = final ? "failed" : "retry";
        updated.state = final ? "failed" : "pending";
        updated.next_attempt_at =
            final ? now
                  : now + retry_delay(static_cast<unsigned>(updated.attempts),
                                      settings_.initial_backoff, settings_.max_backoff);
    }
    deps_.database.transaction(
        [&](store::Connection& tx) { deps_.outbox.record_attempt(tx, attempt, updated); });
    if (deps_.log) {
        // No address, token, URL or secret: the row's id, kind and outcome.
        deps_.log->log(result.delivered ? LogLevel::info : LogLevel::warn,
                       "contract notification attempt",
                       {{"notification", job.row.id},
                        {"contract", job.row.contract_id},
                        {"kind", job.row.kind},
                        {"event", job.row.event},
                        {"attempt", updated.attempts},
                        {"outcome", attempt.outcome},
                        {"reply_code", result.reply_code.value_or(0)},
                        {"error", attempt.error.value_or("")}});
    }
}

std::size_t NotificationDeliverer::run_once() {
    const auto now = to_micros(deps_.clock.now());
    const std::vector<Job> jobs = claim(now);
    for (const auto& job : jobs) {
        SendResult result;
        try {
            result = send(job, now);
        } catch (const std::exception& e) {
            result = {false, std::nullopt, e.what()};
        }
        record(job, result, now);
    }
    return jobs.size();
}

void NotificationDeliverer::start() {
    thread_ = std::jthread([this](std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any wake;
        while (!stop.stop_requested()) {
            try {
                while (run_once() == settings_.batch && !stop.stop_requested()) {
                }
            } catch (const std::exception& e) {
                if (deps_.log)
                    deps_.log->warn("contract notification delivery failed", {{"error", e.what()}});
            }
            std::unique_lock lock(mutex);
            wake.wait_for(lock, stop, settings_.poll_interval, [] { return false; });
        }
    });
}

void NotificationDeliverer::stop() {
    if (thread_.joinable()) {
        thread_.request_stop();
        thread_.join();
    }
}

}  // namespace signet::sign
