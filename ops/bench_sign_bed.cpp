#include "ops/bench_sign_bed.hpp"

#include <openssl/x509.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>

#include "ca/ceremony.hpp"
#include "ca/x509.hpp"
#include "common/error.hpp"
#include "ocsp/hsm_signer.hpp"
#include "ocsp/responder_keys.hpp"
#include "policy/ceremony.hpp"
#include "sign/contract_hooks.hpp"
#include "sign/tsa_time_stamper.hpp"
#include "store/migrations.hpp"
#include "tests/support/softhsm.hpp"
#include "tsa/identity.hpp"

namespace signet::bench {

namespace {

using namespace std::chrono_literals;

constexpr const char* kIdentityHmac = "signet-identity";
constexpr const char* kOtpHmac = "signet-otp";
// Valid GB 11643 numbers (ra/README.md's examples).
constexpr const char* kAliceId = "11010519491231002X";
constexpr const char* kBobId = "310104198507204417";

// The SMS the signing service sends on this thread: the benchmark's phone.
thread_local std::string last_message;

policy::Ceremony ceremony(const std::filesystem::path& dir, bool evidence_keys) {
    policy::Ceremony c;
    c.file = dir / "ceremony.yaml";
    c.output_dir = dir / "ceremony";
    c.root.name = "root";
    c.root.subject = "CN=Bench Root,O=Signet,C=CN";
    c.root.validity_days = 3650;
    c.root.key = {"root", KeyType::ec_p256};
    policy::CeremonyCa issuing;
    issuing.name = "issuing";
    issuing.subject = "CN=Bench Issuing CA,O=Signet,C=CN";
    issuing.validity_days = 1825;
    issuing.path_length = 0;
    issuing.key = {"issuing", KeyType::ec_p256};
    issuing.ocsp_url = "http://127.0.0.1:8080/ocsp";
    policy::CeremonyCertificate responder;
    responder.subject = "CN=Bench OCSP,O=Signet,C=CN";
    responder.validity_days = 365;
    responder.key = {"ocsp-issuing", KeyType::ec_p256};
    issuing.ocsp_responder = responder;
    c.issuing_cas.push_back(issuing);
    policy::CeremonyTsa tsa;
    tsa.subject = "CN=Bench TSA,O=Signet,C=CN";
    tsa.validity_days = 365;
    tsa.key = {"tsa", KeyType::ec_p256};
    tsa.issuer = "issuing";
    c.tsa = tsa;
    if (evidence_keys) {
        // What evidence packages need (docs/evidence.md): the platform's e-seal and the audit
        // log's checkpoint key, both under the issuing CA (whose OCSP responder then pre-signs
        // the seal's status with the others).
        policy::CeremonyEvidenceSeal seal;
        seal.subject = "CN=Bench Evidence Seal,O=Signet,C=CN";
        seal.validity_days = 365;
        seal.key = {"evidence-seal", KeyType::ec_p256};
        seal.issuer = "issuing";
        c.evidence_seal = seal;
        policy::CeremonyAuditCheckpoint checkpoint;
        checkpoint.subject = "CN=Bench Audit Checkpoints,O=Signet,C=CN";
        checkpoint.validity_days = 365;
        checkpoint.key = {"audit-checkpoint", KeyType::ec_p256};
        checkpoint.issuer = "issuing";
        c.audit_checkpoint = checkpoint;
    }
    return c;
}

policy::CertificateProfile personal_profile() {
    policy::CertificateProfile p;
    p.issuer = "issuing";
    p.key_types = {KeyType::ec_p256};
    p.validity_days = 365;
    p.key_usage = {"digitalSignature", "nonRepudiation"};
    p.extended_key_usage = {"1.3.6.1.5.5.7.3.36", "1.3.6.1.5.5.7.3.4"};
    p.subject_template = "CN={name},serialNumber={id_masked},C={country}";
    p.ocsp_url = "http://127.0.0.1:8080/ocsp";
    p.crl_distribution_point = "http://127.0.0.1:8080/crl/issuing.crl";
    p.required_assurance = 2;
    return p;
}

sign::ContractsOptions bench_contract_options() {
    sign::ContractsOptions options;
    options.person_level = 2;  // the personal profile's required_assurance
    options.organization_level = 2;
    return options;
}

}  // namespace

Bytes synthetic_pdf(std::size_t size, PdfPages kind) {
    constexpr std::size_t kPageBytes = 1024 * 1024;
    const std::size_t pages = std::max<std::size_t>(1, size / kPageBytes);
    // Each page's text a little under its share, so that with the objects around it the file
    // stays within `size` (a 100 MiB document is the policy's limit, not above it).
    const std::size_t page_text = std::max<std::size_t>(1024, (size - 16 * 1024) / pages - 512);
    std::string pdf = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
    std::vector<std::size_t> offsets;
    const auto object = [&](const std::string& body) {
        offsets.push_back(pdf.size());
        pdf += std::to_string(offsets.size()) + " 0 obj\n" + body + "\nendobj\n";
    };
    // 1: catalog, 2: pages, 3: font, then per page: the page, its content stream (and its image).
    const std::size_t per_page = kind == PdfPages::scans ? 3 : 2;
    object("<< /Type /Catalog /Pages 2 0 R >>");
    std::string kids;
    for (std::size_t i = 0; i < pages; ++i)
        kids += std::to_string(4 + per_page * i) + " 0 R ";
    object("<< /Type /Pages /Count " + std::to_string(pages) + " /Kids [" + kids + "] >>");
    object("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    std::mt19937_64 noise(2026);  // the same document every run
    for (std::size_t i = 0; i < pages; ++i) {
        const std::string contents = std::to_string(5 + per_page * i) + " 0 R";
        if (kind == PdfPages::scans) {
            // A grey image 1024 pixels wide, one byte a pixel, as tall as the page's share.
            const std::size_t height = page_text / 1024;
            object(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject "
                "<< /Scan " +
                std::to_string(6 + per_page * i) + " 0 R >> >> /Contents " + contents + " >>");
            const std::string draw = "q 595 0 0 842 0 0 cm /Scan Do Q";
            object("<< /Length " + std::to_string(draw.size()) + " >>\nstream\n" + draw +
                   "\nendstream");
            std::string pixels(1024 * height, '\0');
            for (std::size_t at = 0; at + 8 <= pixels.size(); at += 8) {
                const std::uint64_t r = noise();
                std::memcpy(pixels.data() + at, &r, 8);
            }
            object("<< /Type /XObject /Subtype /Image /Width 1024 /Height " +
                   std::to_string(height) +
                   " /ColorSpace /DeviceGray /BitsPerComponent 8 /Length " +
                   std::to_string(pixels.size()) + " >>\nstream\n" + pixels + "\nendstream");
            continue;
        }
        object(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 "
            "3 0 R >> >> /Contents " +
            contents + " >>");
        std::string text;
        for (std::size_t line = 0; text.size() + 100 < page_text; ++line)
            text += "BT /F1 9 Tf 40 " + std::to_string(800 - (line % 80) * 10) + " Td (Clause " +
                    std::to_string(line) +
                    ": the parties agree to the terms set out in this contract.) Tj ET\n";
        object("<< /Length " + std::to_string(text.size()) + " >>\nstream\n" + text +
               "\nendstream");
    }
    const std::size_t xref = pdf.size();
    pdf += "xref\n0 " + std::to_string(offsets.size() + 1) + "\n0000000000 65535 f \n";
    for (std::size_t offset : offsets) {
        char entry[24];
        std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", offset);
        pdf += entry;
    }
    pdf += "trailer\n<< /Size " + std::to_string(offsets.size() + 1) +
           " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
    return Bytes(pdf.begin(), pdf.end());
}

sign::ValidationData PresignedValidation::status_of(const X509* certificate, const X509*) {
    sign::ValidationData data;
    const auto it = ocsp_by_certificate.find(ca::certificate_der(certificate));
    if (it != ocsp_by_certificate.end())
        data.ocsp_responses.push_back(it->second);
    else
        data.crls.push_back(root_crl);
    return data;
}

std::unique_ptr<store::EmbeddedPostgres> start_postgres(const testing::TempDir& dir) {
    std::filesystem::permissions(dir.path(), std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    return std::make_unique<store::EmbeddedPostgres>(
        store::EmbeddedPostgresOptions{.state_dir = dir.path() / "state"});
}

std::unique_ptr<store::Database> open_database(store::EmbeddedPostgres& postgres) {
    auto database = std::make_unique<store::Database>(
        store::DatabaseOptions{.dsn = postgres.dsn(), .pool_size = 24});
    store::migrate(*database);
    return database;
}

SignBed::SignBed(int threads, bool evidence_keys) {
    hsm::TokenConfig config = testing::SoftHsm::instance().new_token("bench-sign");
    config.pool_size = static_cast<std::size_t>(threads) * 2 + 4;
    token = hsm::Token::open(config);
    audit = std::make_unique<audit::PostgresAuditLog>(*database, clock);
    token->generate_kek("user-kek");
    token->generate_kek(std::string(sign::kDefaultDocumentsKey));
    token->generate_hmac_key(kIdentityHmac);
    token->generate_hmac_key(kOtpHmac);
    ca::run_ceremony(ceremony(dir.path(), evidence_keys), {}, *token, *database, certificates,
                     *audit, clock, "bench");
    policy::CaSettings settings;
    settings.profiles.emplace("personal", personal_profile());
    authority = std::make_unique<ca::Authority>(ca::Authority::Dependencies{
        token, *database, certificates, subjects, *audit, clock, settings});

    auto identity = tsa::load_signing_identity(certificates, *token, "tsa");
    if (!identity)
        throw Error(Errc::internal, "the ceremony made no TSA certificate");
    journal = std::make_shared<tsa::GroupCommitJournal>(*database, tsa_tokens);
    tsa::ResponderOptions tsa_options;
    tsa_options.identity = std::move(*identity);
    tsa_options.clock = std::make_shared<SystemClock>();
    // The benchmark measures throughput, not this machine's NTP state.
    tsa_options.settings.allow_unsynchronized_clock = true;
    tsa_options.serials = std::make_shared<tsa::RandomSerials>(
        [t = token](std::size_t n) { return t->random(n); });
    tsa_options.journal = journal;
    tsa_options.node = "bench";
    tsa = std::make_shared<tsa::Responder>(std::move(tsa_options));

    registry = std::make_unique<ra::Registry>(ra::RegistryDependencies{
        .database = *database,
        .audit = *audit,
        .clock = clock,
        .document_hmac = ra::document_hmac_function(token, kIdentityHmac),
        .evidence_policy = {},
        .profile_level = [](const std::string&) -> std::optional<unsigned> { return 2u; },
        .max_assurance_level = 3,
        .revoke_certificates = [](std::int64_t, bool, const std::string&) {
            return std::vector<std::string>{};
        },
    });
    for (auto [id, name, number] : {std::tuple{&alice, "王芳", kAliceId},
                                    std::tuple{&bob, "张伟", kBobId}}) {
        const auto subject = registry->create_person(
            {name, {"cn_resident_id", number, ""}, "+8613800138000", std::nullopt, ""}, "bench");
        *id = registry->verify_manually(subject.id, {2, "seen at the branch", number}, "bench").id;
    }
    alice_certificate =
        authority->issue({alice, "personal", std::nullopt, KeyType::ec_p256, "bench"}).record;
    (void)authority->issue({bob, "personal", std::nullopt, KeyType::ec_p256, "bench"});

    // What signetd's OCSP node keeps pre-signed, and the root's CRL.
    ocsp::ResponderKeys responder_keys(token, certificates, clock);
    ocsp::HsmResponseSigner ocsp_signer(responder_keys, 24h);
    store::CertificateQuery all;
    all.limit = 1000;
    for (const auto& record : certificates.search(all)) {
        if (record.der && record.issuer_ca == "issuing")
            validation.ocsp_by_certificate[*record.der] =
                ocsp_signer.sign(record, ocsp::CertIdHash::sha1, clock.now()).der;
    }
    validation.root_crl = authority->publish_crl("root", "bench").der;

    ra::OtpPolicy otp;
    // Codes are sent as fast as the benchmark signs: the sending limits are not measured here.
    otp.min_send_interval = 0s;
    otp.max_sends_per_hour = 1000;
    otp.max_client_sends_per_minute = 100'000;
    otp_crypto = std::make_unique<ra::HsmOtpCrypto>(token, kOtpHmac, "user-kek");
    lockouts = std::make_unique<ra::OtpLockouts>(*database, otp_store, *audit, clock, otp);
    challenges =
        std::make_unique<ra::OtpChallenges>(*database, otp_store, *otp_crypto, *lockouts, clock);
    totp = std::make_unique<ra::Totp>(*database, otp_store, *otp_crypto, *lockouts, *audit, clock);

    vault = std::make_unique<sign::DocumentVault>(*database, documents, token, clock);
    service = std::make_unique<sign::Contracts>(sign::ContractsDependencies{
        .database = *database,
        .contracts = contracts,
        .documents = documents,
        .vault = *vault,
        .registry = *registry,
        .audit = *audit,
        .clock = clock,
        .stamp = sign::responder_stamper(tsa),
        .notifier = nullptr,
        .options = bench_contract_options(),
    });
    signing = std::make_unique<sign::ContractSigning>(sign::ContractSigningDependencies{
        .contracts = *service,
        .registry = *registry,
        .challenges = *challenges,
        .totp = *totp,
        .sms = [](const std::string&, const std::string& message) { last_message = message; },
        .certificates = certificates,
        .token = token,
        .vault = *vault,
        .time_stamper = sign::tsa_time_stamper(*tsa, {std::nullopt, "bench"}),
        .validation = validation,
        .clock = clock,
    });
    // The audit outbox drained as signetd does, in the same process, so its cost is counted.
    drainer = std::thread([this] {
        while (!stop_drainer) {
            try {
                if (audit->drain(1000) < 1000)
                    std::this_thread::sleep_for(100ms);
            } catch (const std::exception&) {
                // As signetd's drainer: the outbox waits for the next round.
                std::this_thread::sleep_for(100ms);
            }
        }
    });
}

SignBed::~SignBed() {
    stop_drainer = true;
    if (drainer.joinable())
        drainer.join();
    signing.reset();
    service.reset();
    tsa.reset();
    journal.reset();
}

std::string SignBed::sent_contract(const std::string& format, ByteView document) {
    sign::ContractDraft draft;
    draft.title = "Benchmark lease 2026-118";
    draft.format = format;
    draft.signers = {{"person", alice, std::nullopt}, {"person", bob, std::nullopt}};
    const sign::ContractCaller caller{"client:bench", "bench"};
    const auto created = service->create(draft, document, caller);
    return service->send(created.record.id, caller).record.id;
}

void SignBed::sign_first(const std::string& contract_id) {
    sign_as(contract_id, 1);
}

void SignBed::sign_as(const std::string& contract_id, int position) {
    const sign::ContractCaller caller{"client:bench", "bench"};
    const auto challenge = signing->challenge(contract_id, position, "sms", caller);
    const auto at = last_message.find("code ");
    if (at == std::string::npos)
        throw Error(Errc::internal, "the SMS holds no code");
    sign::SigningRequest request;
    request.authorization.revision_sha256 = challenge.revision_sha256;
    request.authorization.challenge_id = challenge.challenge_id;
    request.authorization.code = last_message.substr(at + 5, 6);
    (void)signing->sign(contract_id, position, request, caller);
}

}  // namespace signet::bench
