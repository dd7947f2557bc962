#pragma once

#include <memory>
#include <string>

#include "common/bytes.hpp"
#include "ops/cli.hpp"
#include "policy/config.hpp"
#include "store/database.hpp"
#include "store/embedded_postgres.hpp"

namespace signet::ops {

// The database signet.yaml names (--config FILE, SIGNET_CONFIG, default signet.yaml), migrated:
// its DSN; else the embedded cluster a running signetd owns, through its socket; else the
// embedded cluster started for this command (and stopped after it).
struct ConfiguredDatabase {
    policy::Config config;
    std::unique_ptr<store::EmbeddedPostgres> embedded;  // before the pool: stops after it
    std::unique_ptr<store::Database> database;

    explicit ConfiguredDatabase(const Arguments& args);
};

// The certificate serial in words[index], the last word: hex, as stored (the DER INTEGER's
// content octets, a leading 00 included). UsageError otherwise.
Bytes serial_argument(const Arguments& args, std::size_t index);

// A file's bytes, refused (Errc::invalid_argument) past `max` bytes; Errc::not_found if unreadable.
Bytes read_file_bytes(const std::string& path, std::size_t max);

}  // namespace signet::ops
