#include "tests/sign/signing_fixture.hpp"

#include <openssl/x509.h>

#include <boost/test/unit_test.hpp>

#include "ca/x509.hpp"
#include "common/error.hpp"
#include "ra/totp.hpp"
#include "sign/pdf_inspector.hpp"
#include "sign/tsa_time_stamper.hpp"
#include "tests/sign/pdf_kit.hpp"
#include "tests/support/process.hpp"

namespace signet::testing {

using namespace std::chrono_literals;

namespace {

constexpr const char* kOtpHmac = "signet-otp";

// An empty CRL of `issuer`, signed with its key: the status of every certificate it issued.
Bytes make_crl(const X509* issuer, EVP_PKEY* key, Clock::time_point now) {
    X509CrlPtr crl(X509_CRL_new());
    BOOST_REQUIRE(crl);
    BOOST_REQUIRE_EQUAL(X509_CRL_set_version(crl.get(), 1), 1);
    BOOST_REQUIRE_EQUAL(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer)), 1);
    const auto seconds = std::chrono::system_clock::to_time_t(now);
    Asn1TimePtr last(ASN1_TIME_set(nullptr, seconds - 60));
    Asn1TimePtr next(ASN1_TIME_set(nullptr, seconds + 7 * 24 * 3600));
    BOOST_REQUIRE(last && next);
    BOOST_REQUIRE_EQUAL(X509_CRL_set1_lastUpdate(crl.get(), last.get()), 1);
    BOOST_REQUIRE_EQUAL(X509_CRL_set1_nextUpdate(crl.get(), next.get()), 1);
    BOOST_REQUIRE(X509_CRL_sign(crl.get(), key, EVP_sha256()) > 0);
    return der_of(crl.get());
}

// The profile as ops/signet.example.yaml has it for PDF readers on NSS: poppler's pdfsig judges
// a signer certificate for e-mail signing, which an extended key usage must then allow
// (sign/README.md "Verifiers and their limits"), and with -no-ocsp it reports a certificate
// without any revocation pointer (no OCSP URL, no CRL distribution point) as "Unknown issue".
policy::CertificateProfile for_pdf_readers(policy::CertificateProfile p) {
    p.extended_key_usage.push_back("1.3.6.1.5.5.7.3.4");
    p.ocsp_url = "http://127.0.0.1:8080/ocsp";
    p.crl_distribution_point = "http://127.0.0.1:8080/crl/issuing.crl";
    return p;
}

sign::ContractSigningOptions signing_options() {
    sign::ContractSigningOptions options;
    options.totp_signs = true;
    return options;
}

}  // namespace

FixtureValidation::FixtureValidation(std::unique_ptr<sign::ValidationSource> signet,
                                     const TsaFixture& tsa, const Clock& clock)
    : signet_(std::move(signet)), tsa_(tsa), clock_(clock) {}

sign::ValidationData FixtureValidation::status_of(const X509* certificate, const X509* issuer) {
    if (before_status)
        before_status();
    if (down)
        throw Error(Errc::unavailable, "the test's validation source is down");
    sign::ValidationData data;
    if (X509_cmp(issuer, tsa_.issuing.get()) == 0) {
        data.crls.push_back(make_crl(issuer, tsa_.issuing_key.get(), clock_.now()));
        return data;
    }
    if (X509_cmp(issuer, tsa_.root.get()) == 0) {
        data.crls.push_back(make_crl(issuer, tsa_.root_key.get(), clock_.now()));
        return data;
    }
    return signet_->status_of(certificate, issuer);
}

SigningFixture::SigningFixture(const std::string& database_name,
                               const std::function<void(policy::Ceremony&)>& adjust_ceremony)
    : ContractsFixture(database_name, default_options(), sign::pdf_document_inspector(),
                       adjust_ceremony) {
    // The persons' certificates and the organization's e-seal, both for wrapped HSM keys.
    ca_settings.profiles["personal"] = for_pdf_readers(ca_settings.profiles.at("personal"));
    policy::CertificateProfile seal = ca_settings.profiles.at("personal");
    seal.subject_template = "CN={name},C={country}";
    ca_settings.profiles["e-seal"] = seal;
    authority = std::make_unique<ca::Authority>(ca::Authority::Dependencies{
        token, database, certificates, subjects, audit, clock, ca_settings});
    for (const auto& subject : {alice, bob, organization}) {
        const std::string profile = subject.id == organization.id ? "e-seal" : "personal";
        certificates_of.emplace(subject.id,
                                authority->issue({subject.id, profile, std::nullopt, std::nullopt,
                                                  "operator:test"}));
    }
    authority->publish_crl("issuing", "operator:test");
    authority->publish_crl("root", "operator:test");

    // The tests send codes in quick succession: the sending limits are the OTP tests' concern.
    otp_policy.min_send_interval = 0s;
    otp_policy.max_sends_per_hour = 1000;
    token->generate_hmac_key(kOtpHmac);
    crypto = std::make_unique<ra::HsmOtpCrypto>(token, kOtpHmac, "user-kek");
    lockouts = std::make_unique<ra::OtpLockouts>(database, otp_store, audit, clock, otp_policy);
    challenges = std::make_unique<ra::OtpChallenges>(database, otp_store, *crypto, *lockouts, clock);
    totp = std::make_unique<ra::Totp>(database, otp_store, *crypto, *lockouts, audit, clock);
    totp->enrol(bob.id, "bob", "client:test");

    validation = std::make_unique<FixtureValidation>(
        sign::signet_validation_source(nullptr, certificates, clock), tsa, clock);
    stamper = sign::tsa_time_stamper(*tsa.responder, kRequester);
    signing = signing_with(signing_options());
    pdf = ghostscript_pdf(dir);
}

