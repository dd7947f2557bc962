#include "api/contract_requests.hpp"

#include <algorithm>
#include <limits>

#include "api/http.hpp"
#include "common/error.hpp"
#include "sign/contract_hooks.hpp"

namespace signet::api {

namespace {

using nlohmann::json;

constexpr std::int64_t kMaxId = std::numeric_limits<std::int64_t>::max();

json optional_time(const std::optional<Clock::time_point>& t) {
    return t ? json(format_utc(*t)) : json(nullptr);
}

sign::SignerInput decode_signer(const JsonBody& body) {
    body.only({"kind", "subject_id", "agent_id"});
    sign::SignerInput signer;
    signer.kind = body.string("kind");
    signer.subject_id = body.integer("subject_id", 1, kMaxId);
    signer.agent_id = body.optional_integer("agent_id", 1, kMaxId);
    return signer;
}

}  // namespace

sign::ContractDraft decode_contract_draft(const JsonBody& body) {
    body.only({"title", "format", "metadata", "contract_type", "amount", "expires_at", "signers"});
    sign::ContractDraft draft;
    draft.title = body.string("title");
    draft.format = body.string("format");
    if (auto metadata = body.optional_raw_object("metadata"))
        draft.metadata = std::move(*metadata);
    draft.contract_type = body.optional_string("contract_type").value_or("");
    if (const auto amount = body.optional_object("amount")) {
        amount->only({"minor_units", "currency"});
        draft.amount = sign::Amount{amount->integer("minor_units", 0, 1'000'000'000'000'000),
                                    amount->string("currency")};
    }
    if (const auto expires = body.optional_string("expires_at")) {
        try {
            draft.expires_at = parse_utc(*expires);
        } catch (const Error&) {
            throw Error(Errc::invalid_argument,
                        "'" + body.path("expires_at") + "' must be an RFC 3339 UTC time");
        }
    }
    for (const JsonBody& signer : body.object_array("signers", 50))
        draft.signers.push_back(decode_signer(signer));
    return draft;
}

ContractSubmission decode_contract_submission(std::string_view content_type,
                                              std::string_view body) {
    const std::vector<FormPart> parts = parse_form_data(content_type, body);
    const FormPart* contract = nullptr;
    const FormPart* document = nullptr;
    for (const auto& part : parts) {
        if (part.name == "contract")
            contract = &part;
        else if (part.name == "document")
            document = &part;
        else
            throw Error(Errc::invalid_argument,
                        "the form's parts are 'contract' and 'document', not '" +
                            part.name.substr(0, 64) + "'");
    }
    if (contract == nullptr || document == nullptr)
        throw Error(Errc::invalid_argument,
                    "the form needs a part 'contract' (application/json) and a part 'document'");
    if (!has_media_type(contract->content_type, "application/json"))
        throw Error(Errc::invalid_argument, "the part 'contract' must be application/json");
    ContractSubmission submission;
    submission.draft = decode_contract_draft(JsonBody::parse(contract->data));
    // The document's type says its format, so a PDF is never filed as mere bytes by mistake.
    const std::string_view expected =
        submission.draft.format == "pdf" ? "application/pdf" : "application/octet-stream";
    if (!has_media_type(document->content_type, expected))
        throw Error(Errc::invalid_argument, "the part 'document' must be " + std::string(expected) +
                                                " for format '" +
                                                submission.draft.format.substr(0, 16) + "'");
    submission.document = document->data;
    return submission;
}

ApprovalRequest decode_approval(const JsonBody& body) {
    body.only({"position", "approver_id"});
    return {static_cast<int>(body.integer("position", 1, 50)),
            body.integer("approver_id", 1, kMaxId)};
}

sign::ContractCaller contract_caller(const Request& request) {
    if (request.client == nullptr)
        throw Error(Errc::internal, "a contract route without an authenticated client");
    return {actor_of(request), request.client->name};
}

std::string contract_id(std::string_view segment) {
    const bool hex = segment.size() == 32 && std::ranges::all_of(segment, [](char c) {
                         return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                     });
    if (!hex)
        throw Error(Errc::not_found, "no contract " + std::string(segment.substr(0, 64)) +
                                         " (a contract id is 32 lowercase hex digits)");
    return std::string(segment);
}

json contract_summary_json(const store::ContractRecord& c) {
    return json{
        {"id", c.id},
        {"title", c.title},
        {"metadata", json::parse(c.metadata)},
        {"contract_type", c.contract_type.empty() ? json(nullptr) : json(c.contract_type)},
        {"amount", c.amount_minor ? json{{"minor_units", *c.amount_minor},
                                         {"currency", c.currency.value_or("")}}
                                  : json(nullptr)},
        {"format", c.format},
        {"client", c.client},
        {"state", c.state},
        {"signer_count", c.signer_count},
        {"current_revision", c.current_revision},
        {"expires_at", format_utc(c.expires_at)},
        {"created_at", format_utc(c.created_at)},
        {"sent_at", optional_time(c.sent_at)},
        {"completed_at", optional_time(c.completed_at)},
        {"cancelled_at", optional_time(c.cancelled_at)},
        {"expired_at", optional_time(c.expired_at)},
        {"shredded_at", optional_time(c.shredded_at)},
    };
}

json contract_json(const sign::Contract& contract) {
    json out = contract_summary_json(contract.record);
    const auto due = contract.due_position();
    out["due_signer"] = due ? json(*due) : json(nullptr);
    json signers = json::array();
    for (const auto& s : contract.signers) {
        json approvals = json::array();
        for (const auto& a : contract.approvals)
            if (a.position == s.position)
                approvals.push_back(
                    {{"approver_id", a.approver_id}, {"approved_at", format_utc(a.approved_at)}});
        signers.push_back({{"position", s.position},
                           {"kind", s.kind},
                           {"subject_id", s.subject_id},
                           {"agent_id", s.agent_id ? json(*s.agent_id) : json(nullptr)},
                           {"approvals_required", s.approvals_required},
                           {"approvals", std::move(approvals)},
                           {"state", s.state},
                           {"signed_at", optional_time(s.signed_at)},
                           {"certificate_serial",
                            s.certificate_serial ? json(*s.certificate_serial) : json(nullptr)},
                           {"revision", s.revision ? json(*s.revision) : json(nullptr)}});
    }
    out["signers"] = std::move(signers);
    json revisions = json::array();
    for (const auto& r : contract.revisions)
        revisions.push_back(
            {{"number", r.number},
             {"kind", r.kind},
             {"sha256", to_hex(r.sha256)},
             {"size", r.size},
             {"signer", r.signer_position ? json(*r.signer_position) : json(nullptr)},
             {"created_at", format_utc(r.created_at)}});
    out["revisions"] = std::move(revisions);
    json events = json::array();
    for (const auto& e : contract.events)
        events.push_back({{"seq", e.seq},
                          {"type", e.type},
                          {"at", format_utc(e.at)},
                          {"signer", e.signer_position ? json(*e.signer_position) : json(nullptr)},
                          {"canonical", e.canonical},
                          {"sha256", to_hex(e.event_sha256)},
                          {"timestamp_token", to_base64(e.timestamp_token)},
                          {"timestamp_time", format_utc(sign::token_time(e.timestamp_token))}});
    out["events"] = std::move(events);
    return out;
}

}  // namespace signet::api
