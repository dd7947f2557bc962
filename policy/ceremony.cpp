#include "policy/ceremony.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "common/error.hpp"
#include "common/host_names.hpp"
#include "common/text.hpp"
#include "policy/config.hpp"
#include "policy/yaml_reader.hpp"

namespace signet::policy {

namespace {

using namespace yaml;

constexpr std::size_t kMaxCeremonyBytes = 256 * 1024;

bool is_ca_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::ranges::all_of(name, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
    });
}

// Labels and names seen so far, so a second use is reported at its own place.
struct Uniques {
    std::map<std::string, std::string> labels;  // label -> where first used
    std::map<std::string, std::string> names;
};

void read_key(Map& parent, Uniques& uniques, CeremonyKey& out) {
    Map map = parent.section("key");
    if (!map.present()) {
        if (!map.wrong_type())
            parent.missing("key");
        return;
    }
    if (read_nonempty_string(map, "label", out.label)) {
        const auto [first, fresh] = uniques.labels.emplace(out.label, map.path());
        if (!fresh)
            map.add("label", "'" + out.label + "' is also " + first->second + "'s label");
    } else if (!present(map.take("label"))) {
        map.missing("label");
    }
    std::string type;
    if (read_nonempty_string(map, "type", type)) {
        try {
            out.type = parse_key_type(type);
        } catch (const Error& e) {
            map.add("type", e.what());
        }
    } else if (!present(map.take("type"))) {
        map.missing("type");
    }
    map.finish();
}

// `max_days`: 100 years unless a rule says less; beyond that a date is a typo, not a policy.
void read_certificate(Map& map, Uniques& uniques, CeremonyCertificate& out,
                      unsigned max_days = 36500, const std::string& what = "a validity in days") {
    if (!read_nonempty_string(map, "subject", out.subject) && !present(map.take("subject")))
        map.missing("subject");
    if (!read_unsigned(map, "validity_days", out.validity_days, 1, max_days, what) &&
        !present(map.take("validity_days")))
        map.missing("validity_days");
    read_key(map, uniques, out.key);
}

// A service certificate's issuer: an issuing CA of this ceremony.
void read_issuer(Map& map, const Ceremony& ceremony, std::string& out) {
    if (read_nonempty_string(map, "issuer", out)) {
        const bool known = std::ranges::any_of(
            ceremony.issuing_cas, [&](const CeremonyCa& ca) { return ca.name == out; });
        if (!known)
            map.add("issuer", "'" + out + "' is not an issuing CA of this ceremony");
    } else if (!present(map.take("issuer"))) {
        map.missing("issuer");
    }
}

