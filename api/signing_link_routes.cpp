#include "api/signing_link_routes.hpp"

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "api/problem.hpp"
#include "common/bytes.hpp"
#include "common/error.hpp"
#include "sign/contract_signing.hpp"

namespace signet::api {

namespace {

using nlohmann::json;

constexpr std::string_view kNoSuchLink = "no such signing link";

std::string_view token_of(const Request& request) {
    std::vector<std::string_view> values;
    if (!match_segments(request.route, request.path, &values) || values.empty())
        throw Error(Errc::internal, "the route's pattern does not give the token");
    return values[0];
}

const store::ContractRevisionRecord* revision_of(const sign::Contract& contract, int number) {
    for (const auto& revision : contract.revisions)
        if (revision.number == number)
            return &revision;
    return nullptr;
}

std::string subject_name(ra::Registry& registry, std::int64_t id) {
    const auto subject = registry.find(id);
    return subject ? subject->name : std::string();
}

// The parties in signing order, for the page: who they are (a person's name; a seal's
// organization and the agent who applies it) and how far they are. Names only: never a
// document number, contact or certificate.
json parties_json(const sign::Contract& contract, ra::Registry& registry) {
    const std::optional<int> due = contract.due_position();
    json parties = json::array();
    for (const auto& s : contract.signers) {
        json party{{"position", s.position},
                   {"kind", s.kind},
                   {"name", subject_name(registry, s.subject_id)},
                   {"state", s.state},
                   {"due", due == s.position}};
        if (s.agent_id)
            party["agent_name"] = subject_name(registry, *s.agent_id);
        if (s.signed_at)
            party["signed_at"] = format_utc(*s.signed_at);
        parties.push_back(std::move(party));
    }
    return parties;
}

// A file name the platform gave in the contract's metadata ("file_name"), else one made of the
// contract id: the page offers the document for download under it (shown as text only).
// At most 255 bytes, cut at a character boundary: the metadata is UTF-8 (the JSON parser
// refused anything else), and a name cut inside a character would make the answer's
// serialisation throw for every request of this link.
std::string file_name_of(const sign::Contract& contract) {
    const json metadata = json::parse(contract.record.metadata, nullptr, false);
    if (metadata.is_object() && metadata.contains("file_name") &&
        metadata["file_name"].is_string() && !metadata["file_name"].get<std::string>().empty()) {
        std::string name = metadata["file_name"].get<std::string>();
        if (name.size() > 255) {
            std::size_t end = 255;
            // UTF-8 continuation bytes are 10xxxxxx (RFC 3629 §3): back up to a lead byte.
            while (end > 0 && (static_cast<unsigned char>(name[end]) & 0xC0) == 0x80)
                --end;
            name.resize(end);
        }
        return name;
    }
    return "contract-" + contract.record.id + (contract.record.format == "pdf" ? ".pdf" : ".bin");
}

Response describe(const SigningLinkServices& services, const sign::SigningLinkTarget& target,
                  const sign::Contract& contract) {
    const store::ContractRevisionRecord* current =
        revision_of(contract, contract.record.current_revision);
    const store::ContractSignerRecord* signer = nullptr;
    for (const auto& s : contract.signers)
        if (s.position == target.position)
            signer = &s;
    if (current == nullptr || signer == nullptr || contract.revisions.empty())
        throw Error(Errc::not_found, std::string(kNoSuchLink));
    // What the signer's code will be bound to and the SMS names (sign::revision_fingerprint):
    // a PDF's current revision; for other bytes the original, which every CAdES signature signs.
    const store::ContractRevisionRecord& signed_content =
        contract.record.format == "pdf" ? *current : contract.revisions.front();
    json body = {
        {"contract",
         {{"id", contract.record.id},
          {"title", contract.record.title},
          {"state", contract.record.state},
          {"format", contract.record.format},
          {"current_revision", contract.record.current_revision},
          {"revision_sha256", to_hex(current->sha256)},
          {"fingerprint", sign::revision_fingerprint(signed_content.sha256)},
          // The bytes the page shows or offers: what is signed (above), and its SHA-256.
          {"document_sha256", to_hex(signed_content.sha256)},
          {"document_size", signed_content.size},
          {"file_name", file_name_of(contract)},
          {"shredded", contract.record.shredded_at.has_value()},
          {"expires_at", format_utc(contract.record.expires_at)}}},
        {"signer",
         {{"position", signer->position},
          {"kind", signer->kind},
          {"state", signer->state},
          {"due", contract.due_position() == signer->position}}},
        {"parties", parties_json(contract, services.registry)},
        {"link_expires_at", format_utc(target.expires_at)},
    };
    Response response = Response::json(body.dump() + "\n");
    // The token is in the URL: no cache keeps the answer (RFC 9111 §5.2.2.5).
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
}

// What the signer signs, streamed a verified vault chunk at a time (as GET
// /v1/contracts/{id}/document), for the page to show or offer for download: a PDF's current
// revision (earlier signatures included), other bytes' original.
Response document(const SigningLinkServices& services, const sign::Contract& contract,
                  const sign::ContractCaller& caller, std::string_view request_id) {
    if (contract.record.shredded_at)
        return problem_response(problems::document_shredded,
                                "the contract's documents were crypto-shredded after their "
                                "retention period",
                                request_id);
    const int revision = contract.record.format == "pdf" ? contract.record.current_revision : 0;
    auto reader = std::make_shared<sign::VaultReader>(
        services.contracts.document(contract.record.id, revision, caller));
    const sign::StoredDocument stored = reader->document();
    Response response = Response::stream(
        contract.record.format == "pdf" ? "application/pdf" : "application/octet-stream",
        stored.size, [reader]() -> std::string {
            const std::optional<Bytes> chunk = reader->next();
            return chunk ? std::string(chunk->begin(), chunk->end()) : std::string();
        });
    // RFC 9530 §2: the SHA-256 of the representation, as a structured byte sequence.
    response.headers.emplace_back("Repr-Digest", "sha-256=:" + to_base64(stored.sha256) + ":");
    // The platform's bytes, served from our origin: never sniffed into something a browser would
    // run (Fetch's X-Content-Type-Options), and anything but a PDF only ever saved, not shown.
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    if (contract.record.format != "pdf")
        response.headers.emplace_back("Content-Disposition", "attachment");
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
}

Route link_get(std::string path, SigningLinkServices services, bool want_document) {
    Route route;
    route.method = http::verb::get;
    route.path = std::move(path);
    route.match = PathMatch::segments;
    route.max_body_bytes = 0;
    route.handler = [services, want_document](const Request& request) -> Response {
        const sign::SigningLinkStatus status = services.links.inspect(token_of(request));
        if (!status.target)
            throw Error(Errc::not_found, std::string(kNoSuchLink));
        // An operator's view (no client): the token, not an API client, grants it. The audit
        // log names the link by its contract and position only (the token is a secret).
        const sign::ContractCaller caller{"signing-link:" + status.target->contract_id + "/" +
                                              std::to_string(status.target->position),
                                          std::nullopt};
        const sign::Contract contract = services.contracts.find(status.target->contract_id, caller);
        if (status.state != sign::SigningLinkState::open)
            return closed_link(status, request.request_id, contract.record.state);
        if (want_document)
            return document(services, contract, caller, request.request_id);
        return describe(services, *status.target, contract);
    };
    return route;
}

}  // namespace

// The token names a contract and a signer its holder may read about whatever the link's state:
// an expired or used link is still told apart from an unknown one, for its holder only (the
// token's hash is the key: without the token nothing is found).
Response closed_link(const sign::SigningLinkStatus& status, std::string_view request_id,
                     const std::string& contract_state) {
    const bool used = status.state == sign::SigningLinkState::used;
    json extensions = json::object();
    if (!contract_state.empty())
        extensions["contract_state"] = contract_state;
    Response response =
        problem_response(used ? problems::signing_link_used : problems::signing_link_expired,
                         used ? "this signing link was used: it signed once and opens nothing more"
                              : "this signing link expired; ask the sender for a new one",
                         request_id, extensions);
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
}

void add_signing_link_routes(Router& router, SigningLinkServices services) {
    router.add(link_get("/v1/signing/{token}", services, false));
    router.add(link_get("/v1/signing/{token}/document", services, true));
}

}  // namespace signet::api
