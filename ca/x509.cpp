#include "ca/x509.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>

#include "common/error.hpp"

namespace signet::ca {

namespace {

using AsnIntegerPtr = handle<ASN1_INTEGER, ASN1_INTEGER_free>;
using AsnTimePtr = handle<ASN1_TIME, ASN1_TIME_free>;
using AsnBitStringPtr = handle<ASN1_BIT_STRING, ASN1_BIT_STRING_free>;
using AsnOctetStringPtr = handle<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using AsnNullPtr = handle<ASN1_NULL, ASN1_NULL_free>;
using BasicConstraintsPtr = handle<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>;
using EkuPtr = handle<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>;
using PoliciesPtr = handle<CERTIFICATEPOLICIES, CERTIFICATEPOLICIES_free>;
using AkidPtr = handle<AUTHORITY_KEYID, AUTHORITY_KEYID_free>;
using AiaPtr = handle<AUTHORITY_INFO_ACCESS, AUTHORITY_INFO_ACCESS_free>;
using CrlDpPtr = handle<CRL_DIST_POINTS, CRL_DIST_POINTS_free>;
using AsnObjectPtr = handle<ASN1_OBJECT, ASN1_OBJECT_free>;

// The attributes a Signet DN may use, their NIDs, upper bounds in characters (RFC 5280
// Appendix A; X.520), and whether X.520 makes them PrintableString.
struct Attribute {
    int nid;
    std::size_t upper_bound;
    bool printable;
};

const std::map<std::string, Attribute, std::less<>>& attributes() {
    static const std::map<std::string, Attribute, std::less<>> table{
        {"C", {NID_countryName, 2, true}},
        {"ST", {NID_stateOrProvinceName, 128, false}},
        {"L", {NID_localityName, 128, false}},
        {"O", {NID_organizationName, 64, false}},
        {"OU", {NID_organizationalUnitName, 64, false}},
        {"CN", {NID_commonName, 64, false}},
        {"serialNumber", {NID_serialNumber, 64, true}},
        {"organizationIdentifier", {NID_organizationIdentifier, 64, false}},
        {"givenName", {NID_givenName, 64, false}},
        {"GN", {NID_givenName, 64, false}},
        {"surname", {NID_surname, 64, false}},
        {"SN", {NID_surname, 64, false}},
        {"emailAddress", {NID_pkcs9_emailAddress, 255, false}},
        {"title", {NID_title, 64, false}},
        {"pseudonym", {NID_pseudonym, 128, false}},
    };
    return table;
}

// UTF-8 well-formedness (no overlongs, no surrogates); returns the count of characters, or
// npos when `text` is not UTF-8.
std::size_t utf8_length(std::string_view text) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < text.size(); ++count) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t extra = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            cp = c;
        } else if ((c & 0xe0) == 0xc0) {
            extra = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return std::string_view::npos;
        }
        if (extra > 0 && i + extra >= text.size())
            return std::string_view::npos;
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto n = static_cast<unsigned char>(text[i + k]);
            if ((n & 0xc0) != 0x80)
                return std::string_view::npos;
            cp = (cp << 6) | (n & 0x3f);
        }
        const bool overlong =
            (extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000);
        if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return std::string_view::npos;
        i += extra + 1;
    }
    return count;
}

