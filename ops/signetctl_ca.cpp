#include "ops/signetctl_ca.hpp"

#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "audit/log.hpp"
#include "ca/authority.hpp"
#include "ca/ceremony.hpp"
#include "ca/crl.hpp"
#include "ca/x509.hpp"
#include "common/error.hpp"
#include "ops/appliance.hpp"
#include "ops/configured_store.hpp"
#include "policy/ceremony.hpp"
#include "policy/config.hpp"
#include "store/certificates.hpp"
#include "store/embedded_postgres.hpp"
#include "store/migrations.hpp"
#include "store/subjects.hpp"

namespace signet::ops {

const char* const kCaUsage =
    R"(CA commands (option --config FILE, or SIGNET_CONFIG; default signet.yaml: its hsm,
database, state_dir and ca sections are used):
  ceremony FILE.yaml                     run a key ceremony (see ops/ceremony.example.yaml)
  cert issue --subject ID --profile P [--csr FILE | --key-type T] [--out FILE]
                                         issue a certificate, from a CSR (PEM or DER) or with a
                                         key the HSM makes and keeps wrapped
  cert show SERIAL [--format text|pem]   one certificate (hex serial)
  cert list [--subject ID] [--status S] [--ca NAME] [--limit N]
  cert revoke SERIAL [--reason R] [--invalidity-date YYYY-MM-DDTHH:MM:SSZ]
                                         R: keyCompromise, cACompromise, affiliationChanged,
                                         superseded, cessationOfOperation, certificateHold,
                                         privilegeWithdrawn, aACompromise, unspecified
  crl [--ca NAME] [--out FILE]           sign and publish a fresh full CRL (every CA, or one;
                                         --out writes its DER, with --ca)
)";