std::string lowercase(std::string text) {
    std::ranges::transform(text, text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

// dns_names and ip_addresses: each entry checked at its own place, none twice (DNS names
// compare without case, RFC 4343; IP addresses by their octets, so ::1 and 0::1 are one), and
// at least one between the two lists (a TLS client matches its host against them, RFC 6125 §6).
void read_host_names(Map& map, CeremonyTlsServer& out) {
    const bool dns_read = read_string_list(map, "dns_names", out.dns_names);
    const bool ip_read = read_string_list(map, "ip_addresses", out.ip_addresses);
    std::set<std::string> names;
    for (std::size_t i = 0; i < out.dns_names.size(); ++i) {
        if (const auto problem = dns_name_problem(out.dns_names[i]))
            add_element_problem(map, "dns_names", i, *problem);
        else if (!names.insert(lowercase(out.dns_names[i])).second)
            add_element_problem(map, "dns_names", i,
                                "'" + out.dns_names[i] + "' is listed twice (case is ignored)");
    }
    std::set<Bytes> addresses;
    for (std::size_t i = 0; i < out.ip_addresses.size(); ++i) {
        const auto octets = ip_address_octets(out.ip_addresses[i]);
        if (!octets)
            add_element_problem(map, "ip_addresses", i,
                                quote_input(out.ip_addresses[i]) +
                                    " is not an IP address (IPv4 or IPv6, without a zone or "
                                    "a prefix length)");
        else if (!addresses.insert(*octets).second)
            add_element_problem(map, "ip_addresses", i,
                                "'" + out.ip_addresses[i] + "' is listed twice");
    }
    const bool malformed = (present(map.take("dns_names")) && !dns_read) ||
                           (present(map.take("ip_addresses")) && !ip_read);
    if (out.dns_names.empty() && out.ip_addresses.empty() && !malformed)
        map.problems().add(map.mark(), map.path(),
                           "needs at least one name in dns_names or ip_addresses (the hosts "
                           "clients connect to)");
}

void read_ca(Map& map, Uniques& uniques, bool issuing, CeremonyCa& out) {
    if (read_nonempty_string(map, "name", out.name)) {
        if (!is_ca_name(out.name)) {
            map.add("name", "'" + out.name + "' is not a CA name (letters, digits, '-' and '_')");
        } else {
            const auto [first, fresh] = uniques.names.emplace(out.name, map.path());
            if (!fresh)
                map.add("name", "'" + out.name + "' is also " + first->second + "'s name");
        }
    } else if (!present(map.take("name"))) {
        map.missing("name");
    }
    read_certificate(map, uniques, out);
    read_url(map, "crl_distribution_point", out.crl_distribution_point);
    read_url(map, "ca_issuers_url", out.ca_issuers_url);
    read_url(map, "ocsp_url", out.ocsp_url);
    if (issuing) {
        int path_length = 0;
        if (read_unsigned(map, "path_length", path_length, 0, 8, "a path length"))
            out.path_length = path_length;
        std::vector<std::string> policies;
        if (read_string_list(map, "certificate_policies", policies)) {
            for (std::size_t i = 0; i < policies.size(); ++i) {
                if (policies[i] == "anyPolicy")
                    policies[i] = "2.5.29.32.0";  // RFC 5280 §4.2.1.4
                else if (!is_valid_oid(policies[i]))
                    add_element_problem(map, "certificate_policies", i,
                                        "'" + policies[i] + "' is not an OID (or anyPolicy)");
            }
            out.certificate_policies = std::move(policies);
        }
        Map responder = map.section("ocsp_responder");
        if (responder.present()) {
            CeremonyCertificate certificate;
            read_certificate(responder, uniques, certificate);
            out.ocsp_responder = std::move(certificate);
        }
        responder.finish();
    }
}

Ceremony parse(const YAML::Node& root, const std::filesystem::path& source, Problems& problems) {
    Ceremony ceremony;
    ceremony.file = source;
    const auto base = source.has_parent_path() ? source.parent_path() : fs::current_path();
    if (!root.IsDefined() || root.IsNull() || !root.IsMap()) {
        problems.add(root.IsDefined() ? root.Mark() : YAML::Mark::null_mark(), "",
                     "a ceremony file is a YAML mapping with output_dir, root, issuing_cas, tsa, "
                     "audit_checkpoint, tls_server and evidence_seal");
        return ceremony;
    }
    Map top(root, "", problems, root.Mark());
    Uniques uniques;

    std::string output_dir;
    if (read_nonempty_string(top, "output_dir", output_dir))
        ceremony.output_dir = resolve(base, output_dir);
    else if (!present(top.take("output_dir")))
        top.missing("output_dir");

    Map root_ca = top.section("root");
    if (root_ca.present())
        read_ca(root_ca, uniques, false, ceremony.root);
    else if (!root_ca.wrong_type())
        top.missing("root");
    root_ca.finish();

    YAML::Node issuing = top.take("issuing_cas");
    if (!present(issuing) || !issuing.IsSequence() || issuing.size() == 0) {
        top.add("issuing_cas", "expected a list of at least one issuing CA");
    } else {
        for (std::size_t i = 0; i < issuing.size(); ++i) {
            Map entry(issuing[i], element_path("issuing_cas", i), problems, issuing[i].Mark());
            CeremonyCa ca;
            read_ca(entry, uniques, true, ca);
            if (!ca.path_length)
                ca.path_length = 0;
            entry.finish();
            ceremony.issuing_cas.push_back(std::move(ca));
        }
    }

    Map tsa = top.section("tsa");
    if (tsa.present()) {
        CeremonyTsa out;
        read_certificate(tsa, uniques, out);
        read_issuer(tsa, ceremony, out.issuer);
        ceremony.tsa = std::move(out);
    }
    tsa.finish();

    Map checkpoint = top.section("audit_checkpoint");
    if (checkpoint.present()) {
        CeremonyAuditCheckpoint out;
        read_certificate(checkpoint, uniques, out);
        read_issuer(checkpoint, ceremony, out.issuer);
        ceremony.audit_checkpoint = std::move(out);
    }
    checkpoint.finish();

    Map tls_server = top.section("tls_server");
    if (tls_server.present()) {
        CeremonyTlsServer out;
        read_certificate(tls_server, uniques, out, kMaxTlsServerValidityDays,
                         "a TLS server certificate's validity in days (CA/B Forum BR §6.3.2)");
        read_issuer(tls_server, ceremony, out.issuer);
        read_host_names(tls_server, out);
        ceremony.tls_server = std::move(out);
    }
    tls_server.finish();

    Map evidence_seal = top.section("evidence_seal");
    if (evidence_seal.present()) {
        CeremonyEvidenceSeal out;
        read_certificate(evidence_seal, uniques, out);
        read_issuer(evidence_seal, ceremony, out.issuer);
        ceremony.evidence_seal = std::move(out);
    }
    evidence_seal.finish();
    top.finish();
    return ceremony;
}

}  // namespace

Ceremony parse_ceremony(std::string_view yaml, const std::filesystem::path& source) {
    Problems problems(source.string());
    const YAML::Node document = parse_document(yaml, kMaxCeremonyBytes, problems);
    if (!problems.empty())
        throw Error(Errc::invalid_argument, problems.joined());
    Ceremony ceremony = parse(document, source, problems);
    if (!problems.empty())
        throw Error(Errc::invalid_argument, problems.joined());
    return ceremony;
}

Ceremony load_ceremony(const std::filesystem::path& file) {
    const std::string text = read_bounded_file(file, kMaxCeremonyBytes, "ceremony file");
    return parse_ceremony(text, std::filesystem::absolute(file).lexically_normal());
}

}  // namespace signet::policy