// X.680 PrintableString's alphabet.
bool is_printable_string(std::string_view text) {
    return std::ranges::all_of(text, [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               std::string_view(" '()+,-./:=?").find(c) != std::string_view::npos;
    });
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Splits at unescaped ',' and unescapes each value: RFC 4514 §2.4 ("\," or "\XX" hex).
struct RawRdn {
    std::string type;
    std::string value;
};

std::vector<RawRdn> split_dn(std::string_view text) {
    std::vector<RawRdn> out;
    RawRdn current;
    bool in_value = false;
    auto finish = [&] {
        auto trim = [](std::string& s) {
            while (!s.empty() && s.front() == ' ')
                s.erase(s.begin());
        };
        trim(current.type);
        while (!current.type.empty() && current.type.back() == ' ')
            current.type.pop_back();
        if (!in_value)
            throw Error(Errc::invalid_argument,
                        "'" + current.type + "' in the DN is not ATTRIBUTE=VALUE");
        out.push_back(std::move(current));
        current = {};
        in_value = false;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (!in_value) {
            if (c == '=')
                in_value = true;
            else if (c == ',' || c == '+')
                throw Error(Errc::invalid_argument, "the DN has '" + std::string(1, c) +
                                                        "' where an attribute was expected");
            else
                current.type.push_back(c);
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= text.size())
                throw Error(Errc::invalid_argument, "the DN ends in a lone '\\'");
            const int high = hex_digit(text[i + 1]);
            const int low = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
            if (high >= 0 && low >= 0) {
                current.value.push_back(static_cast<char>(high * 16 + low));
                i += 2;
            } else {
                current.value.push_back(text[i + 1]);
                ++i;
            }
        } else if (c == ',') {
            finish();
        } else if (c == '+') {
            throw Error(Errc::invalid_argument,
                        "multi-valued RDNs ('+') are not used in Signet's DNs");
        } else {
            current.value.push_back(c);
        }
    }
    if (!current.type.empty() || in_value)
        finish();
    return out;
}

ASN1_TIME* set_time(TimePoint t) {
    const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(t);
    // ASN1_TIME_set chooses UTCTime for 1950-2049 and GeneralizedTime otherwise (§4.1.2.5).
    ASN1_TIME* out =
        ASN1_TIME_set(nullptr, static_cast<time_t>(seconds.time_since_epoch().count()));
    if (out == nullptr)
        throw_openssl_error("cannot encode a validity time");
    return out;
}

bool is_http_url(const std::string& url) {
    return (url.starts_with("http://") && url.size() > 7) ||
           (url.starts_with("https://") && url.size() > 8);
}

GENERAL_NAME* uri_name(const std::string& url) {
    if (!is_http_url(url))
        throw Error(Errc::invalid_argument, "'" + url + "' is not an http(s) URL");
    GENERAL_NAME* name = GENERAL_NAME_new();
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    if (name == nullptr || ia5 == nullptr ||
        ASN1_STRING_set(ia5, url.data(), static_cast<int>(url.size())) != 1) {
        GENERAL_NAME_free(name);
        ASN1_IA5STRING_free(ia5);
        throw_openssl_error("cannot encode a URI");
    }
    GENERAL_NAME_set0_value(name, GEN_URI, ia5);
    return name;
}

ASN1_OBJECT* oid(const std::string& dotted) {
    ASN1_OBJECT* object = OBJ_txt2obj(dotted.c_str(), 1);
    if (object == nullptr)
        throw Error(Errc::invalid_argument, "'" + dotted + "' is not an OID");
    return object;
}

void add_extension(X509* cert, int nid, void* value, bool critical) {
    if (X509_add1_ext_i2d(cert, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1)
        throw_openssl_error(std::string("cannot add extension ") + OBJ_nid2sn(nid));
}

int key_usage_bit(const std::string& name) {
    static const std::map<std::string, int, std::less<>> bits{
        {"digitalSignature", 0}, {"nonRepudiation", 1},   {"contentCommitment", 1},
        {"keyEncipherment", 2},  {"dataEncipherment", 3}, {"keyAgreement", 4},
        {"keyCertSign", 5},      {"cRLSign", 6},          {"encipherOnly", 7},
        {"decipherOnly", 8}};
    const auto it = bits.find(name);
    if (it == bits.end())
        throw Error(Errc::invalid_argument,
                    "'" + name + "' is not a key usage (RFC 5280 §4.2.1.3)");
    return it->second;
}

Bytes subject_key_id(X509* cert) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value.
    if (X509_pubkey_digest(cert, EVP_sha1(), md, &size) != 1)
        throw_openssl_error("cannot compute the subject key identifier");
    return Bytes(md, md + size);
}

}  // namespace

