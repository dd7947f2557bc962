// The services' sections of signet.yaml (policy/config_sections.hpp): ca (the CRL schedule, the
// key-encryption key, the certificate profiles with their key types, usages, policies and
// URLs), tsa (policies, digests, accuracy and precision) and ocsp.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/error.hpp"
#include "policy/config_sections.hpp"

namespace signet::policy::sections {

using namespace yaml;

namespace {

// Extended key usage names Signet's profiles use, and their OIDs (RFC 5280 §4.2.1.12, RFC 9336).
const std::map<std::string, std::string>& eku_names() {
    static const std::map<std::string, std::string> names{
        {"serverAuth", "1.3.6.1.5.5.7.3.1"},       {"clientAuth", "1.3.6.1.5.5.7.3.2"},
        {"codeSigning", "1.3.6.1.5.5.7.3.3"},      {"emailProtection", "1.3.6.1.5.5.7.3.4"},
        {"timeStamping", "1.3.6.1.5.5.7.3.8"},     {"OCSPSigning", "1.3.6.1.5.5.7.3.9"},
        {"documentSigning", "1.3.6.1.5.5.7.3.36"},
    };
    return names;
}

// The KeyUsage bits of RFC 5280 §4.2.1.3 (contentCommitment is nonRepudiation's newer name).
const std::set<std::string>& key_usage_names() {
    static const std::set<std::string> names{
        "digitalSignature", "nonRepudiation", "contentCommitment", "keyEncipherment",
        "dataEncipherment", "keyAgreement",   "keyCertSign",       "cRLSign",
        "encipherOnly",     "decipherOnly"};
    return names;
}

void read_profile(Map& map, unsigned max_assurance, CertificateProfile& out) {
    if (!read_nonempty_string(map, "issuer", out.issuer) && !present(map.take("issuer")))
        map.missing("issuer");
    std::vector<std::string> key_types;
    if (read_string_list(map, "key_types", key_types)) {
        if (key_types.empty())
            map.add("key_types", "must name at least one key type");
        for (std::size_t i = 0; i < key_types.size(); ++i) {
            try {
                out.key_types.push_back(parse_key_type(key_types[i]));
            } catch (const Error& e) {
                add_element_problem(map, "key_types", i, e.what());
            }
        }
    } else if (!present(map.take("key_types"))) {
        map.missing("key_types");
    }
    if (!read_unsigned(map, "validity_days", out.validity_days, 1, 36500, "a validity in days") &&
        !present(map.take("validity_days"))) {
        map.missing("validity_days");
    }
    if (read_string_list(map, "key_usage", out.key_usage)) {
        for (std::size_t i = 0; i < out.key_usage.size(); ++i) {
            if (!key_usage_names().contains(out.key_usage[i])) {
                add_element_problem(map, "key_usage", i,
                                    "'" + out.key_usage[i] + "' is not a key usage" +
                                        did_you_mean(out.key_usage[i], key_usage_names()) +
                                        " (RFC 5280 §4.2.1.3)");
            }
        }
    }
    std::vector<std::string> ekus;
    if (read_string_list(map, "extended_key_usage", ekus)) {
        std::vector<std::string> known_ekus;
        for (const auto& [name, oid] : eku_names())
            known_ekus.push_back(name);
        for (std::size_t i = 0; i < ekus.size(); ++i) {
            if (auto it = eku_names().find(ekus[i]); it != eku_names().end()) {
                out.extended_key_usage.push_back(it->second);
            } else if (is_valid_oid(ekus[i])) {
                out.extended_key_usage.push_back(ekus[i]);
            } else {
                const std::string hint = did_you_mean(ekus[i], known_ekus);
                add_element_problem(map, "extended_key_usage", i,
                                    "'" + ekus[i] +
                                        "' is neither an OID nor a known extended key "
                                        "usage" +
                                        (hint.empty() ? " (" + joined(known_ekus) + ")" : hint));
            }
        }
    }
    read_oid_list(map, "certificate_policies", out.certificate_policies);
    read_nonempty_string(map, "subject_template", out.subject_template);
    Map aia = map.section("aia");
    read_url(aia, "ocsp_url", out.ocsp_url);
    read_url(aia, "ca_issuers_url", out.ca_issuers_url);
    aia.finish();
    read_url(map, "crl_distribution_point", out.crl_distribution_point);
    read_unsigned(map, "required_assurance", out.required_assurance, 0, max_assurance,
                  "an assurance level");
}

// Profile names are what API callers and operators type ("personal", "e-seal").
bool is_profile_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::ranges::all_of(name, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
    });
}

void read_crl(Map& map, CrlSettings& out) {
    const bool validity_given = read_duration(map, "validity_hours", out.validity, 1, 8760);
    const bool refresh_given = read_duration(map, "refresh_hours", out.refresh, 1, 8760);
    // A relying party must always find a current CRL: the next one is made before this one ends.
    if ((validity_given || refresh_given) && out.refresh >= out.validity) {
        map.add(refresh_given ? "refresh_hours" : "validity_hours",
                "refresh_hours (" + std::to_string(out.refresh.count()) +
                    ") must be less than validity_hours (" + std::to_string(out.validity.count()) +
                    ")");
    }
}

}  // namespace

void read_ca(Map& map, unsigned max_assurance, CaSettings& out) {
    {
        Map crl = map.section("crl");
        read_crl(crl, out.crl);
        crl.finish();
    }
    read_nonempty_string(map, "user_key_kek", out.user_key_kek);
    read_named_mappings(map, "profiles", "expected a mapping of profile names",
                        [&](const std::string& name, Map& profile) {
                            if (!is_profile_name(name))
                                profile.problems().add(
                                    profile.mark(), profile.path(),
                                    "is not a profile name (letters, digits, '-' and '_')");
                            CertificateProfile p;
                            read_profile(profile, max_assurance, p);
                            out.profiles.emplace(name, std::move(p));
                        });
}