sign::ContractSigningDependencies SigningFixture::dependencies(sign::ContractSigningOptions options) {
    return sign::ContractSigningDependencies{
        .contracts = *service,
        .registry = *registry,
        .challenges = *challenges,
        .totp = *totp,
        .sms = [this](const std::string&, const std::string& message) {
            messages.push_back(message);
        },
        .certificates = certificates,
        .token = token,
        .vault = *vault,
        .time_stamper =
            [this](Digest algorithm, ByteView imprint) {
                if (signing_tsa_down)
                    throw Error(Errc::unavailable, "the test's TSA is down");
                return stamper(algorithm, imprint);
            },
        .validation = *validation,
        .clock = clock,
        .tsa_chain =
            [this] {
                std::vector<X509Ptr> chain;
                for (const X509Ptr* c : {&tsa.tsa_certificate, &tsa.issuing, &tsa.root}) {
                    X509_up_ref(c->get());
                    chain.emplace_back(c->get());
                }
                return chain;
            },
        .options = std::move(options),
    };
}

std::unique_ptr<sign::ContractSigning> SigningFixture::signing_with(
    sign::ContractSigningOptions options) {
    return std::make_unique<sign::ContractSigning>(dependencies(std::move(options)));
}

sign::Contract SigningFixture::sent_contract(const std::string& format) {
    const auto created = create(draft(format), format == "pdf" ? ByteView(pdf) : ByteView(document));
    return service->send(created.record.id, caller);
}

SigningFixture::Sms SigningFixture::sms(const sign::Contract& contract, int position) {
    const std::size_t before = messages.size();
    Sms out;
    out.challenge = signing->challenge(contract.record.id, position, "sms", caller);
    BOOST_REQUIRE_EQUAL(messages.size(), before + 1);
    out.message = messages.back();
    const auto at = out.message.find("code ");
    BOOST_REQUIRE(at != std::string::npos);
    out.code = out.message.substr(at + 5, 6);
    return out;
}

sign::SigningRequest SigningFixture::request(const sign::Contract& contract, const Sms& s) const {
    sign::SigningRequest r;
    r.authorization.revision_sha256 = contract.revisions.back().sha256;
    r.authorization.challenge_id = s.challenge.challenge_id;
    r.authorization.code = s.code;
    return r;
}

sign::Contract SigningFixture::sign_with_sms(const sign::Contract& contract, int position) {
    const Sms s = sms(contract, position);
    return signing->sign(contract.record.id, position, request(contract, s), caller);
}

std::string SigningFixture::totp_now(std::int64_t subject) {
    const auto enrolment = database.with_connection(
        [&](store::Connection& c) { return otp_store.find_totp(c, subject); });
    BOOST_REQUIRE(enrolment.has_value());
    const Secret seed = crypto->unwrap_seed(enrolment->wrapped_seed);
    const auto unix_time =
        std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch());
    return ra::totp_code(std::string(seed.view()), unix_time.count(), 30s, 6);
}

Bytes SigningFixture::revision_document(const sign::Contract& contract, int revision) {
    sign::VaultReader reader = service->document(contract.record.id, revision, caller);
    Bytes out;
    while (auto chunk = reader.next())
        out.insert(out.end(), chunk->begin(), chunk->end());
    return out;
}

Bytes SigningFixture::current_document(const sign::Contract& contract) {
    return revision_document(contract, contract.record.current_revision);
}

std::string SigningFixture::save(const std::string& name, ByteView bytes) const {
    const auto path = dir.path() / name;
    write_file(path, std::string(bytes.begin(), bytes.end()));
    return path.string();
}

std::vector<X509Ptr> SigningFixture::anchors() const {
    std::vector<X509Ptr> out;
    const auto root = const_cast<store::PostgresCertificates&>(certificates).find_ca("root");
    BOOST_REQUIRE(root);
    out.push_back(ca::certificate_from_der(root->certificate));
    X509_up_ref(tsa.root.get());
    out.emplace_back(tsa.root.get());
    return out;
}

std::string SigningFixture::anchors_pem() const {
    const auto path = dir.path() / "anchors.pem";
    std::string pem;
    for (const X509Ptr& anchor : anchors()) {
        BioPtr bio(BIO_new(BIO_s_mem()));
        PEM_write_bio_X509(bio.get(), anchor.get());
        char* data = nullptr;
        const long size = BIO_get_mem_data(bio.get(), &data);
        pem.append(data, static_cast<std::size_t>(size));
    }
    write_file(path, pem);
    return path.string();
}

}  // namespace signet::testing