X509NamePtr parse_distinguished_name(std::string_view text) {
    const auto rdns = split_dn(text);
    if (rdns.empty())
        throw Error(Errc::invalid_argument, "the DN has no attributes");
    X509NamePtr name(X509_NAME_new());
    if (!name)
        throw_openssl_error("cannot allocate a name");
    // RFC 4514 writes the most significant RDN last; the name is built from it.
    for (auto it = rdns.rbegin(); it != rdns.rend(); ++it) {
        const auto found = attributes().find(it->type);
        if (found == attributes().end())
            throw Error(Errc::invalid_argument,
                        "'" + it->type +
                            "' is not an attribute Signet "
                            "uses in DNs (C, ST, L, O, OU, CN, serialNumber, "
                            "organizationIdentifier, givenName, surname, "
                            "emailAddress, title, pseudonym)");
        const Attribute& attribute = found->second;
        const std::string& value = it->value;
        if (value.empty())
            throw Error(Errc::invalid_argument, it->type + " is empty");
        const std::size_t length = utf8_length(value);
        if (length == std::string_view::npos)
            throw Error(Errc::invalid_argument, it->type + " is not UTF-8");
        if (length > attribute.upper_bound)
            throw Error(Errc::invalid_argument,
                        it->type + " has " + std::to_string(length) + " characters; at most " +
                            std::to_string(attribute.upper_bound) + " (RFC 5280 Appendix A)");
        if (attribute.nid == NID_countryName &&
            (value.size() != 2 || !std::isupper(static_cast<unsigned char>(value[0])) ||
             !std::isupper(static_cast<unsigned char>(value[1]))))
            throw Error(Errc::invalid_argument,
                        "C must be two capital letters (ISO 3166-1 alpha-2), not '" + value + "'");
        if (attribute.printable && !is_printable_string(value))
            throw Error(Errc::invalid_argument, it->type + " is a PrintableString (X.520): '" +
                                                    value + "' has other characters");
        int type = attribute.printable ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING;
        if (attribute.nid == NID_pkcs9_emailAddress) {
            if (!std::ranges::all_of(value, [](char c) { return c > 0 && c < 0x7f; }))
                throw Error(Errc::invalid_argument, "emailAddress must be ASCII");
            type = V_ASN1_IA5STRING;
        }
        if (X509_NAME_add_entry_by_NID(name.get(), attribute.nid, type,
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), -1, 0) != 1)
            throw_openssl_error("cannot add " + it->type + " to the DN");
    }
    return name;
}

std::string format_distinguished_name(const X509_NAME* name) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio)
        throw_openssl_error("cannot allocate a BIO");
    // RFC 2253/4514 order and escaping, UTF-8 kept as it is.
    if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
        throw_openssl_error("cannot print a DN");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

Digest signature_digest(KeyType type) noexcept {
    return type == KeyType::ec_p384 ? Digest::sha384 : Digest::sha256;
}

KeyType key_type_of(const EVP_PKEY* key) {
    if (key == nullptr)
        throw Error(Errc::invalid_argument, "no key");
    if (EVP_PKEY_is_a(key, "EC")) {
        char group[64] = {};
        std::size_t size = 0;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           &size) != 1)
            throw Error(Errc::invalid_argument, "EC key with explicit parameters is not supported");
        const std::string_view name(group, size);
        if (name == "prime256v1" || name == "P-256" || name == "secp256r1")
            return KeyType::ec_p256;
        if (name == "secp384r1" || name == "P-384")
            return KeyType::ec_p384;
        throw Error(Errc::invalid_argument,
                    "EC key on curve " + std::string(name) + " is not supported");
    }
    if (EVP_PKEY_is_a(key, "RSA")) {
        const int bits = EVP_PKEY_get_bits(key);
        switch (bits) {
            case 2048:
                return KeyType::rsa_2048;
            case 3072:
                return KeyType::rsa_3072;
            case 4096:
                return KeyType::rsa_4096;
            default:
                throw Error(Errc::invalid_argument,
                            "RSA key of " + std::to_string(bits) + " bits is not supported");
        }
    }
    const char* type = EVP_PKEY_get0_type_name(key);
    throw Error(Errc::invalid_argument,
                std::string(type != nullptr ? type : "unknown") + " keys are not supported");
}