namespace {

void print_certificate(const store::CertificateRecord& r) {
    std::cout << "serial:       " << ca::serial_hex(r.serial) << "\n"
              << "status:       " << r.status << "\n"
              << "subject:      " << r.subject_dn << "\n"
              << "issuer CA:    " << r.issuer_ca << "\n"
              << "profile:      " << r.profile << " (" << r.purpose << ")\n"
              << "key:          " << r.key_type << " (" << r.key_source
              << (r.key_label ? ", HSM label " + *r.key_label : "") << ")\n"
              << "validity:     " << format_utc(r.not_before) << " - " << format_utc(r.not_after)
              << "\n";
    if (r.subject_id)
        std::cout << "subject id:   " << *r.subject_id << "\n";
    if (r.der) {
        const auto certificate = ca::certificate_from_der(*r.der);
        std::cout << "SHA-256:      " << ca::sha256_fingerprint(certificate.get()) << "\n";
    }
    if (r.revoked_at) {
        std::cout << "revoked:      " << format_utc(*r.revoked_at) << ", "
                  << ca::to_string(
                         static_cast<ca::RevocationReason>(r.revocation_reason.value_or(0)))
                  << "\n";
        if (r.invalidity_date)
            std::cout << "invalid since: " << format_utc(*r.invalidity_date) << "\n";
    }
    if (r.failure)
        std::cout << "failure:      " << *r.failure << "\n";
}

int ceremony(const Arguments& args) {
    args.allow({"config"});
    if (args.words.size() != 2)
        throw UsageError("ceremony needs exactly one FILE.yaml");
    const auto plan = policy::load_ceremony(args.words[1]);
    Appliance appliance(args);
    const auto results = ca::run_ceremony(plan, appliance.config.ca.profiles, *appliance.token,
                                          *appliance.database, *appliance.certificates,
                                          *appliance.audit, appliance.clock, operator_actor());
    ca::Authority authority = appliance.authority();
    authority.refresh_crls(operator_actor());
    for (const auto& r : results) {
        std::cout << std::left << std::setw(10) << r.role << " " << r.name << "\n"
                  << "  subject: " << r.subject << "\n"
                  << "  serial:  " << r.serial << "\n"
                  << "  SHA-256: " << r.fingerprint_sha256 << "\n"
                  << "  PEM:     " << r.pem.string() << "\n";
    }
    return 0;
}

int cert_issue(const Arguments& args) {
    args.allow({"config", "subject", "profile", "csr", "key-type", "out"});
    ca::IssueRequest request;
    request.subject_id = integer_option(args, "subject");
    request.profile = args.required("profile");
    if (args.options.contains("csr") && args.options.contains("key-type"))
        throw UsageError("give --csr or --key-type, not both");
    if (args.options.contains("csr"))
        request.csr = read_file_bytes(args.options.at("csr"), 1024 * 1024);
    if (args.options.contains("key-type"))
        request.key_type = parse_key_type(args.options.at("key-type"));
    request.actor = operator_actor();
    Appliance appliance(args);
    auto authority = appliance.authority();
    const auto issued = authority.issue(request);
    print_certificate(issued.record);
    if (args.options.contains("out")) {
        std::ofstream out(args.options.at("out"), std::ios::binary | std::ios::trunc);
        out << ca::certificate_pem(issued.certificate());
        if (!out)
            throw Error(Errc::io, "cannot write " + args.options.at("out"));
    }
    return 0;
}

int cert_show(const Arguments& args) {
    args.allow({"config", "format"});
    const std::string format = args.option("format", nullptr, "text");
    if (format != "text" && format != "pem")
        throw UsageError("--format is text or pem");
    const Bytes serial = serial_argument(args, 2);
    Appliance appliance(args);
    const auto record = appliance.certificates->find(serial);
    if (!record)
        throw Error(Errc::not_found, "no certificate with serial " + ca::serial_hex(serial));
    if (format == "pem") {
        if (!record->der)
            throw Error(Errc::failed_precondition, "certificate " + ca::serial_hex(serial) +
                                                       " was never signed (" + record->status +
                                                       ")");
        std::cout << ca::certificate_pem(ca::certificate_from_der(*record->der).get());
        return 0;
    }
    print_certificate(*record);
    return 0;
}

int cert_list(const Arguments& args) {
    args.allow({"config", "subject", "status", "ca", "limit"});
    store::CertificateQuery query;
    if (args.options.contains("subject"))
        query.subject_id = integer_option(args, "subject");
    if (args.options.contains("status"))
        query.status = args.options.at("status");
    if (args.options.contains("ca"))
        query.issuer_ca = args.options.at("ca");
    query.limit = args.options.contains("limit")
                      ? static_cast<std::size_t>(integer_option(args, "limit"))
                      : 1000;
    Appliance appliance(args);
    std::cout << std::left << std::setw(42) << "SERIAL" << std::setw(10) << "STATUS"
              << std::setw(14) << "CA" << std::setw(22) << "NOT AFTER"
              << "SUBJECT\n";
    for (const auto& r : appliance.certificates->search(query)) {
        std::cout << std::left << std::setw(42) << ca::serial_hex(r.serial) << std::setw(10)
                  << r.status << std::setw(14) << r.issuer_ca << std::setw(22)
                  << format_utc(r.not_after).substr(0, 19) + "Z" << r.subject_dn << "\n";
    }
    return 0;
}

int cert_revoke(const Arguments& args) {
    args.allow({"config", "reason", "invalidity-date"});
    const Bytes serial = serial_argument(args, 2);
    const auto reason = ca::parse_revocation_reason(args.option("reason", nullptr, "unspecified"));
    std::optional<Clock::time_point> invalidity;
    if (args.options.contains("invalidity-date"))
        invalidity = parse_utc(args.options.at("invalidity-date"));
    Appliance appliance(args);
    auto authority = appliance.authority();
    print_certificate(authority.revoke(serial, reason, invalidity, operator_actor()));
    return 0;
}

int crl(const Arguments& args) {
    args.allow({"config", "ca", "out"});
    if (args.options.contains("out") && !args.options.contains("ca"))
        throw UsageError("--out needs --ca");
    Appliance appliance(args);
    auto authority = appliance.authority();
    std::vector<std::string> names;
    if (args.options.contains("ca")) {
        names.push_back(args.options.at("ca"));
    } else {
        for (const auto& ca : appliance.certificates->list_cas())
            names.push_back(ca.name);
    }
    if (names.empty())
        throw Error(Errc::not_found, "no CA yet: run a ceremony first");
    for (const auto& name : names) {
        const auto record = authority.publish_crl(name, operator_actor());
        std::cout << "CRL " << record.number << " of " << name << ": " << record.entries
                  << " entries, thisUpdate " << format_utc(record.this_update) << ", nextUpdate "
                  << format_utc(record.next_update) << "\n";
        if (args.options.contains("out")) {
            std::ofstream out(args.options.at("out"), std::ios::binary | std::ios::trunc);
            out.write(reinterpret_cast<const char*>(record.der.data()),
                      static_cast<std::streamsize>(record.der.size()));
            if (!out)
                throw Error(Errc::io, "cannot write " + args.options.at("out"));
        }
    }
    return 0;
}

}  // namespace

std::optional<int> run_ca_command(const Arguments& args) {
    const auto& w = args.words;
    if (w.empty())
        return std::nullopt;
    if (w[0] == "ceremony")
        return ceremony(args);
    if (w[0] == "crl" && w.size() == 1)
        return crl(args);
    if (w.size() >= 2) {
        const std::string pair = w[0] + " " + w[1];
        if (pair == "cert issue" && w.size() == 2)
            return cert_issue(args);
        if (pair == "cert show")
            return cert_show(args);
        if (pair == "cert list" && w.size() == 2)
            return cert_list(args);
        if (pair == "cert revoke")
            return cert_revoke(args);
    }
    return std::nullopt;
}

}  // namespace signet::ops
