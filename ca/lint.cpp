#include "ca/lint.hpp"

#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "ca/public_key.hpp"
#include "ca/subject_alt_name.hpp"
#include "common/error.hpp"
#include "common/text.hpp"

namespace signet::ca {

namespace {

const std::string kTimeStamping = "1.3.6.1.5.5.7.3.8";
const std::string kAnyPolicy = "2.5.29.32.0";         // RFC 5280 §4.2.1.4
const std::string kServerAuth = "1.3.6.1.5.5.7.3.1";  // RFC 5280 §4.2.1.12 id-kp-serverAuth

struct Linter {
    std::vector<LintFinding> findings;
    void fail(std::string rule, std::string message) {
        findings.push_back({std::move(rule), std::move(message)});
    }
};

std::string oid_text(const ASN1_OBJECT* object) {
    char buffer[128];
    OBJ_obj2txt(buffer, sizeof buffer, object, 1);
    return buffer;
}

// Seconds since the epoch, and whether it was encoded as UTCTime.
struct DecodedTime {
    long long seconds;
    bool utc_time;
};

DecodedTime decode(const ASN1_TIME* time) {
    std::tm tm{};
    ASN1_TIME_to_tm(time, &tm);
    return {static_cast<long long>(timegm(&tm)), ASN1_STRING_type(time) == V_ASN1_UTCTIME};
}

void check_time_encoding(Linter& lint, const char* which, const ASN1_TIME* time) {
    const DecodedTime t = decode(time);
    // 2050-01-01T00:00:00Z: UTCTime before, GeneralizedTime from then on (§4.1.2.5).
    constexpr long long k2050 = 2524608000LL;
    if ((t.seconds < k2050) != t.utc_time)
        lint.fail("rfc5280.validity.time_encoding",
                  std::string(which) + " is a " + (t.utc_time ? "UTCTime" : "GeneralizedTime") +
                      "; dates through 2049 are UTCTime and from 2050 GeneralizedTime");
}

std::set<std::string> key_usage_names(X509* cert) {
    static const std::pair<std::uint32_t, const char*> bits[] = {
        {KU_DIGITAL_SIGNATURE, "digitalSignature"},
        {KU_NON_REPUDIATION, "nonRepudiation"},
        {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
        {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
        {KU_KEY_AGREEMENT, "keyAgreement"},
        {KU_KEY_CERT_SIGN, "keyCertSign"},
        {KU_CRL_SIGN, "cRLSign"},
        {KU_ENCIPHER_ONLY, "encipherOnly"},
        {KU_DECIPHER_ONLY, "decipherOnly"}};
    std::set<std::string> names;
    const std::uint32_t usage = X509_get_key_usage(cert);
    if (usage == UINT32_MAX)
        return names;
    for (const auto& [bit, name] : bits) {
        if (usage & bit)
            names.insert(name);
    }
    return names;
}

std::set<std::string> normalized_usages(const std::vector<std::string>& names) {
    std::set<std::string> out;
    for (const auto& n : names)
        out.insert(n == "contentCommitment" ? "nonRepudiation" : n);
    return out;
}

void check_name(Linter& lint, const X509_NAME* name, bool is_ca) {
    const int count = X509_NAME_entry_count(name);
    if (count == 0 && is_ca)
        lint.fail("rfc5280.subject.empty", "a CA's subject DN must not be empty (§4.1.2.6)");
    for (int i = 0; i < count; ++i) {
        const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
        const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
        const ASN1_STRING* value = X509_NAME_ENTRY_get_data(entry);
        const std::string attribute = nid == NID_undef ? "unknown attribute" : OBJ_nid2sn(nid);
        const NameAttributeRule* rule = name_attribute_rule(nid);
        if (rule == nullptr) {
            lint.fail("signet.subject.attribute", attribute + " is not an attribute Signet issues");
            continue;
        }
        unsigned char* utf8 = nullptr;
        const int length = ASN1_STRING_to_UTF8(&utf8, value);
        const OpensslBytesPtr owned(utf8);
        const std::string_view text = length > 0
                                          ? std::string_view(reinterpret_cast<const char*>(utf8),
                                                             static_cast<std::size_t>(length))
                                          : std::string_view();
        const std::size_t characters = utf8_length(text).value_or(0);
        if (length <= 0)
            lint.fail("rfc5280.subject.empty_value", attribute + " is empty or not decodable");
        else if (characters > rule->upper_bound)
            lint.fail("rfc5280.subject.upper_bound",
                      attribute + " has " + std::to_string(characters) + " characters; at most " +
                          std::to_string(rule->upper_bound));
        else if (const auto problem = name_text_problem(text))
            lint.fail("signet.subject.characters", attribute + " " + *problem);
        const int type = ASN1_STRING_type(value);
        if (rule->string_type == V_ASN1_PRINTABLESTRING) {
            if (type != V_ASN1_PRINTABLESTRING)
                lint.fail("rfc5280.subject.encoding", attribute + " must be a PrintableString");
        } else if (rule->string_type == V_ASN1_IA5STRING) {
            if (type != V_ASN1_IA5STRING)
                lint.fail("rfc5280.subject.encoding", attribute + " must be an IA5String");
        } else if (type != V_ASN1_UTF8STRING && type != V_ASN1_PRINTABLESTRING) {
            lint.fail("rfc5280.subject.encoding",
                      attribute + " must be a UTF8String or PrintableString (§4.1.2.6)");
        }
    }
}

// The policy OIDs of a certificatePolicies extension; nullopt when there is none.
std::optional<std::set<std::string>> certificate_policies(const X509* cert) {
    auto* policies = static_cast<CERTIFICATEPOLICIES*>(
        X509_get_ext_d2i(cert, NID_certificate_policies, nullptr, nullptr));
    if (policies == nullptr)
        return std::nullopt;
    const CertificatePoliciesPtr owned(policies);
    std::set<std::string> oids;
    for (int i = 0; i < sk_POLICYINFO_num(policies); ++i)
        oids.insert(oid_text(sk_POLICYINFO_value(policies, i)->policyid));
    return oids;
}

// The extensions a template asks for, by NID, with their criticality.
std::map<int, bool> expected_extensions(const CertificateTemplate& t) {
    std::map<int, bool> e{{NID_subject_key_identifier, false},
                          {NID_authority_key_identifier, false},
                          {NID_basic_constraints, true}};
    if (!t.key_usage.empty())
        e[NID_key_usage] = true;
    if (!t.extended_key_usage.empty())
        e[NID_ext_key_usage] = t.eku_critical;
    if (!t.certificate_policies.empty())
        e[NID_certificate_policies] = false;
    if (!t.ocsp_url.empty() || !t.ca_issuers_url.empty())
        e[NID_info_access] = false;
    if (!t.crl_distribution_point.empty())
        e[NID_crl_distribution_points] = false;
    if (t.ocsp_no_check)
        e[NID_id_pkix_OCSP_noCheck] = false;
    // RFC 5280 §4.2.1.6: critical when the subject is empty, else non-critical.
    if (!t.dns_names.empty() || !t.ip_addresses.empty())
        e[NID_subject_alt_name] = t.subject.empty();
    return e;
}

std::string joined(const SubjectAltNameEntries& entries) {
    std::string text;
    for (const auto& entry : entries)
        text += (text.empty() ? "" : ", ") + entry;
    return "[" + text + "]";
}

// The subjectAltName holds exactly the template's entries, in its order, each well-formed.
void check_subject_alt_name(Linter& lint, const X509* cert, const CertificateTemplate& expected,
                            const std::vector<std::string>& ekus) {
    std::vector<std::string> problems;
    const auto entries = read_subject_alt_names(cert, problems);
    for (const auto& problem : problems)
        lint.fail("rfc5280.san.syntax", problem + " (§4.2.1.6)");
    const auto wanted = subject_alt_name_entries(expected.dns_names, expected.ip_addresses);
    if (entries != wanted)
        lint.fail("signet.profile.subject_alt_name",
                  "subjectAltName is " + quote_input(joined(entries), 200) + "; the profile has " +
                      quote_input(joined(wanted), 200));
    // A TLS client matches the host it asked for against the subjectAltName (RFC 6125 §6.4.4
    // falls back to the CN only without one; RFC 9525, which replaced it, never does), and the
    // CA/B Forum BR (§7.1.2.7.12) require one in every server certificate.
    if (std::ranges::find(ekus, kServerAuth) != ekus.end() && entries.empty())
        lint.fail("cabf.server_auth.san", "a TLS server certificate needs a subjectAltName");
}

}  // namespace

std::vector<LintFinding> lint_certificate(X509* cert_in, const X509* issuer,
                                          const CertificateTemplate& expected) {
    Linter lint;
    // Lint what a relying party will parse, not the in-memory object: the certificate is
    // encoded and every field read back from that encoding by the d2i OpenSSL's d2i_X509
    // applies to it (certificate_fields_from_der), so each check below sees the values a
    // relying party's parser sees. Only the public key is not decoded by d2i (which in
    // OpenSSL 3.0 runs the providers' decoders, about three signatures' worth of CPU): its
    // facts come from the SubjectPublicKeyInfo's own DER (public_key_from_info, at the end),
    // the same bytes a relying party decodes, and the SKI check hashes the same BIT STRING.
    const CertificateFields parsed = certificate_fields_from_der(certificate_der(cert_in));
    X509* cert = parsed.certificate.get();
    if (issuer == nullptr)
        issuer = cert;
    const bool self_issued =
        X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0 &&
        issuer == cert_in;

    if (X509_get_version(cert) != X509_VERSION_3)
        lint.fail("rfc5280.version", "the certificate is not v3");
    // §4.1.2.8: "CAs conforming to this profile MUST NOT generate certificates with unique
    // identifiers."
    if (parsed.unique_identifiers)
        lint.fail("rfc5280.unique_identifiers",
                  "the certificate has an issuerUniqueID or subjectUniqueID");

    // Serial (§4.1.2.2).
    const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
    BignumPtr serial_bn(ASN1_INTEGER_to_BN(serial, nullptr));
    if (!serial_bn || BN_is_negative(serial_bn.get()) || BN_is_zero(serial_bn.get()))
        lint.fail("rfc5280.serial.positive", "the serial must be a positive integer");
    else if (BN_num_bytes(serial_bn.get()) > 20)
        lint.fail("rfc5280.serial.length", "the serial is longer than 20 octets");

    // §4.1.1.2: signatureAlgorithm equals tbsCertificate.signature.
    const X509_ALGOR* outer = nullptr;
    X509_get0_signature(nullptr, &outer, cert);
    const X509_ALGOR* inner = X509_get0_tbs_sigalg(cert);
    if (outer == nullptr || inner == nullptr || X509_ALGOR_cmp(outer, inner) != 0)
        lint.fail("rfc5280.signature.algorithm_mismatch",
                  "signatureAlgorithm differs from tbsCertificate.signature");

    // Issuer name (§4.1.2.4).
    if (X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(issuer)) != 0)
        lint.fail("rfc5280.issuer.name", "the issuer name is not the issuer's subject");

    // Validity (§4.1.2.5).
    const DecodedTime not_before = decode(X509_get0_notBefore(cert));
    const DecodedTime not_after = decode(X509_get0_notAfter(cert));
    if (not_before.seconds >= not_after.seconds)
        lint.fail("rfc5280.validity.order", "notBefore is not before notAfter");
    check_time_encoding(lint, "notBefore", X509_get0_notBefore(cert));
    check_time_encoding(lint, "notAfter", X509_get0_notAfter(cert));
    if (!self_issued) {
        const DecodedTime issuer_before = decode(X509_get0_notBefore(issuer));
        const DecodedTime issuer_after = decode(X509_get0_notAfter(issuer));
        if (not_before.seconds < issuer_before.seconds || not_after.seconds > issuer_after.seconds)
            lint.fail("rfc5280.validity.within_issuer",
                      "the validity period is not inside the issuer's");
    }

    // Extensions: no duplicates (§4.2), exactly the template's, with its criticality.
    const auto wanted = expected_extensions(expected);
    std::set<int> seen;
    for (int i = 0; i < X509_get_ext_count(cert); ++i) {
        X509_EXTENSION* ext = X509_get_ext(cert, i);
        const ASN1_OBJECT* object = X509_EXTENSION_get_object(ext);
        const int nid = OBJ_obj2nid(object);
        const std::string name = nid == NID_undef ? oid_text(object) : OBJ_nid2sn(nid);
        if (!seen.insert(nid == NID_undef ? -i - 1 : nid).second)
            lint.fail("rfc5280.extensions.duplicate", name + " appears twice");
        const auto it = wanted.find(nid);
        if (it == wanted.end()) {
            lint.fail("signet.profile.unexpected_extension", name + " is not in the profile");
            continue;
        }
        if ((X509_EXTENSION_get_critical(ext) != 0) != it->second)
            lint.fail("signet.profile.criticality",
                      name + (it->second ? " must be critical" : " must not be critical"));
    }
    for (const auto& [nid, critical] : wanted) {
        if (!seen.contains(nid))
            lint.fail("signet.profile.missing_extension",
                      std::string(OBJ_nid2sn(nid)) + " is missing");
    }

    // SKI and AKI (§4.2.1.1, §4.2.1.2).
    const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_size = 0;
    X509_pubkey_digest(cert, EVP_sha1(), md, &md_size);
    if (ski == nullptr || ASN1_STRING_length(ski) != static_cast<int>(md_size) ||
        std::memcmp(ASN1_STRING_get0_data(ski), md, md_size) != 0)
        lint.fail("rfc5280.ski", "subjectKeyIdentifier is not the SHA-1 of the public key");
    const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(cert);
    const ASN1_OCTET_STRING* issuer_ski =
        self_issued ? ski : X509_get0_subject_key_id(const_cast<X509*>(issuer));
    if (aki == nullptr || issuer_ski == nullptr || ASN1_OCTET_STRING_cmp(aki, issuer_ski) != 0)
        lint.fail("rfc5280.aki", "authorityKeyIdentifier is not the issuer's key identifier");

    // basicConstraints and keyUsage (§4.2.1.9, §4.2.1.3).
    const bool is_ca = X509_check_ca(cert) != 0 && (X509_get_extension_flags(cert) & EXFLAG_CA);
    if (is_ca != expected.is_ca)
        lint.fail("rfc5280.basic_constraints.ca",
                  expected.is_ca ? "cA must be true" : "cA must be false");
    const long path_length = X509_get_pathlen(cert);
    if ((path_length >= 0) != expected.path_length.has_value() ||
        (expected.path_length && path_length != *expected.path_length))
        lint.fail("rfc5280.basic_constraints.path_length",
                  "pathLenConstraint differs from the profile");
    const auto usages = key_usage_names(cert);
    if (usages != normalized_usages(expected.key_usage))
        lint.fail("signet.profile.key_usage", "keyUsage differs from the profile");
    if (usages.contains("keyCertSign") != is_ca)
        lint.fail("rfc5280.key_usage.key_cert_sign",
                  is_ca ? "a CA certificate needs keyCertSign"
                        : "keyCertSign is only for CA certificates");
    if (!is_ca && usages.contains("cRLSign"))
        lint.fail("signet.key_usage.crl_sign", "cRLSign is only for CA certificates");
    if (path_length >= 0 && !usages.contains("keyCertSign"))
        lint.fail("rfc5280.basic_constraints.path_length",
                  "pathLenConstraint needs keyCertSign (§4.2.1.9)");

    // Extended key usage.
    std::vector<std::string> ekus;
    if (const ExtendedKeyUsagePtr eku{static_cast<EXTENDED_KEY_USAGE*>(
            X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr))}) {
        for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i)
            ekus.push_back(oid_text(sk_ASN1_OBJECT_value(eku.get(), i)));
    }
    if (ekus != expected.extended_key_usage)
        lint.fail("signet.profile.extended_key_usage", "extendedKeyUsage differs from the profile");
    const bool time_stamping = std::ranges::find(ekus, kTimeStamping) != ekus.end();
    if (time_stamping) {
        // RFC 3161 §2.3: exactly one EKU, id-kp-timeStamping, critical.
        const int index = X509_get_ext_by_NID(cert, NID_ext_key_usage, -1);
        if (ekus.size() != 1 || index < 0 ||
            !X509_EXTENSION_get_critical(X509_get_ext(cert, index)))
            lint.fail("rfc3161.eku", "a TSA certificate has id-kp-timeStamping alone, critical");
    }
    if (std::ranges::find(ekus, kOcspSigningEku) != ekus.end()) {
        // RFC 6960 §4.2.2.2.1: the responder certificate is not itself checked.
        if (X509_get_ext_by_NID(cert, NID_id_pkix_OCSP_noCheck, -1) < 0)
            lint.fail("rfc6960.nocheck",
                      "an OCSP responder certificate needs id-pkix-ocsp-nocheck");
        if (X509_get_ext_by_NID(cert, NID_info_access, -1) >= 0 ||
            X509_get_ext_by_NID(cert, NID_crl_distribution_points, -1) >= 0)
            lint.fail("signet.ocsp.no_revocation_pointers",
                      "an OCSP responder certificate carries neither AIA nor CRL DP");
    }

