#pragma once

// Evidence packages on real parts: the signing fixture (SoftHSM, PostgreSQL, a real ceremony —
// here with the evidence seal —, the CA, the vault, the TSA in process, contracts signed by
// their parties) plus the package builder, and helpers that take a package apart and put it
// back together with one thing changed.
#include <memory>
#include <string>
#include <vector>

#include "audit/checkpoint.hpp"
#include "evidence/package.hpp"
#include "evidence/verify_package.hpp"
#include "evidence/zip.hpp"
#include "tests/sign/signing_fixture.hpp"

namespace signet::testing {

// Checkpoints of the fixture's audit log, kept in memory, signed with `signer` (an HSM key with a
// certificate of the ceremony's CA) and time-stamped by the fixture's TSA.
class MemoryCheckpoints final : public audit::CheckpointReader, public audit::Checkpointer {
  public:
    MemoryCheckpoints(audit::PostgresAuditLog& log, const Clock& clock, const sign::CmsSigner& signer,
                      sign::TimeStamper stamper);
    std::optional<audit::SignedCheckpoint> latest() override;
    audit::SignedCheckpoint at_size(std::uint64_t size) override;
    std::vector<audit::Hash> inclusion(std::int64_t seq, std::uint64_t tree_size) override;
    std::vector<audit::Hash> consistency(std::uint64_t first, std::uint64_t second) override;
    audit::SignedCheckpoint checkpoint_now() override;
    int made = 0;

  private:
    std::vector<audit::Hash> leaves();
    audit::PostgresAuditLog& log_;
    const Clock& clock_;
    const sign::CmsSigner& signer_;
    sign::TimeStamper stamper_;
    std::vector<audit::SignedCheckpoint> checkpoints_;
};

struct EvidenceFixture : SigningFixture {
    explicit EvidenceFixture(const std::string& database_name);

    // A contract of `format` ("pdf": Ghostscript's, "bytes": the fixture's document) signed by
    // alice and bob in turn.
    sign::Contract two_party_contract(const std::string& format);
    Bytes package_of(const sign::Contract& contract);
    evidence::PackageReport verify(ByteView package);

    sign::CmsSigner seal;
    std::unique_ptr<MemoryCheckpoints> checkpoints;
    std::vector<const X509*> tsa_chain;
    std::unique_ptr<evidence::PackageBuilder> builder;
};

// The package's entries, and a package made of them again.
std::vector<evidence::ZipEntry> entries_of(ByteView package);
Bytes zip_of(const std::vector<evidence::ZipEntry>& entries);

}  // namespace signet::testing
