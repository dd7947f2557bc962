#include "ops/configured_store.hpp"

#include <fstream>

#include "common/error.hpp"
#include "store/migrations.hpp"

namespace signet::ops {

ConfiguredDatabase::ConfiguredDatabase(const Arguments& args)
    : config(policy::load_config(args.option("config", "SIGNET_CONFIG", "signet.yaml"))) {
    std::string dsn;
    if (config.database.dsn) {
        dsn = *config.database.dsn;
    } else if (store::EmbeddedPostgres::in_use(config.state_dir)) {
        dsn = store::EmbeddedPostgres::dsn_for(config.state_dir);
    } else {
        embedded = std::make_unique<store::EmbeddedPostgres>(
            store::EmbeddedPostgresOptions{.state_dir = config.state_dir});
        dsn = embedded->dsn();
    }
    database = std::make_unique<store::Database>(
        store::DatabaseOptions{.dsn = dsn,
                               .pool_size = 2,
                               .acquire_timeout = config.database.wait,
                               .statement_timeout = config.database.statement_timeout});
    store::migrate(*database);
}

Bytes read_file_bytes(const std::string& path, std::size_t max) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(Errc::not_found, "cannot read " + path);
    Bytes data;
    char buffer[8192];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        data.insert(data.end(), buffer, buffer + in.gcount());
        if (data.size() > max)
            throw Error(Errc::invalid_argument,
                        path + ": larger than " + std::to_string(max) + " bytes");
    }
    return data;
}

Bytes serial_argument(const Arguments& args, std::size_t index) {
    if (args.words.size() != index + 1)
        throw UsageError("'" + args.command() + "' needs exactly one SERIAL");
    Bytes serial;
    try {
        serial = from_hex(args.words[index]);
    } catch (const Error&) {
    }
    if (serial.empty() || serial.size() > 20)
        throw UsageError("'" + args.words[index] + "' is not a serial (hex, 1-20 octets)");
    return serial;
}

}  // namespace signet::ops
