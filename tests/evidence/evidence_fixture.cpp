#include "tests/evidence/evidence_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include "audit/merkle.hpp"
#include "common/digest.hpp"
#include "common/der.hpp"
#include "common/error.hpp"
#include "evidence/seal.hpp"

namespace signet::testing {

namespace {

void add_evidence_seal(policy::Ceremony& ceremony) {
    policy::CeremonyEvidenceSeal seal;
    seal.issuer = "issuing";
    seal.subject = "CN=Signet Test Evidence Seal,O=Signet Tests,C=CN";
    seal.validity_days = 300;
    seal.key = {"evidence-seal", KeyType::ec_p256};
    ceremony.evidence_seal = seal;
    // As a production ceremony's issuing CA (ops/ceremony.example.yaml): its URLs go into the
    // seal's certificate, where poppler's pdfsig (NSS) looks for them.
    ceremony.issuing_cas.front().crl_distribution_point = "http://127.0.0.1:8080/crl/issuing.crl";
    ceremony.issuing_cas.front().ocsp_url = "http://127.0.0.1:8080/ocsp";
}

}  // namespace

MemoryCheckpoints::MemoryCheckpoints(audit::PostgresAuditLog& log, const Clock& clock,
                                     const sign::CmsSigner& signer, sign::TimeStamper stamper)
    : log_(log), clock_(clock), signer_(signer), stamper_(std::move(stamper)) {}

std::vector<audit::Hash> MemoryCheckpoints::leaves() {
    std::vector<audit::Hash> out;
    const std::int64_t size = log_.size();
    for (std::int64_t first = 1; first <= size; first += 10000)
        for (const auto& e : log_.read(first, std::min(size, first + 9999)))
            out.push_back(e.leaf_hash);
    return out;
}

std::optional<audit::SignedCheckpoint> MemoryCheckpoints::latest() {
    if (checkpoints_.empty())
        return std::nullopt;
    return checkpoints_.back();
}

audit::SignedCheckpoint MemoryCheckpoints::at_size(std::uint64_t size) {
    for (const auto& c : checkpoints_)
        if (c.checkpoint.size == size)
            return c;
    throw Error(Errc::not_found, "no checkpoint of that size");
}

std::vector<audit::Hash> MemoryCheckpoints::inclusion(std::int64_t seq, std::uint64_t tree_size) {
    const auto all = leaves();
    return audit::inclusion_proof(static_cast<std::uint64_t>(seq - 1), tree_size,
                                  [&](std::uint64_t start, std::uint64_t size) {
                                      return audit::tree_root(
                                          std::span(all).subspan(start, size));
                                  });
}

std::vector<audit::Hash> MemoryCheckpoints::consistency(std::uint64_t first, std::uint64_t second) {
    const auto all = leaves();
    return audit::consistency_proof(first, second, [&](std::uint64_t start, std::uint64_t size) {
        return audit::tree_root(std::span(all).subspan(start, size));
    });
}

audit::SignedCheckpoint MemoryCheckpoints::checkpoint_now() {
    log_.drain();
    const auto all = leaves();
    audit::SignedCheckpoint s;
    s.checkpoint.origin = "signet.test/audit";
    s.checkpoint.size = all.size();
    s.checkpoint.root = audit::tree_root(all);
    s.checkpoint.time = std::chrono::time_point_cast<std::chrono::microseconds>(clock_.now());
    s.body = audit::checkpoint_body(s.checkpoint);
    const Sha256Digest digest = sha256_of(s.body);
    s.signature = signer_.key->sign_digest(Digest::sha256, hsm::Padding::ecdsa, digest);
    s.certificate_der = to_der(i2d_X509, signer_.certificate.get());
    s.time_stamp_token = stamper_(Digest::sha256, digest);
    checkpoints_.push_back(s);
    ++made;
    return s;
}

EvidenceFixture::EvidenceFixture(const std::string& database_name)
    : SigningFixture(database_name, add_evidence_seal) {
    auto loaded = evidence::load_evidence_seal(certificates, *token);
    BOOST_REQUIRE(loaded.has_value());
    seal = std::move(*loaded);
    checkpoints = std::make_unique<MemoryCheckpoints>(audit, clock, seal, stamper);
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
    evidence::ZipWriter zip([&](ByteView piece) { out.insert(out.end(), piece.begin(), piece.end()); },
                            std::chrono::system_clock::now());
    for (const auto& e : entries)
        zip.add(e.path, e.content);
    zip.finish();
    return out;
}

}  // namespace signet::testing
