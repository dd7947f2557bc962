#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "hsm/token.hpp"
#include "ra/otp.hpp"
#include "ra/registry.hpp"
#include "ra/totp.hpp"
#include "sign/cms_signature.hpp"
#include "sign/contracts.hpp"
#include "sign/document_vault.hpp"
#include "sign/pdf_signature.hpp"
#include "sign/validation_source.hpp"
#include "store/certificates.hpp"

// Sole control (issue 13): a party signs a contract only with a one-time password bound to that
// party, that contract and the revision it is at; the signature is made with the party's key,
// which the HSM holds wrapped and unwraps for this one signature (DESIGN.md invariant 1).
namespace signet::sign {

struct ContractSigningOptions {
    // The certificate profiles a person's and a seal's signature are made under
    // (ca.profiles names; signetd: "personal" and "e-seal").
    std::string person_profile = "personal";
    std::string seal_profile = "e-seal";
    // Whether a TOTP code may authorize a signature. Off by default: a TOTP code is the same for
    // every purpose during its time step (RFC 6238), so it is not linked to the contract and
    // revision it signs as an SMS code is (whose purpose is bound into the code's hash); a code
    // the signer typed for anything else could sign. A deployment whose front end shows the
    // document and asks for the code in the same step may turn it on (signing.totp_signs).
    bool totp_signs = false;
    // The SMS: {code} and {minutes} as otp.message, {title} (the contract's, up to 40
    // characters) and {fingerprint} (the revision's, see revision_fingerprint) — so the signer
    // sees what the code signs.
    std::string message =
        "Signet code {code} signs \"{title}\" (document {fingerprint}). Valid {minutes} min. "
        "Never share it.";
};

struct ContractSigningDependencies {
    Contracts& contracts;
    ra::Registry& registry;
    ra::OtpChallenges& challenges;
    ra::Totp& totp;
    // Where an SMS goes (signetd: the SMS gateway); empty: only TOTP can sign.
    ra::OtpTransport sms;
    store::CertificateReader& certificates;
    std::shared_ptr<hsm::Token> token;
    DocumentVault& vault;
    TimeStamper time_stamper;  // our TSA (tsa_time_stamper)
    ValidationSource& validation;
    const Clock& clock;
    // The TSA's certificate and its CAs to the root, for the validation data; empty: the
    // store's "tsa" service certificate and the CAs above it (signetd's own TSA).
    std::function<std::vector<X509Ptr>()> tsa_chain{};
    ContractSigningOptions options{};
};

// The bytes a signer's code is bound to, shown short: the first 64 bits of the revision's
// SHA-256 as four groups of four hex digits ("3f2a 9c1b 77d0 12ee"). A front end shows the same
// beside the document.
std::string revision_fingerprint(ByteView sha256);

// The OTP purpose of signer `position` of contract `id` at the revision whose SHA-256 is given:
// "contract-sign:ID:POSITION:SHA256HEX" (ra::kContractSigningPurpose). A code issued for one
// purpose is refused for any other (ra::OtpChallenges binds the purpose into the code's hash):
// it cannot sign another contract, another signer's turn, or the contract once it has changed.
std::string signing_purpose(std::string_view id, int position, ByteView revision_sha256);

struct SigningChallenge {
    std::string channel;                    // "sms" or "totp"
    std::optional<std::string> challenge_id;  // sms
    std::optional<Clock::time_point> expires_at;
    int revision = 0;
    Bytes revision_sha256;
    std::string fingerprint;
};

// What the signer gives to sign. `revision_sha256` names the revision the signer saw; a
// contract that moved on in between is refused. Exactly one of an SMS challenge's code and a
// TOTP code.
struct SigningAuthorization {
    Bytes revision_sha256;
    std::optional<std::string> challenge_id;
    std::string code;
};

struct SignatureAppearance {
    int page = 1;
    double left = 0, bottom = 0, right = 0, top = 0;
};

struct SigningRequest {
    SigningAuthorization authorization;
    // A PDF's visible signature (the signer's name and the time, drawn on a page); none:
    // invisible.
    std::optional<SignatureAppearance> appearance;
};

// Run inside the signature's transaction just before it commits (the signing link's
// consumption: used once, with the signature or not at all). Throwing refuses the signature.
using BeforeSignatureCommit = std::function<void(store::Connection& tx)>;

// Thread-safe.
class ContractSigning {
  public:
    explicit ContractSigning(ContractSigningDependencies dependencies);

    // Sends the due signer (a person; a seal's agent) a code over `channel`: "sms" to the RA's
    // mobile number, its message naming the contract and the revision; "totp": nothing is sent,
    // the signer's authenticator gives the code. Refused before anything is sent when the
    // signer could not sign now (see sign): Errc::failed_precondition / not_found naming why.
    SigningChallenge challenge(std::string_view id, int position, std::string_view channel,
                               const ContractCaller& caller);

    // Signer `position` signs the contract's current revision. In order, refusing with nothing
    // signed and nothing changed:
    //   the contract open, before its deadline, `position` the due signer, a seal's approvals
    //   recorded and its agent still authorized (Errc::failed_precondition);
    //   `revision_sha256` the current revision's (Errc::failed_precondition: it moved on);
    //   a certificate of the signer under the right profile, issued (not revoked), valid now,
    //   for a key Signet holds wrapped (Errc::failed_precondition naming what is missing);
    //   the code (ra::OtpError: wrong, expired, used, voided, locked, not found);
    // then the signature: PAdES B-LT (B-LTA for the last signer) of the PDF, or a CAdES B-LT
    // detached signature of the original bytes; the certificate checked again (a revocation
    // meanwhile: Errc::failed_precondition); and the new revision's document, its record,
    // events and `before_commit` in one transaction.
    Contract sign(std::string_view id, int position, const SigningRequest& request,
                  const ContractCaller& caller, const BeforeSignatureCommit& before_commit = {});

    struct Impl;

  private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace signet::sign
