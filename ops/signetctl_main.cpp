// signetctl: the operator CLI on the appliance. It talks to the HSM (and, from the next issues
// on, the database) directly.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/exit_status.hpp"
#include "common/secret.hpp"
#include "hsm/module.hpp"
#include "hsm/token.hpp"
#include "ops/cli.hpp"
#include "ops/signetctl_backup.hpp"
#include "ops/signetctl_ca.hpp"
#include "ops/signetctl_ocsp.hpp"
#include "ops/signetctl_subject.hpp"
#include "ops/signetctl_tsa.hpp"
#include "ops/signetctl_audit.hpp"
#include "ops/signetctl_evidence.hpp"
#include "ops/signetctl_verify.hpp"
#include "policy/config.hpp"
#include "signet/version.hpp"
#include "store/database.hpp"
#include "store/embedded_postgres.hpp"
#include "store/migrations.hpp"

namespace {

using signet::Errc;
using signet::Error;
using signet::ops::Arguments;
using signet::ops::parse;
using signet::ops::UsageError;

const char* const kUsage = R"(usage: signetctl [--help] [--version] COMMAND ...

Configuration:
  config check FILE                      validate signet.yaml; errors name FILE:LINE:COLUMN and key

HSM commands (options: --module PATH, --token LABEL, --pin SOURCE):
  hsm info                               the module, the token and its mechanisms
  hsm list                               the keys the token holds
  hsm keygen --label L --type T          generate a key pair in the HSM (T: ec-p256, ec-p384,
                                         rsa-2048, rsa-3072, rsa-4096); never extractable
  hsm kek --label L                      generate the AES-256 key-encryption key for user keys
  hsm hmac-key --label L                 generate the HMAC-SHA-256 key that hashes identity
                                         numbers (256 bits); never extractable

HSM options (each also from the environment):
  --module PATH    PKCS#11 module     (SIGNET_HSM_MODULE, default /usr/lib/softhsm/libsofthsm2.so)
  --token LABEL    token label        (SIGNET_HSM_TOKEN, default signet-dev)
  --pin SOURCE     where the user PIN is: file:PATH or env:VARIABLE
                                      (SIGNET_HSM_PIN, default file:var/hsm-user.pin)
                   The PIN itself is never accepted on the command line.

Database commands:
  db status                              the database, its server, the schema version and the
                                         migrations applied
  db migrate                             apply the pending migrations now (signetd applies them
                                         at start; both wait for each other)

Database options (each also from the environment):
  --dsn DSN        a libpq connection string or URI (SIGNET_DATABASE_DSN); a password goes in
                   ~/.pgpass, PGPASSFILE or the environment, never on the command line
  --state-dir DIR  with no DSN: the embedded PostgreSQL under DIR (SIGNET_STATE_DIR, default var),
                   started for the command, or the one the signetd owning DIR runs
)";

const std::set<std::string> kHsmOptions{"module", "token", "pin"};

std::set<std::string> with_hsm_options(std::set<std::string> extra) {
    extra.insert(kHsmOptions.begin(), kHsmOptions.end());
    return extra;
}

signet::hsm::TokenConfig token_config(const Arguments& args) {
    signet::hsm::TokenConfig config;
    config.module_path =
        args.option("module", "SIGNET_HSM_MODULE", "/usr/lib/softhsm/libsofthsm2.so");
    config.token_label = args.option("token", "SIGNET_HSM_TOKEN", "signet-dev");
    config.pin =
        signet::SecretSource::parse(args.option("pin", "SIGNET_HSM_PIN", "file:var/hsm-user.pin"));
    config.pool_size = 1;
    return config;
}

std::string fingerprint(EVP_PKEY* key) {
    unsigned char* der = nullptr;
    const int size = i2d_PUBKEY(key, &der);
    if (size <= 0)
        signet::throw_openssl_error("cannot encode the public key");
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_size = 0;
    EVP_Digest(der, static_cast<std::size_t>(size), digest, &digest_size, EVP_sha256(), nullptr);
    OPENSSL_free(der);
    return signet::to_hex({digest, digest_size});
}