namespace {

using X509AlgorPtr = handle<X509_ALGOR, X509_ALGOR_free>;

// Puts a SubjectPublicKeyInfo into `cert` as its DER says, without decoding the key: its
// AlgorithmIdentifier and its subjectPublicKey BIT STRING are copied as they are.
void set_public_key_info(X509* cert, ByteView spki) {
    const auto refuse = [] {
        throw Error(Errc::invalid_argument,
                    "the subject public key is not one DER SubjectPublicKeyInfo");
    };
    // RFC 5280 §4.1: SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier,
    // subjectPublicKey BIT STRING }
    const unsigned char* p = spki.data();
    long length = 0;
    int tag = 0;
    int tag_class = 0;
    const int info = ASN1_get_object(&p, &length, &tag, &tag_class, static_cast<long>(spki.size()));
    if (spki.empty() || info != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE ||
        tag_class != V_ASN1_UNIVERSAL || p + length != spki.data() + spki.size())
        refuse();
    const unsigned char* const end = p + length;
    X509AlgorPtr algorithm(d2i_X509_ALGOR(nullptr, &p, end - p));
    AsnBitStringPtr key_bits(algorithm ? d2i_ASN1_BIT_STRING(nullptr, &p, end - p) : nullptr);
    // Keys are whole octets: a BIT STRING with unused bits is no key Signet issues for.
    if (!algorithm || !key_bits || p != end || (key_bits->flags & 0x07) != 0 ||
        ASN1_STRING_length(key_bits.get()) <= 0)
        refuse();

    X509_PUBKEY* public_key = X509_get_X509_PUBKEY(cert);
    const ASN1_OBJECT* algorithm_oid = nullptr;
    X509_ALGOR_get0(&algorithm_oid, nullptr, nullptr, algorithm.get());
    const int size = ASN1_STRING_length(key_bits.get());
    OpensslBytesPtr bits(static_cast<unsigned char*>(
        OPENSSL_memdup(ASN1_STRING_get0_data(key_bits.get()), static_cast<std::size_t>(size))));
    AsnObjectPtr oid_copy(OBJ_dup(algorithm_oid));
    if (public_key == nullptr || !bits || !oid_copy ||
        X509_PUBKEY_set0_param(public_key, oid_copy.get(), V_ASN1_UNDEF, nullptr, bits.get(),
                               size) != 1)
        throw_openssl_error("cannot set the subject public key");
    // Taken over by the certificate (set0_param fails only before it takes either).
    (void)oid_copy.release();
    (void)bits.release();
    // Then the algorithm again, with its parameters (the curve, RSA's NULL) as they were.
    X509_ALGOR* stored_algorithm = nullptr;
    if (X509_PUBKEY_get0_param(nullptr, nullptr, nullptr, &stored_algorithm, public_key) != 1 ||
        stored_algorithm == nullptr || X509_ALGOR_copy(stored_algorithm, algorithm.get()) != 1)
        throw_openssl_error("cannot set the subject public key's algorithm");
}

X509Ptr build(const CertificateTemplate& tmpl, const X509* issuer,
              const std::function<void(X509*)>& set_key);

}  // namespace

