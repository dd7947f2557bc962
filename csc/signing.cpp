// signatures/signHash (CSC API §11.10) and signatures/timestamp (§11.13). signHash's SCAL2 rule
// (EN 419 241-1, §8.2): in one database transaction the SAD is locked, checked, used up and its
// transaction's count lowered, and the HSM signs; a refusal or a failure rolls it all back, so
// nothing is signed that the SAD's row does not show, and no SAD is spent without signatures.
#include <algorithm>

#include "common/error.hpp"
#include "csc/service_core.hpp"
#include "sign/tsa_time_stamper.hpp"
#include "tsa/protocol.hpp"

namespace signet::csc::detail {

namespace {

constexpr store::Statement kUseSad{
    "csc.use_sad",
    "UPDATE csc_sads SET used_at = $2, signed_hashes = ARRAY(SELECT decode(h, 'hex') FROM "
    "unnest($3::text[]) WITH ORDINALITY AS u(h, i) ORDER BY i) WHERE sad_sha256 = $1"};

constexpr store::Statement kCountSignatures{
    "csc.count_signatures",
    "UPDATE csc_transactions SET signatures_left = signatures_left - $2 WHERE id = $1"};

// FOR SHARE: a revocation (which locks the row for update) waits for this signature's commit,
// so the signature is made while the certificate stands.
constexpr store::Statement kCertificateNow{
    "csc.certificate_now",
    "SELECT status, not_before, not_after FROM certificates WHERE serial = $1 FOR SHARE"};

std::string_view padding_name(hsm::Padding padding) {
    switch (padding) {
        case hsm::Padding::ecdsa:
            return "ecdsa";
        case hsm::Padding::pkcs1:
            return "pkcs1";
        case hsm::Padding::pss:
            return "pss";
    }
    return "unknown";
}

}  // namespace

LockedSad use_sad(store::Connection& tx, const Caller& caller, const OwnCredential& credential,
                  std::string_view sad_text, Digest hash_algorithm,
                  const std::vector<Bytes>& hashes, Clock::time_point now,
                  const char* unauthorized) {
    LockedSad sad = lock_sad(tx, caller, credential, sad_text, now, false);
    if (hash_algorithm != sad.hash_algorithm)
        refuse(CscFailure::invalid_request, "Invalid parameter hashAlgorithmOID");
    std::vector<Bytes> authorized = sad.hashes;
    if (std::cmp_greater(hashes.size(), sad.signatures_left) || !take_each(authorized, hashes))
        refuse(CscFailure::invalid_request, unauthorized);

    const store::Result certificate = tx.exec(kCertificateNow, {credential.record.serial});
    store::CertificateRecord now_record = credential.record;
    now_record.status = certificate.one()["status"].as<std::string>();
    now_record.not_before = certificate.one()["not_before"].as<Clock::time_point>();
    now_record.not_after = certificate.one()["not_after"].as<Clock::time_point>();
    require_usable(now_record, now);

    const std::vector<std::string> signed_hex = hex_elements(hashes);
    tx.exec(kUseSad, {sad.sad_hash, now, store::Param::text_array(signed_hex)});
    tx.exec(kCountSignatures, {sad.transaction_id, static_cast<std::int64_t>(hashes.size())});
    sad.signatures_left -= static_cast<int>(hashes.size());
    return sad;
}

KeyType check_padding(const OwnCredential& credential, hsm::Padding padding) {
    const KeyType key_type = parse_key_type(credential.record.key_type);
    if (is_ec(key_type) != (padding == hsm::Padding::ecdsa))
        refuse(CscFailure::invalid_request, "Invalid parameter signAlgo");
    return key_type;
}

std::shared_ptr<const hsm::Signer> signer_of(Core& core, const OwnCredential& credential) {
    const hsm::WrappedKey key{parse_key_type(credential.record.key_type),
                              *credential.record.wrapped_key, credential.record.public_key};
    return core.deps.token.wrapped_signer(key, *credential.record.kek_label);
}

void check_hash_list(const std::vector<Bytes>& hashes, Digest algorithm) {
    if (hashes.empty())
        refuse(CscFailure::invalid_request, "Empty hash array");
    for (const Bytes& hash : hashes)
        if (hash.size() != digest_size(algorithm))
            refuse(CscFailure::invalid_request, "Invalid digest value length");
}

nlohmann::json signed_details(const LockedSad& sad, Digest algorithm, hsm::Padding padding,
                              const std::vector<Bytes>& hashes) {
    return {{"transaction", sad.transaction_id},
            {"subject_id", sad.subject_id},
            {"hash_algorithm", to_string(algorithm)},
            {"padding", padding_name(padding)},
            {"hashes", hex_list(hashes)},
            {"signatures", hashes.size()},
            {"signatures_left", sad.signatures_left}};
}

std::vector<Bytes> sign_hash(Core& core, const Caller& caller, const SignHashRequest& request) {
    const OwnCredential credential = own_credential(core, caller, request.credential_id);
    check_hash_list(request.hashes, request.hash_algorithm);
    (void)check_padding(credential, request.padding);
    const Clock::time_point now = core.now();

    return core.deps.database.transaction([&](store::Connection& tx) {
        const LockedSad sad = use_sad(tx, caller, credential, request.sad, request.hash_algorithm,
                                      request.hashes, now);
        // The key is unwrapped in the HSM once for these hashes and destroyed after
        // (hsm::Signer::sign_digests, DESIGN.md invariant 1).
        const std::vector<ByteView> digests(request.hashes.begin(), request.hashes.end());
        std::vector<Bytes> signatures = signer_of(core, credential)
                                            ->sign_digests(request.hash_algorithm,
                                                           request.padding, digests);
        core.deps.audit.defer(tx, core.event("csc.signed", caller,
                                             credential_object(credential.id),
                                             signed_details(sad, request.hash_algorithm,
                                                            request.padding, request.hashes)));
        return signatures;
    });
}

Bytes timestamp(Core& core, const Caller& caller, Digest hash_algorithm, ByteView hash,
                const std::optional<Bytes>& nonce) {
    if (hash.empty())
        refuse(CscFailure::invalid_request, "Empty hash parameter");
    if (hash.size() != digest_size(hash_algorithm))
        refuse(CscFailure::invalid_request, "Invalid digest value length");
    const auto& accepted = core.deps.tsa.settings().digests;
    if (std::ranges::find(accepted, hash_algorithm) == accepted.end())
        refuse(CscFailure::invalid_request, "Invalid parameter hashAlgo");
    if (nonce && nonce->size() >= tsa::kMaxNonceBytes)
        refuse(CscFailure::invalid_request, "Invalid parameter nonce");
    // The TSA's own record names the platform (tsa_tokens' requester).
    const tsa::Requester requester{caller.client, caller.address};
    const Bytes token =
        nonce ? sign::time_stamp_with_nonce(core.deps.tsa, requester, hash_algorithm, hash, *nonce)
              : sign::tsa_time_stamper(core.deps.tsa, requester)(hash_algorithm, hash);
    core.deps.audit.record(core.event("csc.timestamped", caller, "api_client:" + caller.client,
                                      {{"hash_algorithm", to_string(hash_algorithm)},
                                       {"hash", to_hex(hash)},
                                       {"nonce", nonce.has_value()}}));
    return token;
}

}  // namespace signet::csc::detail
