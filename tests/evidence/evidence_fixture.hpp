#pragma once

// Evidence packages on real parts: the signing fixture (SoftHSM, PostgreSQL, a real ceremony —
// here with the evidence seal and the audit checkpoint key —, the CA, the vault, the TSA in
// process, contracts signed by their parties) plus the package builder, and helpers that take a
// package apart and put it back together with one thing changed.
#include <memory>
#include <string>
#include <vector>

#include "audit/checkpoints.hpp"
#include "evidence/package.hpp"
#include "evidence/verify_package.hpp"
#include "evidence/zip.hpp"
#include "tests/sign/signing_fixture.hpp"

namespace signet::testing {

struct EvidenceFixture : SigningFixture {
    explicit EvidenceFixture(const std::string& database_name);

    // A contract of `format` ("pdf": Ghostscript's, "bytes": the fixture's document) signed by
    // alice and bob in turn.
    sign::Contract two_party_contract(const std::string& format);
    Bytes package_of(const sign::Contract& contract);
    evidence::PackageReport verify(ByteView package);

    sign::CmsSigner seal;
    // The real checkpoints (audit/checkpoints.hpp) with the ceremony's audit-checkpoint key.
    std::unique_ptr<audit::PostgresCheckpoints> checkpoints;
    std::size_t checkpoints_made();
    std::vector<const X509*> tsa_chain;
    std::unique_ptr<evidence::PackageBuilder> builder;
};

// The package's entries, and a package made of them again.
std::vector<evidence::ZipEntry> entries_of(ByteView package);
Bytes zip_of(const std::vector<evidence::ZipEntry>& entries);

}  // namespace signet::testing