X509Ptr build_certificate(const CertificateTemplate& tmpl, EVP_PKEY* subject_key,
                          const X509* issuer) {
    if (subject_key == nullptr)
        throw Error(Errc::invalid_argument, "no subject key");
    return build(tmpl, issuer, [subject_key](X509* cert) {
        if (X509_set_pubkey(cert, subject_key) != 1)
            throw_openssl_error("cannot set the subject public key");
    });
}

X509Ptr build_certificate(const CertificateTemplate& tmpl, ByteView subject_public_key_info,
                          const X509* issuer) {
    return build(tmpl, issuer, [subject_public_key_info](X509* cert) {
        set_public_key_info(cert, subject_public_key_info);
    });
}

namespace {

X509Ptr build(const CertificateTemplate& tmpl, const X509* issuer,
              const std::function<void(X509*)>& set_key) {
    if (tmpl.serial.empty() || tmpl.serial.size() > 20 || (tmpl.serial[0] & 0x80) != 0)
        throw Error(Errc::invalid_argument, "a serial is 1-20 octets and positive (§4.1.2.2)");
    if (tmpl.not_after <= tmpl.not_before)
        throw Error(Errc::invalid_argument, "notAfter must be after notBefore");
    if (tmpl.path_length && !tmpl.is_ca)
        throw Error(Errc::invalid_argument, "a path length is only for CA certificates");

    X509Ptr cert(X509_new());
    if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1)
        throw_openssl_error("cannot allocate a certificate");

    BignumPtr serial_bn(
        BN_bin2bn(tmpl.serial.data(), static_cast<int>(tmpl.serial.size()), nullptr));
    AsnIntegerPtr serial(serial_bn ? BN_to_ASN1_INTEGER(serial_bn.get(), nullptr) : nullptr);
    if (!serial || BN_is_zero(serial_bn.get()) ||
        X509_set_serialNumber(cert.get(), serial.get()) != 1)
        throw Error(Errc::invalid_argument, "the serial must be positive");

    const X509NamePtr subject = parse_distinguished_name(tmpl.subject);
    if (X509_set_subject_name(cert.get(), subject.get()) != 1 ||
        X509_set_issuer_name(
            cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : subject.get()) != 1)
        throw_openssl_error("cannot set the names");

    AsnTimePtr not_before(set_time(tmpl.not_before));
    AsnTimePtr not_after(set_time(tmpl.not_after));
    if (X509_set1_notBefore(cert.get(), not_before.get()) != 1 ||
        X509_set1_notAfter(cert.get(), not_after.get()) != 1)
        throw_openssl_error("cannot set the validity");
    set_key(cert.get());

    // basicConstraints, always, critical (§4.2.1.9 requires critical in CA certificates; for end
    // entities marking it critical too is allowed and keeps one rule for all).
    BasicConstraintsPtr bc(BASIC_CONSTRAINTS_new());
    bc->ca = tmpl.is_ca ? 0xff : 0;
    if (tmpl.path_length) {
        bc->pathlen = ASN1_INTEGER_new();
        ASN1_INTEGER_set(bc->pathlen, *tmpl.path_length);
    }
    add_extension(cert.get(), NID_basic_constraints, bc.get(), true);

    if (!tmpl.key_usage.empty()) {
        AsnBitStringPtr usage(ASN1_BIT_STRING_new());
        for (const auto& name : tmpl.key_usage) {
            if (ASN1_BIT_STRING_set_bit(usage.get(), key_usage_bit(name), 1) != 1)
                throw_openssl_error("cannot set a key usage bit");
        }
        add_extension(cert.get(), NID_key_usage, usage.get(),
                      true);  // §4.2.1.3: SHOULD be critical
    }
    if (!tmpl.extended_key_usage.empty()) {
        EkuPtr eku(sk_ASN1_OBJECT_new_null());
        for (const auto& purpose : tmpl.extended_key_usage)
            sk_ASN1_OBJECT_push(eku.get(), oid(purpose));
        add_extension(cert.get(), NID_ext_key_usage, eku.get(), tmpl.eku_critical);
    }
    if (!tmpl.certificate_policies.empty()) {
        PoliciesPtr policies(sk_POLICYINFO_new_null());
        for (const auto& policy : tmpl.certificate_policies) {
            POLICYINFO* info = POLICYINFO_new();
            info->policyid = oid(policy);
            sk_POLICYINFO_push(policies.get(), info);
        }
        add_extension(cert.get(), NID_certificate_policies, policies.get(), false);
    }