int hsm_info(const Arguments& args) {
    args.allow(kHsmOptions);
    const auto config = token_config(args);
    auto module = signet::hsm::Module::load(config.module_path);
    const auto info = module->info();
    std::cout << "module:      " << module->path().string() << "\n"
              << "library:     " << info.manufacturer << " " << info.description << " "
              << info.library_version << " (Cryptoki " << info.cryptoki_version << ")\n";
    const CK_SLOT_ID slot = module->find_token(config.token_label);
    for (const auto& token : module->tokens()) {
        if (token.slot != slot)
            continue;
        std::cout << "token:       " << token.label << " (slot " << token.slot << ")\n"
                  << "model:       " << token.manufacturer << " " << token.model << "\n"
                  << "serial:      " << token.serial << "\n";
    }
    std::cout << "mechanisms:\n";
    for (const auto& m : module->mechanisms(slot)) {
        std::string flags;
        auto flag = [&](CK_FLAGS bit, const char* name) {
            if (m.flags & bit)
                flags += (flags.empty() ? "" : ",") + std::string(name);
        };
        flag(CKF_GENERATE_KEY_PAIR, "generate-key-pair");
        flag(CKF_GENERATE, "generate");
        flag(CKF_SIGN, "sign");
        flag(CKF_VERIFY, "verify");
        flag(CKF_WRAP, "wrap");
        flag(CKF_UNWRAP, "unwrap");
        flag(CKF_ENCRYPT, "encrypt");
        flag(CKF_DECRYPT, "decrypt");
        flag(CKF_DIGEST, "digest");
        std::cout << "  " << std::left << std::setw(32) << m.name << " " << std::setw(12)
                  << (std::to_string(m.min_key_size) + "-" + std::to_string(m.max_key_size)) << " "
                  << flags << "\n";
    }
    return 0;
}

int hsm_list(const Arguments& args) {
    args.allow(kHsmOptions);
    auto token = signet::hsm::Token::open(token_config(args));
    const auto keys = token->list_keys();
    std::cout << std::left << std::setw(24) << "LABEL" << std::setw(13) << "CLASS" << std::setw(10)
              << "ALGORITHM" << std::setw(11) << "SENSITIVE" << std::setw(13) << "EXTRACTABLE"
              << "ID\n";
    for (const auto& key : keys) {
        std::cout << std::left << std::setw(24) << key.label << std::setw(13) << key.object_class
                  << std::setw(10) << key.algorithm << std::setw(11)
                  << (key.sensitive ? "yes" : "no") << std::setw(13)
                  << (key.extractable ? "yes" : "no") << signet::to_hex(key.id) << "\n";
    }
    if (keys.empty())
        std::cout << "(no keys)\n";
    return 0;
}

int hsm_keygen(const Arguments& args) {
    args.allow(with_hsm_options({"label", "type"}));
    const std::string label = args.required("label");
    const auto type = signet::hsm::parse_key_type(args.required("type"));
    auto token = signet::hsm::Token::open(token_config(args));
    auto signer = token->generate_key(type, label);
    std::cout << "generated " << signet::hsm::to_string(type) << " key '" << label << "'\n"
              << "public key SHA-256: " << fingerprint(signer->public_key()) << "\n";
    return 0;
}

int hsm_kek(const Arguments& args) {
    args.allow(with_hsm_options({"label"}));
    const std::string label = args.required("label");
    auto token = signet::hsm::Token::open(token_config(args));
    token->generate_kek(label);
    std::cout << "generated aes-256 key-encryption key '" << label << "'\n";
    return 0;
}

int hsm_hmac_key(const Arguments& args) {
    args.allow(with_hsm_options({"label"}));
    const std::string label = args.required("label");
    auto token = signet::hsm::Token::open(token_config(args));
    token->generate_hmac_key(label);
    std::cout << "generated hmac-sha256 key '" << label << "'\n";
    return 0;
}

