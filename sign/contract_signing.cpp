// Sole control and the signature of one party (sign/contract_signing.hpp).
#include "sign/contract_signing.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "sign/pades_signing.hpp"
#include "sign/pdf_document.hpp"
#include "sign/signing_credentials.hpp"

namespace signet::sign {

namespace {

constexpr std::size_t kTitleInMessage = 40;
// What one party's signature may add to a revision: the signature's /Contents (twice the CMS's
// size in hex), the DSS, the document time-stamp, with room to spare.
constexpr std::uint64_t kSignatureAllowance = 1024 * 1024;

[[noreturn]] void refuse(const store::ContractRecord& c, const std::string& why) {
    throw Error(Errc::failed_precondition, "contract " + c.id + " " + why);
}

// The title as the SMS shows it: at most kTitleInMessage characters (UTF-8 kept whole), without
// braces (the message's own placeholders are braced).
std::string title_for_message(std::string_view title) {
    std::string out;
    std::size_t characters = 0;
    for (std::size_t i = 0; i < title.size() && characters < kTitleInMessage;) {
        const auto lead = static_cast<unsigned char>(title[i]);
        const std::size_t length = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
        std::string_view character = title.substr(i, length);
        if (character != "{" && character != "}")
            out += character;
        i += length;
        ++characters;
    }
    if (characters == kTitleInMessage && out.size() < title.size())
        out += "...";
    return out;
}

void replace_all(std::string& text, std::string_view placeholder, std::string_view value) {
    for (auto at = text.find(placeholder); at != std::string::npos;
         at = text.find(placeholder, at + value.size()))
        text.replace(at, placeholder.size(), value);
}

}  // namespace

std::string revision_fingerprint(ByteView sha256) {
    const std::string hex = to_hex(sha256.first(std::min<std::size_t>(8, sha256.size())));
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 4) {
        if (!out.empty())
            out += ' ';
        out += hex.substr(i, 4);
    }
    return out;
}

std::string signing_purpose(std::string_view id, int position, ByteView revision_sha256) {
    return std::string(ra::kContractSigningPurpose) + std::string(id) + ":" +
           std::to_string(position) + ":" + to_hex(revision_sha256);
}

struct ContractSigning::Impl {
    explicit Impl(ContractSigningDependencies d) : deps(std::move(d)) {}
    ContractSigningDependencies deps;

    // What is true of the signer's turn before a code is sent or checked.
    struct Turn {
        Contract contract;
        store::ContractSignerRecord signer;
        store::ContractRevisionRecord current;
        std::int64_t otp_subject = 0;  // who holds the code: the person, or the seal's agent
        std::int64_t key_subject = 0;  // whose certificate signs: the person, or the organization
        std::string profile;
    };

    Turn turn(std::string_view id, int position, const ContractCaller& caller) {
        Turn t{deps.contracts.find(id, caller), {}, {}, 0, 0, {}};
        const store::ContractRecord& c = t.contract.record;
        if (c.state != "sent" && c.state != "partially_signed")
            refuse(c, "is " + c.state + ": it is not open for signatures");
        if (deps.clock.now() >= c.expires_at)
            refuse(c, "passed its deadline at " + format_utc(c.expires_at));
        const auto it = std::ranges::find(t.contract.signers, position,
                                          &store::ContractSignerRecord::position);
        if (it == t.contract.signers.end())
            throw Error(Errc::not_found, "contract " + c.id + " has no signer " +
                                             std::to_string(position));
        t.signer = *it;
        if (t.signer.state == "signed")
            refuse(c, "has signer " + std::to_string(position) + " signed already");
        const auto due = t.contract.due_position();
        if (due && *due != position)
            refuse(c, "is waiting for signer " + std::to_string(*due) + ", not signer " +
                          std::to_string(position));
        t.current = t.contract.revisions.at(static_cast<std::size_t>(c.current_revision));
        if (t.signer.kind == "seal") {
            const auto approvals = std::ranges::count(t.contract.approvals, position,
                                                      &store::ContractApprovalRecord::position);
            if (approvals < t.signer.approvals_required)
                refuse(c, "needs " + std::to_string(t.signer.approvals_required) +
                              " approval(s) of seal " + std::to_string(position) + " first (" +
                              std::to_string(approvals) + " recorded)");
            if (!t.signer.agent_id)
                refuse(c, "has no agent for seal " + std::to_string(position));
            // Issue 13: "applied only by an authorized, unexpired agent" — now, not only when
            // the contract was made.
            deps.registry.check_agent_may(t.signer.subject_id, *t.signer.agent_id, "apply_seal");
            t.otp_subject = *t.signer.agent_id;
            t.profile = deps.options.seal_profile;
        } else {
            t.otp_subject = t.signer.subject_id;
            t.profile = deps.options.person_profile;
        }
        t.key_subject = t.signer.subject_id;
        return t;
    }

