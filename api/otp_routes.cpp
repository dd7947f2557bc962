// The one-time password routes of the registration authority (api/ra_routes.hpp).
#include <nlohmann/json.hpp>
#include <variant>

#include "api/problem.hpp"
#include "api/ra_requests.hpp"
#include "api/ra_routes_detail.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"

namespace signet::api::detail {

namespace {

using nlohmann::json;

constexpr std::size_t kSmallBodyBytes = 8 * 1024;

JsonBody otp_body(const Request& request) {
    return JsonBody::from_request(request, InputEcho::never);
}

// The subject a code is sent to: active, with a mobile number.
store::Subject sms_recipient(ra::Registry& registry, std::int64_t id) {
    auto subject = registry.find(id);
    if (!subject)
        throw Error(Errc::not_found, "no subject " + std::to_string(id));
    if (subject->status != "active")
        throw Error(Errc::failed_precondition, "subject " + std::to_string(id) + " is deactivated");
    if (subject->mobile.empty())
        throw Error(Errc::failed_precondition,
                    "subject " + std::to_string(id) +
                        " has no mobile number (PUT /v1/subjects/{id}/otp/sms)");
    return std::move(*subject);
}

// Codes that sign contracts are the signing routes' own (api/signing_routes.hpp).
void refuse_signing_purpose(std::string_view purpose) {
    if (purpose.starts_with(ra::kContractSigningPurpose))
        throw Error(Errc::invalid_argument,
                    "'purpose': purposes beginning '" + std::string(ra::kContractSigningPurpose) +
                        "' are issued and checked by the contract signing routes only");
}

Response send_challenge(const RaServices& services, const Request& request) {
    const auto id = path_id(request, 0, "id");
    const ChallengeBody body = decode_challenge(otp_body(request));
    refuse_signing_purpose(body.purpose);
    if (services.sms == nullptr)
        throw Error(Errc::failed_precondition, "no SMS gateway is configured (otp.sms_gateway)");
    const store::Subject subject = sms_recipient(services.registry, id);
    ra::ChallengeRequest challenge;
    challenge.subject_id = id;
    challenge.purpose = body.purpose;
    challenge.channel = body.channel;
    challenge.destination = subject.mobile;
    if (request.client != nullptr)
        challenge.client = request.client->name;
    // The gateway's failure is told apart from the database's (both Errc::unavailable): the
    // first is an upstream's, a 502; OtpChallenges voids the challenge before it goes on.
    bool gateway_failed = false;
    ra::SmsGateway& sms = *services.sms;
    const ra::OtpTransport transport = [&](const std::string& destination,
                                           const std::string& message) {
        try {
            sms.send(destination, message);
        } catch (...) {
            gateway_failed = true;
            throw;
        }
    };
    try {
        const ra::IssuedChallenge issued = services.challenges.issue(challenge, transport);
        return json_response(
            json{{"challenge_id", issued.id}, {"expires_at", format_utc(issued.expires_at)}},
            http::status::created);
    } catch (const Error& e) {
        if (!gateway_failed)
            throw;
        // The gateway's message names the HTTP status or the connection failure, never the
        // number or the message (ra/sms_gateway.hpp); anything else is not shown.
        return problem_response(problems::sms_gateway_failed,
                                e.code() == Errc::unavailable
                                    ? std::string(e.what())
                                    : "the SMS gateway did not accept the message",
                                request.request_id);
    }
}

Response verify(const RaServices& services, const Request& request) {
    const auto id = path_id(request, 0, "id");
    const OtpAnswer answer = decode_otp_verify(otp_body(request));
    if (const auto* challenge = std::get_if<ChallengeAnswer>(&answer)) {
        refuse_signing_purpose(challenge->purpose);
        services.challenges.verify(challenge->challenge_id, id, challenge->purpose,
                                   challenge->code);
    } else
        services.totp.verify(id, std::get<TotpAnswer>(answer).code);
    return json_response(json{{"verified", true}});
}

Response enrol_totp(const RaServices& services, const Request& request, ra::TotpEnrolment mode) {
    const auto id = path_id(request, 0, "id");
    // An empty body is {}: the account is optional.
    const auto account =
        request.body.empty() ? std::nullopt : decode_totp_enrolment(otp_body(request));
    const Secret uri = services.totp.enrol(id, account.value_or("subject-" + std::to_string(id)),
                                           actor_of(request), mode);
    Response response =
        json_response(json{{"otpauth_uri", std::string(uri.view())}}, http::status::created);
    // It holds the seed: no cache may keep it (RFC 9111 §5.2.2.5).
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
}

}  // namespace

void add_otp_routes(Router& router, RaServices services) {
    router.add(ra_route(http::verb::post, "/v1/subjects/{id}/otp/totp", "otp", kSmallBodyBytes,
                        [services](const Request& request) {
                            return enrol_totp(services, request, ra::TotpEnrolment::first);
                        }));
    // Replacing a seed hands the subject's authenticator to whoever scans the new one: it takes
    // subjects:write (as a new SMS number does), not the otp scope of the first enrolment.
    router.add(ra_route(http::verb::put, "/v1/subjects/{id}/otp/totp", "subjects:write",
                        kSmallBodyBytes, [services](const Request& request) {
                            return enrol_totp(services, request, ra::TotpEnrolment::replace);
                        }));

    // Where codes go is the subject's contact: changing it takes subjects:write, as PATCH
    // does, not the otp scope that sends and verifies (which could otherwise redirect a
    // subject's codes to a number of its choosing).
    router.add(ra_route(http::verb::put, "/v1/subjects/{id}/otp/sms", "subjects:write",
                        kSmallBodyBytes, [services](const Request& request) {
                            const auto id = path_id(request, 0, "id");
                            ra::SubjectUpdate update;
                            update.mobile = decode_sms_number(otp_body(request));
                            return json_response(subject_json(
                                services.registry.update(id, update, actor_of(request)).subject));
                        }));

    router.add(
        ra_route(http::verb::post, "/v1/subjects/{id}/otp/challenges", "otp", kSmallBodyBytes,
                 [services](const Request& request) { return send_challenge(services, request); }));

    router.add(ra_route(http::verb::post, "/v1/subjects/{id}/otp/verify", "otp", kSmallBodyBytes,
                        [services](const Request& request) { return verify(services, request); }));

    router.add(ra_route(http::verb::post, "/v1/subjects/{id}/otp/unlock", "ra:officer",
                        kSmallBodyBytes, [services](const Request& request) {
                            const auto id = path_id(request, 0, "id");
                            return json_response(json{
                                {"unlocked", services.lockouts.unlock(id, actor_of(request))}});
                        }));
}

}  // namespace signet::api::detail