int config_check(const Arguments& args) {
    args.allow({});
    if (args.words.size() != 3)
        throw UsageError("config check needs exactly one FILE");
    const auto config = signet::policy::load_config(args.words[2]);
    std::cout << args.words[2] << ": OK\n"
              << "  state_dir:   " << config.state_dir.string() << "\n"
              << "  http:        "
              << (config.http.enabled ? config.http.address + ":" + std::to_string(config.http.port)
                                      : "disabled")
              << "\n"
              << "  https:       "
              << (config.https.enabled
                      ? config.https.address + ":" + std::to_string(config.https.port)
                      : "disabled")
              << "\n"
              << "  hsm:         token '" << config.hsm.token << "', PIN from "
              << config.hsm.pin.describe() << "\n"
              << "  database:    "
              << (config.database.dsn ? "external (dsn)" : "embedded under state_dir") << "\n"
              << "  api clients: " << config.api_clients.size() << "\n"
              << "  profiles:    " << config.ca.profiles.size() << "\n";
    return 0;
}

// The database `db status` and `db migrate` work on: --dsn (or SIGNET_DATABASE_DSN); else the
// embedded cluster under the state directory, the one the signetd owning it runs or, when nobody
// owns it, one started for the command (and stopped after it).
struct CommandDatabase {
    std::unique_ptr<signet::store::EmbeddedPostgres> embedded;  // before the pool: stops after it
    std::unique_ptr<signet::store::Database> database;
    std::string where;               // for the operator: which database this is
    std::string server_description;  // the server's version, from the health check
};

CommandDatabase open_command_database(const Arguments& args) {
    args.allow({"dsn", "state-dir"});
    if (args.options.contains("dsn") && args.options.contains("state-dir")) {
        throw UsageError("give --dsn or --state-dir, not both");
    }
    if (args.options.contains("dsn") && signet::store::dsn_has_password(args.options.at("dsn"))) {
        throw UsageError(
            "passwords are never taken on the command line; put it in ~/.pgpass or PGPASSFILE, "
            "or give the whole DSN in SIGNET_DATABASE_DSN");
    }
    using signet::store::EmbeddedPostgres;
    CommandDatabase opened;
    std::string dsn =
        args.options.contains("state-dir") ? "" : args.option("dsn", "SIGNET_DATABASE_DSN", "");
    opened.where = "the DSN given";
    if (dsn.empty()) {
        const std::filesystem::path state_dir = args.option("state-dir", "SIGNET_STATE_DIR", "var");
        if (EmbeddedPostgres::in_use(state_dir)) {
            dsn = EmbeddedPostgres::dsn_for(state_dir);
            opened.where = "embedded, under " + state_dir.string() +
                           " (run by the Signet process holding its lock)";
        } else {
            opened.embedded = std::make_unique<EmbeddedPostgres>(
                signet::store::EmbeddedPostgresOptions{.state_dir = state_dir});
            dsn = opened.embedded->dsn();
            opened.where = "embedded, " + opened.embedded->data_dir().string();
        }
    }
    opened.database = std::make_unique<signet::store::Database>(
        signet::store::DatabaseOptions{.dsn = dsn, .pool_size = 1});
    const auto health = opened.database->health(std::chrono::milliseconds(5000));
    if (!health.ok) {
        throw Error(Errc::unavailable, health.detail);
    }
    opened.server_description = health.detail;
    return opened;
}

void print_migrations(const std::vector<signet::store::AppliedMigration>& migrations) {
    for (const auto& m : migrations) {
        std::cout << "  " << std::right << std::setw(4) << m.version << "  "
                  << signet::format_utc(m.applied_at) << "  " << m.name << "\n";
    }
}