void read_tsa(Map& map, TsaSettings& out) {
    read_oid(map, "policy_oid", out.policy_oid);
    read_oid_list(map, "accepted_policies", out.accepted_policies);
    std::vector<std::string> digests;
    if (read_string_list(map, "digests", digests)) {
        if (digests.empty())
            map.add("digests", "must name at least one digest (sha256, sha384, sha512)");
        std::vector<Digest> parsed;
        for (std::size_t i = 0; i < digests.size(); ++i) {
            try {
                parsed.push_back(parse_digest(digests[i]));
            } catch (const Error&) {
                // SHA-1 and MD5 are refused on purpose (RFC 5816 moved away from SHA-1).
                add_element_problem(
                    map, "digests", i,
                    "'" + digests[i] + "' is not accepted (sha256, sha384, sha512)");
            }
        }
        if (!parsed.empty())
            out.digests = std::move(parsed);
    }
    // RFC 3161 §2.4.2 allows any accuracy; a TSA for signatures with legal effect keeps it
    // within 1 s.
    const bool accuracy_given = read_duration(map, "accuracy_ms", out.accuracy, 1, 1000);
    const bool precision_given =
        read_unsigned(map, "precision", out.precision, 0, 6, "a number of fractional digits");
    // RFC 3161 section 2.4.2: the accuracy is the deviation around UTC of genTime. genTime is
    // the clock cut to `precision` digits, so it is off by up to the clock's error plus one
    // step, and the TSA issues only while both fit in the accuracy (tsa/responder.hpp,
    // assess_clock). A step as large as the accuracy leaves no room for any clock error: no
    // token could ever be issued. 0 digits (steps of 1 s) fit no accuracy; 3 digits (1 ms)
    // need 2 ms at least.
    const auto step = precision_step(out.precision);
    const auto accuracy = std::chrono::duration_cast<std::chrono::microseconds>(out.accuracy);
    if ((accuracy_given || precision_given) && step >= accuracy) {
        map.add(precision_given ? "precision" : "accuracy_ms",
                std::to_string(out.precision) + " fractional digits (steps of " +
                    std::to_string(step.count()) + " us) leave no room for the clock's error " +
                    "within an accuracy of " + std::to_string(out.accuracy.count()) +
                    " ms: use more digits or a larger accuracy_ms");
    }
    read_bool(map, "allow_unsynchronized_clock", out.allow_unsynchronized_clock);
    read_bool(map, "include_chain", out.include_chain);
    read_bool(map, "include_tsa_name", out.include_tsa_name);
    std::string signing_digest;
    if (read_string(map, "signing_digest", signing_digest)) {
        try {
            out.signing_digest = parse_digest(signing_digest);
        } catch (const Error&) {
            map.add("signing_digest",
                    "'" + signing_digest + "' is not accepted (sha256, sha384, sha512)");
        }
    }
    read_nonempty_string(map, "key_label", out.key_label);
}

void read_ocsp(Map& map, OcspSettings& out) {
    // RFC 5019 §4: responses are pre-signed and cached; a week is the usual upper bound.
    read_duration(map, "response_validity_seconds", out.response_validity, 60, 7 * 24 * 3600);
    read_unsigned(map, "max_certificates_per_request", out.max_certificates_per_request, 1, 64,
                  "a number of CertIDs");
    // RFC 5019 §5: a GET URL of at most 255 bytes; POSTs of a few CertIDs stay well under 4 KiB.
    read_unsigned(map, "max_request_bytes", out.max_request_bytes, 64, 65536, "a size in bytes");
    // Accepted and unused since the responder was built: each CA's responder key is the one its
    // ocsp:{ca} certificate record names. So a signet.yaml written for an earlier version loads.
    std::string unused_key_label;
    read_nonempty_string(map, "key_label", unused_key_label);
    read_bool(map, "live_nonce", out.live_nonce);
    Map live = map.section("live_signing");
    read_unsigned(live, "per_client_per_second", out.live_per_client_per_second, 1, 100000,
                  "a rate");
    read_unsigned(live, "burst", out.live_burst, 1, 1000000, "a number of signatures");
    std::vector<std::string> hashes;
    if (read_string_list(map, "presign_hashes", hashes)) {
        bool sha1 = false, sha256 = false, ok = !hashes.empty();
        for (std::size_t i = 0; i < hashes.size(); ++i) {
            if (hashes[i] == "sha1") {
                sha1 = true;
            } else if (hashes[i] == "sha256") {
                sha256 = true;
            } else {
                add_element_problem(map, "presign_hashes", i,
                                    "'" + hashes[i] + "' is not a CertID hash (sha1, sha256)");
                ok = false;
            }
        }
        if (hashes.empty())
            map.add("presign_hashes", "names no hash (sha1, sha256)");
        if (ok) {
            out.presign_sha1 = sha1;
            out.presign_sha256 = sha256;
        }
    }
    read_unsigned(map, "refresh_after_percent", out.refresh_after_percent, 10, 90,
                  "a percentage");
    read_duration(map, "responder_renew_before_days", out.responder_renew_before, 1, 3650);
    read_duration(map, "responder_validity_days", out.responder_validity, 1, 3650);
    if (out.responder_renew_before >= out.responder_validity)
        map.add("responder_renew_before_days",
                "is not shorter than responder_validity_days: every certificate would be renewed at once");
}

}  // namespace signet::policy::sections
