#include <nlohmann/json.hpp>

#include "audit/checkpoint.hpp"
#include "audit/log.hpp"
#include "audit/merkle.hpp"
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

bool signature_verifies(X509* certificate, std::string_view body, const Bytes& signature) {
    EVP_PKEY* key = X509_get0_pubkey(certificate);
    EvpMdCtxPtr context(EVP_MD_CTX_new());
    const bool ok =
        key != nullptr && context &&
        EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
        EVP_DigestVerify(context.get(), signature.data(), signature.size(),
                         reinterpret_cast<const unsigned char*>(body.data()), body.size()) == 1;
    clear_openssl_errors();
    return ok;
}

// An RFC 3161 token over `content`, verifying, its TSA chained to a root, nothing revoked.
std::string token_problem(Verification& v, const Bytes& token, ByteView content) {
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
    if (!r.tsa.trusted)
        return "its TSA does not chain to a root: " + r.tsa.problem;
    for (const sign::ChainEntry& e : r.tsa.certificates)
        if (e.revocation.status == sign::RevocationStatus::revoked)
            return "the TSA certificate " + e.certificate.subject + " is revoked";
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
    if (!signature_verifies(certificate.get(), text_of(*body), *signature)) {
        v.fail(layout::kCheckpointSignature,
               "the checkpoint's signature does not verify with the key of certificate.der");
        ok = false;
    }
    if (const std::string p = v.chain_problem(certificate.get(), checkpoint.time); !p.empty()) {
        v.fail(layout::kCheckpointCertificate,
               "does not chain to a root at the checkpoint's time: " + p);
        ok = false;
    }
    if (const std::string p = token_problem(v, *token, *body); !p.empty()) {
        v.fail(layout::kCheckpointTimeStamp, "not a valid time-stamp of body.txt: " + p);
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
    const auto seq = doc["seq"].get<std::int64_t>();
    if (path != layout::audit_event(seq)) {
        v.fail(path, "holds event " + std::to_string(seq) + ", not the one its name says");
        return;
    }
    if (doc.value("object", "") == "contract:" + v.report.contract_id)
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
            v.pass(path, "event " + std::to_string(seq) + " (" + doc.value("type", "") +
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
        doc.value("contract", "") != v.report.contract_id) {
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
