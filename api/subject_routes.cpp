// The subjects' routes of the registration authority (api/ra_routes.hpp).
#include <nlohmann/json.hpp>
#include <variant>

#include "api/problem.hpp"
#include "api/ra_requests.hpp"
#include "api/ra_routes_detail.hpp"
#include "common/error.hpp"
#include "ra/evidence_error.hpp"

namespace signet::api::detail {

namespace {

using nlohmann::json;

// A provider statement is at most 64 KiB (ra::EvidencePolicy::max_token_bytes' cap); the rest
// of a body is small.
constexpr std::size_t kEvidenceBodyBytes = 96 * 1024;
constexpr std::size_t kSmallBodyBytes = 8 * 1024;

JsonBody ra_body(const Request& request) {
    return JsonBody::from_request(request, InputEcho::never);
}

json subjects_page(const std::vector<store::Subject>& subjects, std::size_t limit) {
    json items = json::array();
    for (const auto& subject : subjects)
        items.push_back(subject_json(subject));
    json body{{"subjects", std::move(items)}};
    // A full page may have a next one: the client asks again with after=next_after.
    if (!subjects.empty() && subjects.size() == limit)
        body["next_after"] = subjects.back().id;
    return body;
}

// The subject a POST /v1/subjects asked for, and the document number its evidence is bound to.
std::pair<store::Subject, std::string> create(ra::Registry& registry,
                                              const CreateSubjectRequest& request,
                                              const std::string& actor) {
    if (const auto* person = std::get_if<ra::PersonInput>(&request.subject))
        return {registry.create_person(*person, actor), person->document.number};
    const auto& organization = std::get<ra::OrganizationInput>(request.subject);
    return {registry.create_organization(organization, actor), organization.credit_code};
}

Response created(const store::Subject& subject) {
    Response response = json_response(subject_json(subject), http::status::created);
    response.headers.emplace_back("Location", "/v1/subjects/" + std::to_string(subject.id));
    return response;
}

Response create_subject(ra::Registry& registry, const Request& request) {
    const CreateSubjectRequest decoded = decode_create_subject(ra_body(request));
    const std::string actor = actor_of(request);
    // A profile or level no evidence could meet is the request's error: refused before the
    // subject exists, so nothing changes.
    if (decoded.evidence)
        registry.check_evidence_target(
            {decoded.evidence->statement, {}, decoded.evidence->profile, decoded.evidence->level});
    auto [subject, document_number] = create(registry, decoded, actor);
    if (!decoded.evidence)
        return created(subject);
    const ra::EvidenceSubmission evidence{decoded.evidence->statement, std::move(document_number),
                                          decoded.evidence->profile, decoded.evidence->level};
    try {
        return created(registry.attach_evidence(subject.id, evidence, actor));
    } catch (const ra::EvidenceError& e) {
        // The subject exists now; only its evidence was refused. The client learns both: the
        // refusal as the problem, and where the subject is, to send evidence again.
        Response response = problem_response(
            problems::evidence_refused,
            "subject " + std::to_string(subject.id) +
                " was created; its evidence was refused: " + e.what(),
            request.request_id,
            json{{"reason", ra::to_string(e.refusal())}, {"subject_id", subject.id}});
        response.headers.emplace_back("Location", "/v1/subjects/" + std::to_string(subject.id));
        return response;
    }
}

store::Subject existing(ra::Registry& registry, std::int64_t id) {
    auto subject = registry.find(id);
    if (!subject)
        throw Error(Errc::not_found, "no subject " + std::to_string(id));
    return std::move(*subject);
}

// An action on one subject (/v1/subjects/{id}...): the body decoded by `decode`, then
// `act(registry, id, decoded, actor)`, whose JSON is the answer.
template <class Decoded, class Act>
Handler subject_action(ra::Registry& registry, Decoded (*decode)(const JsonBody&), Act act) {
    return [&registry, decode, act](const Request& request) {
        const auto id = path_id(request, 0, "id");
        const Decoded decoded = decode(ra_body(request));
        return json_response(act(registry, id, decoded, actor_of(request)));
    };
}

}  // namespace

void add_subject_routes(Router& router, RaServices services) {
    ra::Registry& registry = services.registry;

    router.add(ra_route(
        http::verb::post, "/v1/subjects", "subjects:write", kEvidenceBodyBytes,
        [&registry](const Request& request) { return create_subject(registry, request); }));

    router.add(ra_route(
        http::verb::get, "/v1/subjects", "subjects:read", 0, [&registry](const Request& request) {
            const ra::SubjectFilter filter = decode_subject_query(request.query);
            return json_response(subjects_page(registry.list(filter), filter.limit));
        }));

    // A document number never travels in a URL, where access logs and proxies keep it.
    router.add(ra_route(http::verb::post, "/v1/subjects/search", "subjects:read", kSmallBodyBytes,
                        [&registry](const Request& request) {
                            ra::SubjectFilter filter = decode_subject_query(request.query);
                            filter.document = decode_subject_search(ra_body(request));
                            return json_response(
                                subjects_page(registry.list(filter), filter.limit));
                        }));

    router.add(ra_route(http::verb::get, "/v1/subjects/{id}", "subjects:read", 0,
                        [&registry](const Request& request) {
                            return json_response(
                                subject_json(existing(registry, path_id(request, 0, "id"))));
                        }));

    router.add(ra_route(http::verb::patch, "/v1/subjects/{id}", "subjects:write", kSmallBodyBytes,
                        subject_action(registry, decode_subject_update,
                                       [](ra::Registry& r, std::int64_t id, const auto& update,
                                          const std::string& actor) {
                                           return changed_json(r.update(id, update, actor));
                                       })));

    router.add(ra_route(
        http::verb::post, "/v1/subjects/{id}/evidence", "subjects:write", kEvidenceBodyBytes,
        subject_action(
            registry, decode_evidence,
            [](ra::Registry& r, std::int64_t id, const auto& evidence, const std::string& actor) {
                return subject_json(r.attach_evidence(id, evidence, actor));
            })));

    router.add(
        ra_route(http::verb::post, "/v1/subjects/{id}/verification", "ra:officer", kSmallBodyBytes,
                 subject_action(registry, decode_verification,
                                [](ra::Registry& r, std::int64_t id, const auto& verification,
                                   const std::string& actor) {
                                    return subject_json(r.verify_manually(id, verification, actor));
                                })));

    router.add(ra_route(http::verb::post, "/v1/subjects/{id}/deactivate", "subjects:write",
                        kSmallBodyBytes,
                        subject_action(registry, decode_deactivation,
                                       [](ra::Registry& r, std::int64_t id,
                                          const std::string& reason, const std::string& actor) {
                                           return changed_json(r.deactivate(id, reason, actor));
                                       })));
}

}  // namespace signet::api::detail
