// Credential authorization (CSC API §11.6 authorize, §11.8 getChallenge, §11.9
// extendTransaction): the signer's one-time password opens a transaction of N signatures bound
// to one credential, one platform and the hashes the signer approved (SCAL2, §8.2), and a
// short-lived, single-use SAD for it.
#include <algorithm>

#include "common/error.hpp"
#include "common/text.hpp"
#include "csc/service_core.hpp"
#include "ra/otp_limits.hpp"

namespace signet::csc::detail {

namespace {

constexpr std::size_t kMaxDescription = 500;  // §11.6: "maximum size of 500 characters"

constexpr store::Statement kSubjectMobile{"csc.subject_mobile",
                                          "SELECT mobile FROM subjects WHERE id = $1"};

constexpr store::Statement kInsertChallenge{
    "csc.insert_challenge",
    "INSERT INTO csc_challenges (client, credential_serial, challenge_id, created_at) "
    "VALUES ($1, $2, $3, $4)"};

constexpr store::Statement kNewestChallenge{
    "csc.newest_challenge",
    "SELECT challenge_id FROM csc_challenges WHERE client = $1 AND credential_serial = $2 "
    "ORDER BY created_at DESC, id DESC LIMIT 1"};

constexpr store::Statement kInsertTransaction{
    "csc.insert_transaction",
    "INSERT INTO csc_transactions (client, credential_serial, subject_id, signatures_authorized, "
    "signatures_left, hash_algorithm, hashes_bound, created_at) "
    "VALUES ($1, $2, $3, $4, $4, $5, $6, $7) RETURNING id"};

constexpr store::Statement kSupersede{"csc.supersede_sad",
                                      "UPDATE csc_sads SET superseded_at = $2 WHERE sad_sha256 = $1"};

// The purpose a credential's SMS code is bound to (ra::OtpChallenges hashes it into the code):
// a code sent for one credential authorizes no other.
std::string purpose_of(std::string_view credential_id) {
    return "csc:" + std::string(credential_id);
}

void replace_all(std::string& text, std::string_view placeholder, std::string_view value) {
    for (auto at = text.find(placeholder); at != std::string::npos;
         at = text.find(placeholder, at + value.size()))
        text.replace(at, placeholder.size(), value);
}

// A platform's name in the SMS without braces (the message's own placeholders are braced).
std::string without_braces(std::string_view text) {
    std::string out;
    std::ranges::copy_if(text, std::back_inserter(out), [](char c) { return c != '{' && c != '}'; });
    return out;
}

void check_hashes(const std::vector<Bytes>& hashes, Digest algorithm) {
    for (const Bytes& hash : hashes)
        if (hash.size() != digest_size(algorithm))
            refuse(CscFailure::invalid_request, "Invalid digest value length");
}

// The RA's refusal of a code as the CSC API says it (§11.6 error table): a locked subject is
// "Credential locked"; any other refusal is invalid_otp with the RA's reason.
[[noreturn]] void refuse_code(const ra::OtpError& e) {
    switch (e.failure()) {
        case ra::OtpFailure::locked:
            refuse(CscFailure::invalid_request, "Credential locked");
        case ra::OtpFailure::wrong_code:
            refuse(CscFailure::invalid_otp,
                   "The OTP is invalid (" + std::to_string(e.details().attempts_left) +
                       " attempt(s) left)");
        case ra::OtpFailure::expired:
            refuse(CscFailure::invalid_otp, "The OTP is invalid (it expired)");
        case ra::OtpFailure::already_used:
            refuse(CscFailure::invalid_otp, "The OTP is invalid (it was used)");
        case ra::OtpFailure::voided:
            refuse(CscFailure::invalid_otp, "The OTP is invalid (too many attempts: ask again)");
        case ra::OtpFailure::not_found:
            refuse(CscFailure::invalid_otp, "The OTP is invalid (none was sent)");
        case ra::OtpFailure::rate_limited:
            break;
    }
    throw;
}

// Checks the subject's code for `auth_object` (the RA counts wrong codes and locks).
void verify_code(Core& core, const Caller& caller, const OwnCredential& credential,
                 std::int64_t subject_id, const AuthorizeRequest& request) {
    try {
        if (request.auth_object == "OTP") {
            const auto challenge =
                core.deps.database.with_connection([&](store::Connection& c) {
                    return c.exec(kNewestChallenge, {caller.client, credential.record.serial});
                });
            if (challenge.empty())
                refuse(CscFailure::invalid_otp,
                       "The OTP is invalid (none was sent: credentials/getChallenge)");
            core.deps.challenges.verify(challenge.one()["challenge_id"].as<std::string>(),
                                        subject_id, purpose_of(credential.id), request.code);
        } else if (request.auth_object == "TOTP") {
            if (!core.deps.settings.totp_authorizes)
                refuse(CscFailure::invalid_authentication_data,
                       "The authentication data is invalid (TOTP does not authorize signatures "
                       "here: signing.totp_signs is off; use \"OTP\")");
            core.deps.totp.verify(subject_id, request.code);
        } else {
            refuse(CscFailure::invalid_authentication_data, "The authentication data is invalid");
        }
    } catch (const ra::OtpError& e) {
        refuse_code(e);
    } catch (const CscError&) {
        throw;
    } catch (const Error& e) {
        // A code of the wrong form (ra::check_code_format): nothing was counted.
        if (e.code() != Errc::invalid_argument)
            throw;
        refuse(CscFailure::invalid_otp, "The OTP is invalid (" + std::string(e.what()) + ")");
    }
}

}  // namespace

void send_challenge(Core& core, const Caller& caller, std::string_view credential_id,
                    std::string_view auth_object) {
    const OwnCredential credential = own_credential(core, caller, credential_id);
    // Only "OTP" is a challenge: TOTP codes come from the subject's authenticator.
    if (auth_object != "OTP" || !core.deps.sms)
        refuse(CscFailure::invalid_request, "Invalid parameter authObjectID");
    require_usable(credential.record, core.now());
    const std::int64_t subject_id = credential.record.subject_id.value_or(0);
    const std::string mobile = core.deps.database.with_connection([&](store::Connection& c) {
        const store::Result r = c.exec(kSubjectMobile, {subject_id});
        return r.empty() ? std::string() : r.one()["mobile"].as<std::string>();
    });
    if (mobile.empty())
        refuse(CscFailure::invalid_request, "Invalid parameter authObjectID");

    std::string message = core.deps.challenge_message;
    // {code} is replaced first by the OTP service: what a caller names goes in after it.
    replace_all(message, "{platform}", without_braces(caller.client));
    replace_all(message, "{credential}", credential.id);
    ra::ChallengeRequest request;
    request.subject_id = subject_id;
    request.purpose = purpose_of(credential.id);
    request.channel = "sms";
    request.destination = mobile;
    request.client = caller.client;
    request.message = std::move(message);
    ra::IssuedChallenge issued;
    try {
        issued = core.deps.challenges.issue(request, core.deps.sms);
    } catch (const ra::OtpError& e) {
        if (e.failure() == ra::OtpFailure::locked)
            refuse(CscFailure::invalid_request, "Credential locked");
        throw;
    }
    const Clock::time_point now = core.now();
    core.deps.database.transaction([&](store::Connection& tx) {
        tx.exec(kInsertChallenge, {caller.client, credential.record.serial, issued.id, now});
        core.deps.audit.defer(tx, core.event("csc.challenge_sent", caller,
                                             credential_object(credential.id),
                                             {{"channel", "sms"}, {"subject_id", subject_id}}));
    });
}

Activation authorize(Core& core, const Caller& caller, const AuthorizeRequest& request) {
    const OwnCredential credential = own_credential(core, caller, request.credential_id);
    // Everything the request could be refused for is checked before the code, so a refusal
    // costs the signer no code.
    if (request.num_signatures < 1)
        refuse(CscFailure::invalid_request, "Invalid value for parameter numSignatures");
    if (request.num_signatures > core.deps.settings.multisign)
        refuse(CscFailure::invalid_request, "Numbers of signatures is too high");
    // SCAL2 (§8.2, §11.6 "hashes: REQUIRED Conditional ... if SCAL=2"): the signer approves
    // hashes, not a blank cheque.
    if (request.hashes.empty())
        refuse(CscFailure::invalid_request, "Missing (or invalid type) array parameter hashes");
    if (std::cmp_greater(request.hashes.size(), request.num_signatures))
        refuse(CscFailure::invalid_request, "Numbers of signatures is too high");
    check_hashes(request.hashes, request.hash_algorithm);
    // Characters, not bytes; well-formed UTF-8 without NUL, as the audit event that records it
    // must hold (audit::validate), so it cannot fail after the code is spent.
    const auto description_length = utf8_length(request.description);
    if (!description_length || *description_length > kMaxDescription ||
        request.description.find('\0') != std::string::npos)
        refuse(CscFailure::invalid_request, "Invalid parameter description");
    const Clock::time_point now = core.now();
    require_usable(credential.record, now);
    const std::int64_t subject_id = credential.record.subject_id.value_or(0);

    verify_code(core, caller, credential, subject_id, request);

    const bool bound = std::cmp_equal(request.hashes.size(), request.num_signatures);
    return core.deps.database.transaction([&](store::Connection& tx) {
        const std::int64_t transaction_id =
            tx.exec(kInsertTransaction,
                    {caller.client, credential.record.serial, subject_id, request.num_signatures,
                     std::string(to_string(request.hash_algorithm)), bound, now})
                .one()["id"]
                .as<std::int64_t>();
        Activation out = insert_sad(core, tx, transaction_id, request.hashes, now);
        nlohmann::json details{{"transaction", transaction_id},
                               {"num_signatures", request.num_signatures},
                               {"hash_algorithm", to_string(request.hash_algorithm)},
                               {"hashes", hex_list(request.hashes)},
                               {"auth_object", request.auth_object},
                               {"subject_id", subject_id}};
        if (!request.description.empty())
            details["description"] = request.description;
        core.deps.audit.defer(tx, core.event("csc.authorized", caller,
                                             credential_object(credential.id), details));
        return out;
    });
}

Activation extend(Core& core, const Caller& caller, const ExtendRequest& request) {
    const OwnCredential credential = own_credential(core, caller, request.credential_id);
    const Clock::time_point now = core.now();
    require_usable(credential.record, now);
    return core.deps.database.transaction([&](store::Connection& tx) {
        const LockedSad old = lock_sad(tx, caller, credential, request.sad, now, true);
        // What the old SAD authorized and did not sign yet stays authorized.
        std::vector<Bytes> hashes = old.hashes;
        if (old.used && !take_each(hashes, old.signed_hashes))
            throw Error(Errc::internal, "a SAD signed a hash it did not hold");
        if (!request.hashes.empty()) {
            // SCAL2: the signer approved exactly these hashes when authorize bound one per
            // signature; a platform cannot swap them. Only when the signer approved a count
            // with fewer hashes (§11.9 Note 31: a PDF's later signatures cover the earlier
            // ones, so their hashes cannot be known up front) does the platform name the rest.
            if (old.hashes_bound)
                refuse(CscFailure::invalid_request, "Hash is not authorized by the SAD");
            if (!request.hash_algorithm || *request.hash_algorithm != old.hash_algorithm)
                refuse(CscFailure::invalid_request, "Invalid parameter hashAlgorithmOID");
            check_hashes(request.hashes, old.hash_algorithm);
            hashes.insert(hashes.end(), request.hashes.begin(), request.hashes.end());
            if (std::cmp_greater(hashes.size(), old.signatures_left))
                refuse(CscFailure::invalid_request, "Numbers of signatures is too high");
        }
        if (hashes.empty())
            refuse(CscFailure::invalid_request, "Missing (or invalid type) array parameter hashes");
        tx.exec(kSupersede, {old.sad_hash, now});
        Activation out = insert_sad(core, tx, old.transaction_id, hashes, now);
        core.deps.audit.defer(tx, core.event("csc.extended", caller,
                                             credential_object(credential.id),
                                             {{"transaction", old.transaction_id},
                                              {"signatures_left", old.signatures_left},
                                              {"hash_algorithm", to_string(old.hash_algorithm)},
                                              {"hashes", hex_list(hashes)},
                                              {"new_hashes", hex_list(request.hashes)}}));
        return out;
    });
}

}  // namespace signet::csc::detail
