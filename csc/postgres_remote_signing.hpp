#pragma once

// The remote-signing service (csc/remote_signing.hpp) over Signet's own parts: its state in
// PostgreSQL (store migration 16), the users' wrapped keys in the HSM, the RA's one-time
// passwords, the TSA in this process and the audit log. signetd makes one and hands it to the
// CSC API's routes (api/csc_routes).

#include <memory>
#include <string>

#include "audit/log.hpp"
#include "common/clock.hpp"
#include "csc/remote_signing.hpp"
#include "hsm/token.hpp"
#include "ra/otp.hpp"
#include "ra/totp.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"
#include "tsa/responder.hpp"

namespace signet::csc {

// What credentials/getChallenge sends by default: {code} and {minutes} as the RA's otp.message
// ({code} first), {platform} the API client's name, {credential} the credentialID — the signer
// reads who asks, for what, with which certificate.
inline constexpr const char* kDefaultChallengeMessage =
    "Signet code {code} lets {platform} sign remotely with your certificate {credential}. "
    "Valid {minutes} min. Never share it.";

struct RemoteSigningDependencies {
    store::Database& database;
    // The HSM holding the key-encryption key the users' keys are wrapped under; it makes the
    // signatures (hsm::Token::wrapped_signer) and must be owned by a shared_ptr.
    hsm::Token& token;
    store::CertificateReader& certificates;
    ra::OtpChallenges& challenges;  // "OTP": codes sent by SMS
    ra::Totp& totp;                 // "TOTP": codes from the subject's authenticator
    // Where an SMS goes (signetd: the SMS gateway); empty: only TOTP authorizes, and
    // credentials/info offers no "OTP" object.
    ra::OtpTransport sms;
    tsa::Responder& tsa;  // signatures/timestamp, in process
    audit::AuditLog& audit;
    const Clock& clock;
    Settings settings{};
    std::string challenge_message = kDefaultChallengeMessage;
};

// Errc::invalid_argument naming the setting when `settings` cannot work (a lifetime not
// positive, multisign outside 1..100000) or the message lacks {code}.
std::unique_ptr<RemoteSigning> make_remote_signing(RemoteSigningDependencies dependencies);

}  // namespace signet::csc