    // The bytes the code shows: a PDF's current revision (what the new one extends); for other
    // bytes the original, which every CAdES signature signs.
    const store::ContractRevisionRecord& signed_content(const Turn& t) const {
        return t.contract.record.format == "pdf" ? t.current : t.contract.revisions.front();
    }

    Bytes read(std::string_view id, int revision, std::size_t reserve,
               const ContractCaller& caller) {
        VaultReader reader = deps.contracts.document(id, revision, caller);
        Bytes bytes;
        bytes.reserve(static_cast<std::size_t>(reader.document().size) + reserve);
        while (auto chunk = reader.next())
            bytes.insert(bytes.end(), chunk->begin(), chunk->end());
        return bytes;
    }

    ContentDigest digest_of(std::string_view id, int revision, const ContractCaller& caller) {
        VaultReader reader = deps.contracts.document(id, revision, caller);
        ContentHasher hasher(Digest::sha256);
        while (auto chunk = reader.next())
            hasher.update(*chunk);
        return hasher.finish();
    }
};

ContractSigning::ContractSigning(ContractSigningDependencies dependencies)
    : impl_(std::make_shared<Impl>(std::move(dependencies))) {}

SigningChallenge ContractSigning::challenge(std::string_view id, int position,
                                            std::string_view channel,
                                            const ContractCaller& caller) {
    const Impl::Turn t = impl_->turn(id, position, caller);
    SigningChallenge out;
    out.channel = std::string(channel);
    out.revision = t.current.number;
    out.revision_sha256 = t.current.sha256;
    out.fingerprint = revision_fingerprint(impl_->signed_content(t).sha256);
    // The certificate is checked now too: a signer who cannot sign is told before a code is sent.
    (void)signing_credentials(impl_->deps.certificates, *impl_->deps.token, t.key_subject,
                              t.profile, impl_->deps.clock.now());
    if (channel == "totp") {
        if (!impl_->deps.options.totp_signs)
            throw Error(Errc::failed_precondition,
                        "a TOTP code does not sign contracts here (signing.totp_signs is off): "
                        "ask for an SMS code, which names the contract and the revision");
        return out;
    }
    if (channel != "sms")
        throw Error(Errc::invalid_argument, "'channel' is \"sms\" or \"totp\"");
    if (!impl_->deps.sms)
        throw Error(Errc::failed_precondition, "no SMS gateway is configured (otp.sms_gateway)");
    const auto subject = impl_->deps.registry.find(t.otp_subject);
    if (!subject || subject->mobile.empty())
        throw Error(Errc::failed_precondition,
                    "subject " + std::to_string(t.otp_subject) +
                        " has no mobile number (PUT /v1/subjects/{id}/otp/sms)");

    std::string message = impl_->deps.options.message;
    // {code} is replaced first by the OTP service: the title and fingerprint go in after it.
    replace_all(message, "{fingerprint}", out.fingerprint);
    replace_all(message, "{title}", title_for_message(t.contract.record.title));
    ra::ChallengeRequest request;
    request.subject_id = t.otp_subject;
    request.purpose = signing_purpose(t.contract.record.id, position, t.current.sha256);
    request.channel = "sms";
    request.destination = subject->mobile;
    request.client = caller.client;
    request.message = std::move(message);
    const ra::IssuedChallenge issued = impl_->deps.challenges.issue(request, impl_->deps.sms);
    out.challenge_id = issued.id;
    out.expires_at = issued.expires_at;
    return out;
}

