#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "audit/checkpoint.hpp"
#include "audit/log.hpp"
#include "audit/merkle.hpp"
#include "ca/service_purposes.hpp"
#include "common/clock.hpp"
#include "common/digest.hpp"
#include "common/error.hpp"
#include "evidence/package_parts.hpp"
#include "evidence/verify_parts.hpp"

namespace signet::evidence {

namespace {

constexpr std::size_t kMaxProofHashes = 64;  // a tree of 2^64 leaves has paths of 64 hashes

std::string_view text_of(const Bytes& bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

audit::Hash hash_from_hex(const nlohmann::json& value) {
    if (!value.is_string())
        throw Error(Errc::invalid_argument, "a hash that is not a string");
    const Bytes bytes = from_hex(value.get<std::string>());
    if (bytes.size() != 32)
        throw Error(Errc::invalid_argument, "a hash that is not 32 bytes of hex");
    audit::Hash h{};
    std::copy(bytes.begin(), bytes.end(), h.begin());
    return h;
}

// A member that must be a string, or "" when it is absent or anything else (nlohmann's value()
// throws type_error on a member of another type; the verifier reports, never throws).
std::string string_member(const nlohmann::json& doc, const char* name) {
    const auto it = doc.find(name);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// An RFC 3161 token over `content`, verifying, its TSA chained to a root, nothing revoked; its
// genTime into `gen_time` when it is good.
std::string token_problem(Verification& v, const Bytes& token, ByteView content,
                          std::optional<Clock::time_point>* gen_time = nullptr) {
    const ByteView parts[] = {content};
    sign::TimeStampReport r;
    try {
        r = sign::verify_time_stamp_token(token, parts, v.verify_options());
    } catch (const Error& e) {
        return e.what();
    }
    if (!r.signature_valid)
        return "its signature does not verify: " + r.problem;
    if (!r.imprint_matches)
        return "its imprint is not the hash of what it is said to stamp";
    if (const std::string p = tsa_problem(r); !p.empty())
        return p;
    if (!r.time)
        return "it has no genTime";
    if (gen_time)
        *gen_time = r.time;
    return "";
}

// The checkpoint; nullopt when it cannot be relied on (each fault reported).
std::optional<audit::Checkpoint> verify_checkpoint(Verification& v) {
    const Bytes* body = v.file(layout::kCheckpointBody);
    const Bytes* signature = v.file(layout::kCheckpointSignature);
    const Bytes* certificate_der = v.file(layout::kCheckpointCertificate);
    const Bytes* token = v.file(layout::kCheckpointTimeStamp);
    if (!body || !signature || !certificate_der || !token) {
        v.fail("checkpoint",
               "audit/checkpoint/ lacks body.txt, signature.der, certificate.der "
               "or timestamp.tst");
        return std::nullopt;
    }
    audit::Checkpoint checkpoint;
    try {
        checkpoint = audit::parse_checkpoint_body(text_of(*body));
    } catch (const Error& e) {
        v.fail(layout::kCheckpointBody, e.what());
        return std::nullopt;
    }
    bool ok = true;
    const X509Ptr certificate = parse_certificate(*certificate_der);
    if (!certificate) {
        v.fail(layout::kCheckpointCertificate, "not an X.509 certificate");
        return std::nullopt;
    }
    if (!audit::checkpoint_signature_verifies(certificate.get(), text_of(*body), *signature)) {
        v.fail(layout::kCheckpointSignature,
               "the checkpoint's signature does not verify with the key of certificate.der");
        ok = false;
    }
    if (!ca::has_key_purpose(certificate.get(), ca::kAuditCheckpointPurpose)) {
        v.fail(layout::kCheckpointCertificate,
               "not an audit checkpoint certificate (its extended key usage lacks " +
                   std::string(ca::kAuditCheckpointPurpose) + ")");
        ok = false;
    }
    std::optional<Clock::time_point> stamped;
    if (const std::string p = token_problem(v, *token, *body, &stamped); !p.empty()) {
        v.fail(layout::kCheckpointTimeStamp, "not a valid time-stamp of body.txt: " + p);
        return std::nullopt;
    }
    // The certificate is judged at the time the token proves, not at the time the body claims:
    // a key whose certificate had expired or been revoked cannot sign a checkpoint dated back.
    if (const std::string p = v.chain_problem(certificate.get(), *stamped); !p.empty()) {
        v.fail(
            layout::kCheckpointCertificate,
            "does not chain to a root at the time-stamp's time " + format_utc(*stamped) + ": " + p);
        ok = false;
    }
    if (checkpoint.time > *stamped + audit::kCheckpointClockTolerance) {
        v.fail(layout::kCheckpointBody, "claims the time " + format_utc(checkpoint.time) +
                                            ", after its time-stamp's " + format_utc(*stamped));
        ok = false;
    }
    if (!ok)
        return std::nullopt;
    v.pass("checkpoint", "'" + checkpoint.origin + "' of " + std::to_string(checkpoint.size) +
                             " events, root " + to_hex(checkpoint.root) + ", signed by " +
                             name_text(X509_get_subject_name(certificate.get())) +
                             ", time-stamped");
    return checkpoint;
}

void verify_event(Verification& v, const std::string& path, const Bytes& canonical,
                  const std::optional<audit::Checkpoint>& checkpoint, int& about_contract) {
    const auto doc = nlohmann::json::parse(canonical.begin(), canonical.end(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("seq") ||
        !doc["seq"].is_number_unsigned()) {
        v.fail(path, "not an audit event's canonical encoding");
        return;
    }
    // Sequence numbers start at 1 and are a PostgreSQL bigint (audit/log.hpp).
    const auto unsigned_seq = doc["seq"].get<std::uint64_t>();
    if (unsigned_seq == 0 || unsigned_seq > static_cast<std::uint64_t>(INT64_MAX)) {
        v.fail(path, "holds a sequence number out of range");
        return;
    }
    const auto seq = static_cast<std::int64_t>(unsigned_seq);
    if (path != layout::audit_event(seq)) {
        v.fail(path, "holds event " + std::to_string(seq) + ", not the one its name says");
        return;
    }
    if (string_member(doc, "object") == "contract:" + v.report.contract_id)
        ++about_contract;
    const audit::LeafHash leaf = audit::leaf_hash(text_of(canonical));
    const std::string proof_path = layout::audit_proof(seq);
    const Bytes* proof_bytes = v.file(proof_path);
    if (proof_bytes == nullptr) {
        v.fail(path, "no inclusion proof " + proof_path);
        return;
    }
    if (!checkpoint) {
        v.fail(path, "event " + std::to_string(seq) + ": no checkpoint to prove it against");
        return;
    }
    try {
        const auto proof = nlohmann::json::parse(proof_bytes->begin(), proof_bytes->end());
        const auto tree_size = proof.at("tree_size").get<std::uint64_t>();
        const auto& hashes = proof.at("path");
        if (!hashes.is_array() || hashes.size() > kMaxProofHashes)
            throw Error(Errc::invalid_argument, "'path' is not an array of at most 64 hashes");
        std::vector<audit::Hash> path_hashes;
        for (const auto& h : hashes)
            path_hashes.push_back(hash_from_hex(h));
        if (tree_size != checkpoint->size)
            v.fail(proof_path, "a proof for a tree of " + std::to_string(tree_size) +
                                   " events, not the checkpoint's " +
                                   std::to_string(checkpoint->size));
        else if (!audit::verify_inclusion(static_cast<std::uint64_t>(seq - 1), tree_size, leaf,
                                          path_hashes, checkpoint->root))
            v.fail(path, "event " + std::to_string(seq) +
                             ": its inclusion proof does not lead to the checkpoint's root");
        else
            v.pass(path, "event " + std::to_string(seq) + " (" + string_member(doc, "type") +
                             ") is in the checkpoint's tree");
    } catch (const std::exception& e) {
        v.fail(proof_path, std::string("not an inclusion proof: ") + e.what());
    }
}

void verify_contract_event(Verification& v, const std::string& path, const Bytes& canonical) {
    const std::string base = path.substr(0, path.size() - 5);  // without ".json"
    const Bytes* token = v.file(base + ".tst");
    if (token == nullptr) {
        v.fail(path, "no time-stamp " + base + ".tst");
        return;
    }
    const auto doc = nlohmann::json::parse(canonical.begin(), canonical.end(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object() ||
        string_member(doc, "contract") != v.report.contract_id) {
        v.fail(path, "not an event of contract " + v.report.contract_id);
        return;
    }
    try {
        if (const std::string p = token_problem(v, *token, canonical); !p.empty())
            v.fail(base + ".tst", p);
        else
            v.pass(base + ".tst", "time-stamps " + path);
    } catch (const Error& e) {
        v.fail(base + ".tst", e.what());
    }
}

}  // namespace

std::string tsa_problem(const sign::TimeStampReport& time_stamp) {
    if (!time_stamp.tsa.trusted)
        return "its TSA does not chain to a root: " + time_stamp.tsa.problem;
    for (const sign::ChainEntry& e : time_stamp.tsa.certificates)
        if (e.revocation.status == sign::RevocationStatus::revoked)
            return "the TSA certificate " + e.certificate.subject + " is revoked";
    return "";
}

void verify_audit(Verification& v) {
    const std::optional<audit::Checkpoint> checkpoint = verify_checkpoint(v);
    int about_contract = 0, contract_events = 0;
    for (const auto& [path, content] : v.files) {
        if (path.starts_with("audit/events/"))
            verify_event(v, path, content, checkpoint, about_contract);
        else if (path.starts_with("contract-events/") && path.ends_with(".json")) {
            verify_contract_event(v, path, content);
            ++contract_events;
        }
    }
    if (about_contract == 0)
        v.fail("audit/events/", "no audit event about contract " + v.report.contract_id);
    if (contract_events == 0)
        v.fail("contract-events/", "no contract event");
}

}  // namespace signet::evidence
