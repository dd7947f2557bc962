#include "tests/audit/checkpoint_fixture.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "ca/ceremony.hpp"
#include "sign/checkpoint_signing.hpp"
#include "tests/store/test_cluster.hpp"
#include "tests/support/softhsm.hpp"
#include "tsa/identity.hpp"

namespace signet::testing {

namespace {

policy::Ceremony ceremony(const std::filesystem::path& dir) {
    policy::Ceremony c;
    c.file = dir / "ceremony.yaml";
    c.output_dir = dir / "out";
    c.root.name = "root";
    c.root.subject = "CN=Checkpoint Test Root,O=Signet Tests,C=CN";
    c.root.validity_days = 3650;
    c.root.key = {"root", KeyType::ec_p256};
    policy::CeremonyCa issuing;
    issuing.name = "issuing";
    issuing.subject = "CN=Checkpoint Test Issuing,O=Signet Tests,C=CN";
    issuing.validity_days = 730;
    issuing.path_length = 0;
    issuing.key = {"issuing", KeyType::ec_p256};
    c.issuing_cas.push_back(issuing);
    policy::CeremonyTsa tsa;
    tsa.subject = "CN=Checkpoint Test TSA,O=Signet Tests,C=CN";
    tsa.validity_days = 365;
    tsa.key = {"tsa", KeyType::ec_p256};
    tsa.issuer = "issuing";
    c.tsa = tsa;
    policy::CeremonyAuditCheckpoint checkpoint;
    checkpoint.subject = "CN=Checkpoint Test Signer,O=Signet Tests,C=CN";
    checkpoint.validity_days = 365;
    checkpoint.key = {"audit-checkpoint", KeyType::ec_p256};
    checkpoint.issuer = "issuing";
    c.audit_checkpoint = checkpoint;
    return c;
}

}  // namespace

CheckpointFixture::CheckpointFixture(const std::string& database_name, std::size_t pool_size)
    : token_config(SoftHsm::instance().new_token("checkpoint")),
      token(hsm::Token::open(token_config)),
      dsn(TestCluster::instance().migrated_database(database_name)),
      clock(std::make_shared<ManualClock>(std::chrono::system_clock::now())) {
    database = std::make_unique<store::Database>(store::DatabaseOptions{.dsn = dsn, .pool_size = pool_size});
    audit = std::make_unique<audit::PostgresAuditLog>(*database, *clock);
    certificates = std::make_unique<store::PostgresCertificates>(*database);
    ca::run_ceremony(ceremony(dir.path()), {}, *token, *database, *certificates, *audit, *clock,
                     "operator:test");
    auto identity = tsa::load_signing_identity(*certificates, *token, "tsa");
    BOOST_REQUIRE(identity);
    tsa_tokens = std::make_unique<store::PostgresTsaTokens>(*database);
    journal = std::make_shared<tsa::GroupCommitJournal>(*database, *tsa_tokens);
    tsa::ResponderOptions options;
    options.identity = std::move(*identity);
    options.clock = clock;
    auto hsm_token = token;
    options.serials = std::make_shared<tsa::RandomSerials>(
        [hsm_token](std::size_t n) { return hsm_token->random(n); });
    options.journal = journal;
    options.node = "test:1";
    tsa = std::make_unique<tsa::Responder>(std::move(options));
}

CheckpointFixture::~CheckpointFixture() {
    tsa.reset();
    journal.reset();
}

std::unique_ptr<audit::PostgresCheckpoints> CheckpointFixture::checkpointer(
    const std::string& made_by) {
    auto signing = sign::checkpoint_signing(*certificates, *token, *tsa, "test.signet/log", made_by);
    BOOST_REQUIRE(signing);
    return std::make_unique<audit::PostgresCheckpoints>(*database, *audit, *clock,
                                                        std::move(*signing));
}

void CheckpointFixture::record(int n) {
    for (int i = 0; i < n; ++i)
        audit->record({"test.event", "system", "thing:" + std::to_string(i), {{"i", i}}});
}

std::string CheckpointFixture::save(const std::string& name, ByteView bytes) const {
    const auto path = dir.path() / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path.string();
}

std::string CheckpointFixture::save(const std::string& name, const std::string& text) const {
    return save(name, as_bytes(text));
}

}  // namespace signet::testing
