#include "ops/signetctl_tsa.hpp"

#include <openssl/x509.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "ca/x509.hpp"
#include "common/error.hpp"
#include "ops/configured_store.hpp"
#include "policy/config.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"
#include "store/embedded_postgres.hpp"
#include "store/migrations.hpp"
#include "store/tsa_tokens.hpp"
#include "tsa/verify.hpp"

namespace signet::ops {

const char* const kTsaUsage =
    R"(TSA commands (option --config FILE, or SIGNET_CONFIG; default signet.yaml: its database and
state_dir are used):
  tsa show SERIAL                        a time-stamp token's record (hex serial): genTime,
                                         policy, imprint, nonce, who asked, the node and the
                                         TSA certificate
  tsa verify FILE [--query Q.tsq | --data FILE] [--ca-file PEM] [--untrusted PEM] [--offline]
                                         check a TimeStampResp or a TimeStampToken (DER): the
                                         signature, signing-certificate-v2, the chain to this
                                         appliance's root CA (or to --ca-file), the query's
                                         imprint, nonce and policy or the data's hash, and that
                                         this appliance recorded it; --offline: no database
                                         (needs --ca-file)
)";

namespace {

// The database signet.yaml names: its DSN, the cluster a running signetd owns, or the embedded
// one started for the command.

Bytes serial_argument(const Arguments& args) {
    if (args.words.size() != 3)
        throw UsageError("'tsa show' needs exactly one SERIAL");
    Bytes serial;
    try {
        serial = from_hex(args.words[2]);
    } catch (const Error&) {
    }
    // The stored form has no leading zero octet; accept one typed anyway.
    while (serial.size() > 1 && serial.front() == 0)
        serial.erase(serial.begin());
    if (serial.empty() || serial.size() > 20)
        throw UsageError("'" + args.words[2] + "' is not a serial (hex, 1-20 octets)");
    return serial;
}

std::string nonce_text(const std::optional<Bytes>& nonce) {
    return nonce ? to_hex(*nonce) : std::string("none");
}

int tsa_show(const Arguments& args) {
    args.allow({"config"});
    const Bytes serial = serial_argument(args);
    ConfiguredDatabase db(args);
    store::PostgresTsaTokens tokens(*db.database);
    const auto record = tokens.find(serial);
    if (!record)
        throw Error(Errc::not_found, "no time-stamp token with serial " + to_hex(serial));
    std::cout << "serial:           " << to_hex(record->serial) << "\n"
              << "genTime:          " << format_utc(record->gen_time) << "\n"
              << "policy:           " << record->policy << "\n"
              << "imprint:          " << record->imprint_algorithm << " " << to_hex(record->imprint)
              << "\n"
              << "nonce:            " << nonce_text(record->nonce) << "\n"
              << "certReq:          " << (record->cert_req ? "yes" : "no") << "\n"
              << "client:           " << record->client.value_or("(anonymous)") << "\n"
              << "remote:           " << record->remote << "\n"
              << "node:             " << record->node << "\n"
              << "TSA certificate:  sha256 " << to_hex(record->tsa_certificate_sha256) << "\n";
    return 0;
}

int tsa_verify(const Arguments& args) {
    args.allow({"config", "query", "data", "ca-file", "untrusted", "offline"});
    if (args.words.size() != 3)
        throw UsageError("'tsa verify' needs exactly one FILE");
    if (args.options.contains("query") && args.options.contains("data"))
        throw UsageError("give --query or --data, not both");
    bool offline = false;
    if (auto it = args.options.find("offline"); it != args.options.end()) {
        if (it->second != "true")
            throw UsageError("--offline is a switch: give it without a value");
        offline = true;
    }
    if (offline && !args.options.contains("ca-file"))
        throw UsageError("--offline needs --ca-file (the trust anchors)");

    const tsa::ParsedToken token = tsa::parse_token(read_file_bytes(args.words[2], 1024 * 1024));
    const tsa::TokenSummary s = tsa::summarize(token);
    std::cout << "input:            "
              << (token.from_response ? "TimeStampResp (granted)" : "TimeStampToken") << "\n"
              << "serial:           " << to_hex(s.serial) << "\n"
              << "genTime:          " << format_utc(s.gen_time_utc) << " (" << s.gen_time << ")\n"
              << "policy:           " << s.policy << "\n"
              << "imprint:          " << s.imprint_algorithm << " " << to_hex(s.imprint) << "\n"
              << "nonce:            " << nonce_text(s.nonce) << "\n"
              << "accuracy:         " << s.accuracy << "\n"
              << "ordering:         " << (s.ordering ? "yes" : "no") << "\n"
              << "tsa:              " << s.tsa_name.value_or("(absent)") << "\n"
              << "certificates:     " << s.certificates << "\n";

    tsa::VerifyOptions options;
    if (args.options.contains("ca-file"))
        options.trusted = tsa::read_pem_certificates(args.options.at("ca-file"));
    if (args.options.contains("untrusted"))
        options.untrusted = tsa::read_pem_certificates(args.options.at("untrusted"));
    if (args.options.contains("query"))
        options.query = read_file_bytes(args.options.at("query"), 64 * 1024);
    if (args.options.contains("data"))
        options.data = read_file_bytes(args.options.at("data"), std::size_t{1} << 30);

    std::unique_ptr<ConfiguredDatabase> db;
    if (!offline) {
        db = std::make_unique<ConfiguredDatabase>(args);
        // This appliance's PKI: its roots as anchors (unless --ca-file), its TSA certificate
        // and issuing CAs to build the chain of a token requested without certReq.
        store::PostgresCertificates certificates(*db->database);
        for (const auto& ca : certificates.list_cas()) {
            if (ca.role == "root" && !args.options.contains("ca-file"))
                options.trusted.push_back(ca::certificate_from_der(ca.certificate));
            else if (ca.role != "root")
                options.untrusted.push_back(ca::certificate_from_der(ca.certificate));
        }
        if (const auto service = certificates.find_service("tsa"); service && service->der)
            options.untrusted.push_back(ca::certificate_from_der(*service->der));
        if (options.trusted.empty()) {
            throw Error(Errc::failed_precondition,
                        "the database holds no root CA to verify against; give --ca-file");
        }
    }
    tsa::verify_token(token, options);
    std::cout << "signature:        OK (CMS signature, signing-certificate-v2, chain to "
              << (args.options.contains("ca-file") ? "the --ca-file anchors"
                                                   : "a root CA of this appliance")
              << ")\n";
    if (options.query)
        std::cout << "query:            OK (imprint, nonce and policy echoed)\n";
    if (options.data)
        std::cout << "data:             OK (its hash is the imprint)\n";
    if (offline) {
        std::cout << "record:           not checked (--offline)\n";
        return 0;
    }
    store::PostgresTsaTokens tokens(*db->database);
    const auto record = tokens.find(s.serial);
    if (!record) {
        throw Error(
            Errc::failed_precondition,
            "the token verifies but this appliance has no record of serial " + to_hex(s.serial));
    }
    const auto differ = tsa::compare_with_record(s, *record);
    if (!differ.empty()) {
        std::string fields;
        for (const auto& f : differ)
            fields += (fields.empty() ? "" : ", ") + f;
        throw Error(Errc::failed_precondition,
                    "the token differs from this appliance's record of its serial: " + fields);
    }
    std::cout << "record:           OK (recorded by node " << record->node << ", "
              << record->client.value_or("anonymous") << " from " << record->remote << ")\n";
    return 0;
}

}  // namespace

std::optional<int> run_tsa_command(const Arguments& args) {
    const auto& w = args.words;
    if (w.size() < 2 || w[0] != "tsa")
        return std::nullopt;
    if (w[1] == "show")
        return tsa_show(args);
    if (w[1] == "verify")
        return tsa_verify(args);
    return std::nullopt;
}

}  // namespace signet::ops