Contract ContractSigning::sign(std::string_view id, int position, const SigningRequest& request,
                               const ContractCaller& caller,
                               const BeforeSignatureCommit& before_commit) {
    Impl& impl = *impl_;
    const Impl::Turn t = impl.turn(id, position, caller);
    const SigningAuthorization& authorization = request.authorization;
    if (!std::ranges::equal(authorization.revision_sha256, t.current.sha256))
        refuse(t.contract.record,
               "is at revision " + std::to_string(t.current.number) +
                   ": 'revision_sha256' names another one (the signer must see the current one)");
    if (request.appearance && t.contract.record.format != "pdf")
        throw Error(Errc::invalid_argument, "'appearance' is for PDF contracts only");
    if (!authorization.challenge_id && !impl.deps.options.totp_signs)
        throw Error(Errc::failed_precondition,
                    "a TOTP code does not sign contracts here (signing.totp_signs is off): ask "
                    "for an SMS code, which names the contract and the revision");
    const Clock::time_point now = impl.deps.clock.now();
    SigningCredentials credentials = signing_credentials(
        impl.deps.certificates, *impl.deps.token, t.key_subject, t.profile, now);
    const std::vector<X509Ptr> tsa =
        impl.deps.tsa_chain ? impl.deps.tsa_chain() : tsa_chain(impl.deps.certificates);
    SigningParties parties{credentials.signer, impl.deps.time_stamper, impl.deps.validation, {}};
    for (const X509Ptr& certificate : tsa)
        parties.tsa_chain.push_back(certificate.get());

    const bool pdf = t.contract.record.format == "pdf";
    const bool last = position == t.contract.signers.back().position;
    Bytes revision;
    PadesOptions options;
    if (pdf) {
        revision = impl.read(id, t.current.number, kPadesReserve, caller);
        options.signature.field_name = "Signet-" + std::to_string(position);
        options.signature.signing_time = now;
        if (request.appearance) {
            const SignatureAppearance& a = *request.appearance;
            options.signature.visible = VisibleSignature{
                a.page, a.left, a.bottom, a.right, a.top,
                {"Signed by " + common_name(credentials.signer.certificate.get()),
                 format_utc(now)}};
        }
        // Issue 13: "When the last party has signed, a document time-stamp seals it (B-LTA)".
        options.document_timestamp = last;
        // What the PDF itself would refuse (a page that does not exist, a certification that
        // forbids changes, a field name taken), found now rather than after the code is spent.
        (void)prepare_signature(PdfDocument::open(revision), options.signature);
    }

    // Sole control: the code last, once everything else would let the signature through, so a
    // refusal above costs the signer no code.
    if (authorization.challenge_id)
        impl.deps.challenges.verify(
            *authorization.challenge_id, t.otp_subject,
            signing_purpose(t.contract.record.id, position, t.current.sha256), authorization.code);
    else
        impl.deps.totp.verify(t.otp_subject, authorization.code);

    if (pdf) {
        sign_pades(revision, parties, options);
    } else {
        // EN 319 122-1 §6.3 lists signing-time for CAdES baseline signatures (PAdES forbids it).
        CmsSignOptions cms;
        cms.signing_time = now;
        revision = sign_cades(impl.digest_of(id, 0, caller), parties, cms);
    }

    // A revocation while the signature was being made: the certificate must still stand when
    // the signature is recorded (the CA's revocation commits before or after this read; after,
    // the signature's time-stamp precedes it).
    const auto still = impl.deps.certificates.find(credentials.record.serial);
    if (!still || still->status != "issued")
        refuse(t.contract.record, "cannot be signed: the signer's certificate was revoked");

    // A signed revision is the submitted document (at most the vault's bound) and what each
    // signature appended: its own bound grows with the signer's position.
    VaultWriter writer = impl.deps.vault.write(impl.deps.vault.options().max_size +
                                               static_cast<std::uint64_t>(position) *
                                                   kSignatureAllowance);
    constexpr std::size_t kPiece = 1024 * 1024;
    for (std::size_t at = 0; at < revision.size(); at += kPiece)
        writer.write(ByteView(revision).subspan(at, std::min(kPiece, revision.size() - at)));
    std::optional<Contract> recorded;
    writer.finish([&](store::Connection& tx, const StoredDocument& stored) {
        RevisionInput input{stored.id, stored.sha256, stored.size, {}};
        std::copy(t.current.sha256.begin(), t.current.sha256.end(), input.based_on.begin());
        recorded = impl.deps.contracts.record_signature(tx, id, position, input,
                                                        to_hex(credentials.record.serial), caller);
        if (before_commit)
            before_commit(tx);
    });
    return std::move(*recorded);
}

}  // namespace signet::sign
