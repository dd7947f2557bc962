// signet.yaml's backup section (issue 14): pgBackRest's stanza, repositories and retention read
// into plain structs, each mistake reported at its FILE:LINE:COLUMN, secrets only as sources;
// and the pgbackrest.conf signetctl writes from it (ops/backup_config.hpp).
#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "ops/backup_config.hpp"
#include "tests/policy/config_fixture.hpp"

using namespace signet;
using namespace signet::policy;
using namespace signet::policy::testing;

BOOST_AUTO_TEST_SUITE(config_backup)

BOOST_AUTO_TEST_CASE(absent_section_means_no_backup) {
    Fixture f;
    BOOST_CHECK(!f.load(Fixture::base()).backup);
}

BOOST_AUTO_TEST_CASE(two_sites_and_an_object_store_are_read) {
    Fixture f;
    write_file(f.dir / "gcs.json", "{}\n");
    const Config c =
        f.load(Fixture::base() +
               "backup:\n"
               "  stanza: prod-1\n"
               "  archive_timeout_seconds: 30\n"
               "  repositories:\n"
               "    - {type: posix, path: site-a, retention: {full: 3, diff: 7}}\n"
               "    - {type: posix, path: /srv/site-b}\n"
               "    - type: s3\n"
               "      bucket: signet-backups\n"
               "      endpoint: s3.eu-central-1.amazonaws.com\n"
               "      region: eu-central-1\n"
               "      key: env:S3_KEY\n"
               "      key_secret: file:pin\n"
               "    - {type: gcs, bucket: b, key_file: gcs.json, verify_tls: false}\n");
    BOOST_REQUIRE(c.backup);
    const auto& b = *c.backup;
    BOOST_CHECK_EQUAL(b.stanza, "prod-1");
    BOOST_CHECK_EQUAL(b.archive_timeout.count(), 30);
    BOOST_REQUIRE_EQUAL(b.repositories.size(), 4u);
    BOOST_CHECK(b.repositories[0].type == BackupRepositoryType::posix);
    BOOST_CHECK_EQUAL(b.repositories[0].path, f.dir.path() / "site-a");  // resolved
    BOOST_CHECK_EQUAL(b.repositories[0].retention_full, 3u);
    BOOST_CHECK_EQUAL(*b.repositories[0].retention_diff, 7u);
    BOOST_CHECK_EQUAL(b.repositories[1].retention_full, 2u);  // the default
    BOOST_CHECK(!b.repositories[1].retention_diff);
    const auto& s3 = b.repositories[2];
    BOOST_CHECK(s3.type == BackupRepositoryType::s3);
    BOOST_CHECK_EQUAL(s3.path, "/signet");
    BOOST_CHECK_EQUAL(s3.options.at("bucket"), "signet-backups");
    BOOST_CHECK(s3.secrets.at("key").kind == SecretSource::Kind::env);
    BOOST_CHECK_EQUAL(s3.secrets.at("key").location, "S3_KEY");
    BOOST_CHECK_EQUAL(s3.secrets.at("key_secret").location, (f.dir / "pin").string());
    BOOST_CHECK_EQUAL(b.repositories[3].options.at("key_file"), (f.dir / "gcs.json").string());
    BOOST_CHECK(!b.repositories[3].verify_tls);

    // pgbackrest.conf: repoN in the order listed, pass-through options under pgBackRest's
    // names, the cluster under the stanza, and no secret; those go to secrets_conf.
    const ops::BackupPaths paths("/var/lib/signet");
    const std::string conf = ops::pgbackrest_conf(
        b, {"/var/lib/signet/postgres", "/var/lib/signet/run", 5432, "signet"}, paths);
    for (const std::string& line : std::vector<std::string>{
             "repo1-type=posix", "repo1-path=" + (f.dir.path() / "site-a").string(),
             "repo1-retention-full=3", "repo1-retention-diff=7", "repo2-path=/srv/site-b",
             "repo3-type=s3", "repo3-s3-bucket=signet-backups", "repo3-s3-region=eu-central-1",
             "repo4-gcs-key=" + (f.dir / "gcs.json").string(), "repo4-storage-verify-tls=n",
             "[prod-1]", "pg1-path=/var/lib/signet/postgres", "pg1-socket-path=/var/lib/signet/run",
             "lock-path=/var/lib/signet/pgbackrest/lock"}) {
        BOOST_CHECK_MESSAGE(conf.find("\n" + line + "\n") != std::string::npos,
                            "no line " << line << " in\n"
                                       << conf);
    }
    BOOST_CHECK(conf.find("s3-key") == std::string::npos);
    setenv("S3_KEY", "AKIAEXAMPLE", 1);
    write_file(f.dir / "pin", "s3cr3t\n");
    const std::string secrets = ops::secrets_conf(b);
    BOOST_CHECK_EQUAL(secrets, "[global]\nrepo3-s3-key=AKIAEXAMPLE\nrepo3-s3-key-secret=s3cr3t\n");
    BOOST_CHECK_EQUAL(ops::archive_command(b, paths),
                      "'pgbackrest' '--config=/var/lib/signet/pgbackrest/pgbackrest.conf' "
                      "'--config-include-path=/var/lib/signet/pgbackrest/conf.d' "
                      "'--stanza=prod-1' archive-push %p");
}

BOOST_AUTO_TEST_CASE(mistakes_are_reported_where_they_are) {
    Fixture f;
    const std::string yaml =
        Fixture::base() +
        "backup:\n"
        "  stanza: 'bad name'\n"
        "  repositories:\n"
        "    - {type: posix, path: site-a}\n"
        "    - {type: posix, path: ./site-a}\n"
        "    - {type: ftp, path: x}\n"
        "    - {type: s3, bucket: b, key: AKIAEXAMPLE, retention: {full: 0}}\n";
    const std::string message = f.error(yaml);
    BOOST_CHECK(message.find("AKIAEXAMPLE") == std::string::npos);  // a secret typed in place
    check_line(message, place(f, yaml, "'bad name'", "'bad name'") +
                            "backup.stanza: must be 1-64 of A-Z, a-z, 0-9, '_', '.', '-'");
    BOOST_CHECK(contains(message, "is already another repository"));
    check_line(message, place(f, yaml, "type: ftp", "ftp") +
                            "backup.repositories[2].type: must be one of: posix, s3, azure, gcs");
    BOOST_CHECK(contains(message, "backup.repositories[3].endpoint: is required"));
    BOOST_CHECK(contains(message, "backup.repositories[3].region: is required"));
    BOOST_CHECK(contains(message, "backup.repositories[3].key_secret: is required"));
    BOOST_CHECK(contains(message, "backup.repositories[3].key: must be file:PATH or env:VARIABLE"));
    BOOST_CHECK(contains(message, "backup.repositories[3].retention.full: 0 is not"));

    const std::string none = f.error(Fixture::base() + "backup:\n  stanza: s\n");
    BOOST_CHECK(contains(none, "backup.repositories: is required"));
}

BOOST_AUTO_TEST_CASE(recovery_targets_are_rfc3339_utc_only) {
    BOOST_CHECK_EQUAL(ops::recovery_target_time("2026-12-07T03:10:00Z"),
                      "2026-12-07 03:10:00.000000+00");
    BOOST_CHECK_THROW(ops::recovery_target_time("2026-12-07 03:10"), Error);
    BOOST_CHECK_THROW(ops::recovery_target_time("yesterday'; DROP"), Error);
    BOOST_CHECK_EQUAL(ops::sql_literal("it's"), "'it''s'");
}

BOOST_AUTO_TEST_SUITE_END()
