#include "tests/evidence/evidence_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include "common/der.hpp"
#include "common/digest.hpp"
#include "common/error.hpp"
#include "evidence/seal.hpp"
#include "sign/checkpoint_signing.hpp"

namespace signet::testing {

namespace {

void add_evidence_seal(policy::Ceremony& ceremony) {
    policy::CeremonyEvidenceSeal seal;
    seal.issuer = "issuing";
    seal.subject = "CN=Signet Test Evidence Seal,O=Signet Tests,C=CN";
    seal.validity_days = 300;
    seal.key = {"evidence-seal", KeyType::ec_p256};
    ceremony.evidence_seal = seal;
    policy::CeremonyAuditCheckpoint checkpoint;
    checkpoint.issuer = "issuing";
    checkpoint.subject = "CN=Signet Test Audit Checkpoints,O=Signet Tests,C=CN";
    checkpoint.validity_days = 300;
    checkpoint.key = {"audit-checkpoint", KeyType::ec_p256};
    ceremony.audit_checkpoint = checkpoint;
    // As a production ceremony's issuing CA (ops/ceremony.example.yaml): its URLs go into the
    // seal's certificate, where poppler's pdfsig (NSS) looks for them.
    ceremony.issuing_cas.front().crl_distribution_point = "http://127.0.0.1:8080/crl/issuing.crl";
    ceremony.issuing_cas.front().ocsp_url = "http://127.0.0.1:8080/ocsp";
}

}  // namespace

EvidenceFixture::EvidenceFixture(const std::string& database_name)
    : SigningFixture(database_name, add_evidence_seal) {
    auto loaded = evidence::load_evidence_seal(certificates, *token);
    BOOST_REQUIRE(loaded.has_value());
    seal = std::move(*loaded);
    auto checkpoint_key = sign::checkpoint_signing(certificates, *token, *tsa.responder,
                                                   "signet.test/audit", "node:evidence-test");
    BOOST_REQUIRE(checkpoint_key.has_value());
    checkpoints = std::make_unique<audit::PostgresCheckpoints>(database, audit, clock,
                                                               std::move(*checkpoint_key));
    for (const X509Ptr* c : {&tsa.tsa_certificate, &tsa.issuing, &tsa.root})
        tsa_chain.push_back(c->get());
    builder = std::make_unique<evidence::PackageBuilder>(evidence::PackageDependencies{
        .contracts = *service,
        .database = database,
        .certificates = certificates,
        .subjects = subjects,
        .audit_log = audit,
        .audit_reader = audit,
        .checkpoints = *checkpoints,
        .checkpointer = *checkpoints,
        .seal = sign::SigningParties{seal, stamper, *validation, tsa_chain},
        .clock = clock,
    });
}

std::size_t EvidenceFixture::checkpoints_made() {
    return static_cast<std::size_t>(count("SELECT count(*) FROM audit_checkpoints"));
}

sign::Contract EvidenceFixture::two_party_contract(const std::string& format) {
    sign::ContractDraft d = draft(format);
    d.signers.resize(2);  // alice, bob
    sign::Contract c = create(d, format == "pdf" ? ByteView(pdf) : ByteView(document));
    c = service->send(c.record.id, caller);
    c = sign_with_sms(c, 1);
    c = sign_with_sms(c, 2);
    BOOST_REQUIRE_EQUAL(c.record.state, "completed");
    return c;
}

Bytes EvidenceFixture::package_of(const sign::Contract& contract) {
    Bytes out;
    builder->build(contract.record.id, caller,
                   [&](ByteView piece) { out.insert(out.end(), piece.begin(), piece.end()); });
    return out;
}

evidence::PackageReport EvidenceFixture::verify(ByteView package) {
    evidence::PackageVerifyOptions options;
    options.roots = anchors();
    options.now = clock.now();
    return evidence::verify_package(package, options);
}

std::vector<evidence::ZipEntry> entries_of(ByteView package) {
    return evidence::read_zip(package);
}

Bytes zip_of(const std::vector<evidence::ZipEntry>& entries) {
    Bytes out;
    evidence::ZipWriter zip(
        [&](ByteView piece) { out.insert(out.end(), piece.begin(), piece.end()); },
        std::chrono::system_clock::now());
    for (const auto& e : entries)
        zip.add(e.path, e.content);
    zip.finish();
    return out;
}

}  // namespace signet::testing