// db status: which database, its server, the schema version and the migrations applied.
int db_status(const Arguments& args) {
    const CommandDatabase db = open_command_database(args);
    const auto applied = signet::store::applied_migrations(*db.database);
    const int version = applied.empty() ? 0 : applied.back().version;
    const auto known = signet::store::known_migrations();
    const auto pending = std::count_if(known.begin(), known.end(),
                                       [&](const auto& m) { return m.version > version; });
    std::cout << "database:        " << db.where << "\n"
              << "server:          " << db.server_description << "\n"
              << "schema version:  " << version << " (this signetctl knows " << known.back().version
              << ")\n"
              << "migrations:\n";
    print_migrations(applied);
    if (applied.empty()) {
        std::cout << "  (none)\n";
    }
    std::cout << "pending:         "
              << (pending == 0 ? "none"
                               : std::to_string(pending) +
                                     " (applied when signetd starts, or by 'db migrate')")
              << "\n";
    return 0;
}

// db migrate: applies the pending migrations now, as signetd does at start (under the same
// advisory lock, so it may run while nodes start), e.g. before a rolling upgrade of the nodes.
int db_migrate(const Arguments& args) {
    const CommandDatabase db = open_command_database(args);
    const auto report = signet::store::migrate(*db.database);
    std::cout << "database:        " << db.where << "\n"
              << "server:          " << db.server_description << "\n"
              << "schema version:  " << report.from_version << " -> " << report.to_version << "\n";
    if (report.applied.empty()) {
        std::cout << "applied:         none (the schema was up to date)\n";
    } else {
        std::cout << "applied:\n";
        print_migrations(report.applied);
    }
    return 0;
}

int run(const Arguments& args) {
    const std::string command = args.command();
    if (args.words.size() >= 2 && args.words[0] == "config" && args.words[1] == "check")
        return config_check(args);
    if (command == "hsm info")
        return hsm_info(args);
    if (command == "hsm list")
        return hsm_list(args);
    if (command == "hsm keygen")
        return hsm_keygen(args);
    if (command == "hsm kek")
        return hsm_kek(args);
    if (command == "hsm hmac-key")
        return hsm_hmac_key(args);
    if (command == "db status")
        return db_status(args);
    if (command == "db migrate")
        return db_migrate(args);
    if (const auto code = signet::ops::run_ca_command(args))
        return *code;
    if (const auto code = signet::ops::run_subject_command(args))
        return *code;
    if (const auto code = signet::ops::run_tsa_command(args))
        return *code;
    if (const auto code = signet::ops::run_ocsp_command(args))
        return *code;
    if (const auto code = signet::ops::run_verify_command(args))
        return *code;
    if (const auto code = signet::ops::run_backup_command(args))
        return *code;
    if (const auto code = signet::ops::run_audit_command(args))
        return *code;
    if (const auto code = signet::ops::run_evidence_command(args))
        return *code;
    throw UsageError(command.empty() ? "no command given" : "unknown command '" + command + "'");
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string word = argv[i];
        if (word == "--help" || word == "-h" || word == "help") {
            std::cout << kUsage << "\n"
                      << signet::ops::kCaUsage << "\n"
                      << signet::ops::kSubjectUsage << "\n"
                      << signet::ops::kTsaUsage << "\n"
                      << signet::ops::kOcspUsage << "\n"
                      << signet::ops::kVerifyUsage << "\n"
                      << signet::ops::kBackupUsage << "\n"
                      << signet::ops::kAuditUsage << "\n"
                      << signet::ops::kEvidenceUsage << "\n"
                      << signet::exit_status_help();
            return 0;
        }
        if (word == "--version") {
            std::cout << "signetctl " << signet::kVersion << "\n";
            return 0;
        }
    }
    // Before any thread: the PIN and OpenSSL's private keys live in the locked secure heap.
    signet::init_secure_heap();
    try {
        return run(parse(argc, argv));
    } catch (const UsageError& e) {
        std::cerr << "signetctl: " << e.what() << " (try --help)\n";
        return signet::to_exit_code(signet::ExitStatus::usage);
    } catch (const Error& e) {
        std::cerr << "signetctl: " << e.what() << "\n";
        return signet::to_exit_code(signet::exit_status(e.code()));
    } catch (const std::exception& e) {
        std::cerr << "signetctl: internal error: " << e.what() << "\n";
        return signet::to_exit_code(signet::ExitStatus::failure);
    }
}