    const Bytes ski = subject_key_id(cert.get());
    AsnOctetStringPtr ski_value(ASN1_OCTET_STRING_new());
    ASN1_OCTET_STRING_set(ski_value.get(), ski.data(), static_cast<int>(ski.size()));
    add_extension(cert.get(), NID_subject_key_identifier, ski_value.get(), false);

    // §4.2.1.1: the keyIdentifier of the issuer's SKI; a self-signed certificate's own.
    const ASN1_OCTET_STRING* issuer_ski =
        issuer != nullptr ? X509_get0_subject_key_id(const_cast<X509*>(issuer)) : ski_value.get();
    if (issuer_ski == nullptr)
        throw Error(Errc::invalid_argument, "the issuer certificate has no subjectKeyIdentifier");
    AkidPtr akid(AUTHORITY_KEYID_new());
    akid->keyid = ASN1_OCTET_STRING_dup(issuer_ski);
    add_extension(cert.get(), NID_authority_key_identifier, akid.get(), false);

    if (!tmpl.ocsp_url.empty() || !tmpl.ca_issuers_url.empty()) {
        AiaPtr aia(sk_ACCESS_DESCRIPTION_new_null());
        auto add = [&](int method, const std::string& url) {
            ACCESS_DESCRIPTION* ad = ACCESS_DESCRIPTION_new();
            ASN1_OBJECT_free(ad->method);
            ad->method = OBJ_nid2obj(method);
            GENERAL_NAME_free(ad->location);
            ad->location = uri_name(url);
            sk_ACCESS_DESCRIPTION_push(aia.get(), ad);
        };
        if (!tmpl.ocsp_url.empty())
            add(NID_ad_OCSP, tmpl.ocsp_url);
        if (!tmpl.ca_issuers_url.empty())
            add(NID_ad_ca_issuers, tmpl.ca_issuers_url);
        add_extension(cert.get(), NID_info_access, aia.get(), false);
    }
    if (!tmpl.crl_distribution_point.empty()) {
        CrlDpPtr points(sk_DIST_POINT_new_null());
        DIST_POINT* point = DIST_POINT_new();
        point->distpoint = DIST_POINT_NAME_new();
        point->distpoint->type = 0;  // fullName
        point->distpoint->name.fullname = sk_GENERAL_NAME_new_null();
        sk_GENERAL_NAME_push(point->distpoint->name.fullname,
                             uri_name(tmpl.crl_distribution_point));
        sk_DIST_POINT_push(points.get(), point);
        add_extension(cert.get(), NID_crl_distribution_points, points.get(), false);
    }
    if (tmpl.ocsp_no_check) {
        AsnNullPtr null(ASN1_NULL_new());
        add_extension(cert.get(), NID_id_pkix_OCSP_noCheck, null.get(), false);
    }
    return cert;
}

}  // namespace

void sign_certificate(X509* cert, EVP_PKEY* issuer_key) {
    const KeyType type = key_type_of(issuer_key);
    const EVP_MD* md = signature_digest(type) == Digest::sha384 ? EVP_sha384() : EVP_sha256();
    if (X509_sign(cert, issuer_key, md) <= 0)
        throw_openssl_error("cannot sign the certificate");
}