    check_subject_alt_name(lint, cert, expected, ekus);

    // RFC 5280 §6.1.3 (d): a policy of this certificate that its issuer does not carry (nor
    // anyPolicy) is dropped in path processing, and a relying party requiring it rejects the
    // path. Checked when the issuer has certificatePolicies (CAs made before the ceremony gave
    // them policies have none, and would refuse every issuance).
    if (!self_issued) {
        const auto issuer_policies = certificate_policies(issuer);
        if (issuer_policies && !issuer_policies->contains(kAnyPolicy)) {
            for (const auto& policy : certificate_policies(cert).value_or(std::set<std::string>{}))
                if (!issuer_policies->contains(policy))
                    lint.fail("rfc5280.policies.not_in_issuer",
                              "certificate policy " + policy +
                                  " is not among the issuer's certificatePolicies");
        }
    }

    check_name(lint, X509_get_subject_name(cert), expected.is_ca);
    // The key as its SubjectPublicKeyInfo says: built from its DER (a malformed key, a point
    // off its curve or an algorithm Signet does not issue for is a signet.key_type finding, as
    // a key d2i_X509 could not decode was), then judged as any key.
    EvpPkeyPtr public_key;
    try {
        public_key = public_key_from_info(parsed.public_key_info);
        key_type_of(public_key.get());
    } catch (const Error& e) {
        lint.fail("signet.key_type", e.what());
    }
    try {
        check_rsa_public_exponent(public_key.get());
    } catch (const Error& e) {
        lint.fail("cabf.rsa.public_exponent", e.what());
    }
    return lint.findings;
}

}  // namespace signet::ca