void set_signature_algorithm(X509* cert, KeyType issuer_key_type) {
    // RFC 5758 §3.2: ecdsa-with-SHA256/384 "MUST omit the parameters field"; RFC 4055 §5 (and
    // RFC 8017 A.2.4): sha256WithRSAEncryption's parameters are NULL. What OpenSSL's providers
    // write when they sign, which step 4 of the cycle checks byte for byte.
    const bool ec = is_ec(issuer_key_type);
    const int nid = !ec ? NID_sha256WithRSAEncryption
                    : signature_digest(issuer_key_type) == Digest::sha384 ? NID_ecdsa_with_SHA384
                                                                          : NID_ecdsa_with_SHA256;
    const ASN1_BIT_STRING* signature = nullptr;
    const X509_ALGOR* outer = nullptr;
    X509_get0_signature(&signature, &outer, cert);
    // OpenSSL 3.0 has no setter for a certificate's AlgorithmIdentifiers short of signing; the
    // getters return the certificate's own members, which `cert` (not const) lets us change.
    for (const X509_ALGOR* algorithm : {X509_get0_tbs_sigalg(cert), outer}) {
        if (algorithm == nullptr ||
            X509_ALGOR_set0(const_cast<X509_ALGOR*>(algorithm), OBJ_nid2obj(nid),
                            ec ? V_ASN1_UNDEF : V_ASN1_NULL, nullptr) != 1)
            throw_openssl_error("cannot set the certificate's signature algorithm");
    }
    if (signature == nullptr ||
        ASN1_BIT_STRING_set(const_cast<ASN1_BIT_STRING*>(signature), nullptr, 0) != 1)
        throw_openssl_error("cannot clear the certificate's signature");
}

Bytes public_key_der(EVP_PKEY* key) {
    unsigned char* der = nullptr;
    const int size = i2d_PUBKEY(key, &der);
    if (size <= 0)
        throw_openssl_error("cannot encode the public key");
    Bytes out(der, der + size);
    OPENSSL_free(der);
    return out;
}

Bytes certificate_der(const X509* cert) {
    unsigned char* der = nullptr;
    const int size = i2d_X509(cert, &der);
    if (size <= 0)
        throw_openssl_error("cannot encode the certificate");
    Bytes out(der, der + size);
    OPENSSL_free(der);
    return out;
}

Bytes tbs_der(X509* cert) {
    unsigned char* der = nullptr;
    const int size = i2d_re_X509_tbs(cert, &der);
    if (size <= 0)
        throw_openssl_error("cannot encode the tbsCertificate");
    Bytes out(der, der + size);
    OPENSSL_free(der);
    return out;
}

X509Ptr certificate_from_der(ByteView der) {
    const unsigned char* p = der.data();
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert || p != der.data() + der.size())
        throw Error(Errc::invalid_argument, "not one DER certificate");
    return cert;
}

std::string certificate_pem(const X509* cert) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
        throw_openssl_error("cannot write PEM");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

X509Ptr certificate_from_pem_or_der(ByteView data) {
    const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
    if (text.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
        BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
        X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
        if (!cert)
            throw Error(Errc::invalid_argument, "not a PEM certificate");
        return cert;
    }
    return certificate_from_der(data);
}

namespace {

std::string colon_hex(ByteView digest) {
    const std::string hex = to_hex(digest);
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2)
        out += (i == 0 ? "" : ":") + hex.substr(i, 2);
    return out;
}

}  // namespace

std::string sha256_fingerprint(const X509* cert) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (X509_digest(cert, EVP_sha256(), md, &size) != 1)
        throw_openssl_error("cannot compute the fingerprint");
    return colon_hex({md, size});
}

std::string sha256_fingerprint(ByteView certificate_der) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(certificate_der.data(), certificate_der.size(), md, &size, EVP_sha256(),
                   nullptr) != 1)
        throw_openssl_error("cannot compute the fingerprint");
    return colon_hex({md, size});
}

std::string serial_hex(ByteView serial) {
    return to_hex(serial);
}

}  // namespace signet::ca
