#include "ca/x509.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>

#include "ca/subject_alt_name.hpp"
#include "common/der.hpp"
#include "common/der_reader.hpp"
#include "common/digest.hpp"
#include "common/error.hpp"

namespace signet::ca {

namespace {

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

void check_rsa_public_exponent(const EVP_PKEY* key) {
    if (key == nullptr || !EVP_PKEY_is_a(key, "RSA"))
        return;
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &raw) != 1) {
        clear_openssl_errors();
        throw Error(Errc::invalid_argument, "the RSA public exponent cannot be read");
    }
    const BignumPtr e(raw);
    if (BN_is_word(e.get(), RSA_F4))
        return;
    // Shown in decimal when small, else by its size: the message stays short.
    const std::string shown = BN_num_bits(e.get()) <= 64
                                  ? std::to_string(BN_get_word(e.get()))
                                  : "of " + std::to_string(BN_num_bits(e.get())) + " bits";
    throw Error(Errc::invalid_argument,
                "RSA public exponent " + shown +
                    " is not allowed: only 65537 (CA/Browser Forum Baseline Requirements §6.1.6)");
}

namespace {

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
    Asn1BitStringPtr key_bits(algorithm ? d2i_ASN1_BIT_STRING(nullptr, &p, end - p) : nullptr);
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
    Asn1ObjectPtr oid_copy(OBJ_dup(algorithm_oid));
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

void set_ocsp_responder_profile(CertificateTemplate& tmpl) {
    tmpl.key_usage = {"digitalSignature"};
    tmpl.extended_key_usage = {kOcspSigningEku};
    tmpl.ocsp_no_check = true;
}

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
    Asn1IntegerPtr serial(serial_bn ? BN_to_ASN1_INTEGER(serial_bn.get(), nullptr) : nullptr);
    if (!serial || BN_is_zero(serial_bn.get()) ||
        X509_set_serialNumber(cert.get(), serial.get()) != 1)
        throw Error(Errc::invalid_argument, "the serial must be positive");

    const X509NamePtr subject = make_name(tmpl.subject);
    if (X509_set_subject_name(cert.get(), subject.get()) != 1 ||
        X509_set_issuer_name(
            cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : subject.get()) != 1)
        throw_openssl_error("cannot set the names");

    Asn1TimePtr not_before(set_time(tmpl.not_before));
    Asn1TimePtr not_after(set_time(tmpl.not_after));
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
        Asn1BitStringPtr usage(ASN1_BIT_STRING_new());
        for (const auto& name : tmpl.key_usage) {
            if (ASN1_BIT_STRING_set_bit(usage.get(), key_usage_bit(name), 1) != 1)
                throw_openssl_error("cannot set a key usage bit");
        }
        add_extension(cert.get(), NID_key_usage, usage.get(),
                      true);  // §4.2.1.3: SHOULD be critical
    }
    if (!tmpl.extended_key_usage.empty()) {
        ExtendedKeyUsagePtr eku(sk_ASN1_OBJECT_new_null());
        for (const auto& purpose : tmpl.extended_key_usage)
            sk_ASN1_OBJECT_push(eku.get(), oid(purpose));
        add_extension(cert.get(), NID_ext_key_usage, eku.get(), tmpl.eku_critical);
    }
    if (!tmpl.certificate_policies.empty()) {
        CertificatePoliciesPtr policies(sk_POLICYINFO_new_null());
        for (const auto& policy : tmpl.certificate_policies) {
            POLICYINFO* info = POLICYINFO_new();
            info->policyid = oid(policy);
            sk_POLICYINFO_push(policies.get(), info);
        }
        add_extension(cert.get(), NID_certificate_policies, policies.get(), false);
    }

    const Bytes ski = subject_key_id(cert.get());
    Asn1OctetStringPtr ski_value(ASN1_OCTET_STRING_new());
    ASN1_OCTET_STRING_set(ski_value.get(), ski.data(), static_cast<int>(ski.size()));
    add_extension(cert.get(), NID_subject_key_identifier, ski_value.get(), false);

    // §4.2.1.1: the keyIdentifier of the issuer's SKI; a self-signed certificate's own.
    const ASN1_OCTET_STRING* issuer_ski =
        issuer != nullptr ? X509_get0_subject_key_id(const_cast<X509*>(issuer)) : ski_value.get();
    if (issuer_ski == nullptr)
        throw Error(Errc::invalid_argument, "the issuer certificate has no subjectKeyIdentifier");
    AuthorityKeyIdPtr akid(AUTHORITY_KEYID_new());
    akid->keyid = ASN1_OCTET_STRING_dup(issuer_ski);
    add_extension(cert.get(), NID_authority_key_identifier, akid.get(), false);

    if (!tmpl.ocsp_url.empty() || !tmpl.ca_issuers_url.empty()) {
        AuthorityInfoAccessPtr aia(sk_ACCESS_DESCRIPTION_new_null());
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
        CrlDistPointsPtr points(sk_DIST_POINT_new_null());
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
        Asn1NullPtr null(ASN1_NULL_new());
        add_extension(cert.get(), NID_id_pkix_OCSP_noCheck, null.get(), false);
    }
    if (!tmpl.dns_names.empty() || !tmpl.ip_addresses.empty()) {
        // RFC 5280 §4.2.1.6: critical when the subject is empty, non-critical otherwise.
        const GeneralNamesPtr names = make_subject_alt_names(tmpl.dns_names, tmpl.ip_addresses);
        add_extension(cert.get(), NID_subject_alt_name, names.get(), tmpl.subject.empty());
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
    return to_der(i2d_PUBKEY, static_cast<const EVP_PKEY*>(key));
}

Bytes certificate_der(const X509* cert) {
    return to_der(i2d_X509, cert);
}

Bytes tbs_der(X509* cert) {
    return to_der(i2d_re_X509_tbs, cert);
}

X509Ptr certificate_from_der(ByteView der) {
    const unsigned char* p = der.data();
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert || p != der.data() + der.size())
        throw Error(Errc::invalid_argument, "not one DER certificate");
    return cert;
}

namespace {

[[noreturn]] void not_a_certificate(std::string_view why) {
    throw Error(Errc::invalid_argument, "not one DER certificate: " + std::string(why));
}

// One field, decoded by OpenSSL's d2i for its type, all of it consumed.
template <class Owner, class T>
Owner field(T* (*d2i)(T**, const unsigned char**, long), const der::Element& element,
            std::string_view what) {
    const unsigned char* p = element.encoding.data();
    Owner out(d2i(nullptr, &p, static_cast<long>(element.encoding.size())));
    if (!out || p != element.encoding.data() + element.encoding.size()) {
        clear_openssl_errors();
        not_a_certificate(std::string("its ") + std::string(what) + " cannot be read");
    }
    return out;
}

// Sets one of the certificate's AlgorithmIdentifiers (OpenSSL 3.0 has no setter short of
// signing; the getters return the certificate's own members, see set_signature_algorithm).
void set_algorithm(const X509_ALGOR* member, const X509_ALGOR* value) {
    if (member == nullptr || X509_ALGOR_copy(const_cast<X509_ALGOR*>(member), value) != 1)
        throw_openssl_error("cannot set a signature algorithm");
}

}  // namespace

CertificateFields certificate_fields_from_der(ByteView der) {
    CertificateFields out;
    out.certificate.reset(X509_new());
    if (!out.certificate)
        throw_openssl_error("cannot allocate a certificate");
    X509* cert = out.certificate.get();
    try {
        // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
        const der::Element certificate = der::read_only(der, der::kSequence, "the certificate");
        ByteView parts = certificate.content;
        const der::Element tbs = der::read(parts, der::kSequence, "the tbsCertificate");
        const der::Element outer =
            der::read(parts, der::kSequence, "the signatureAlgorithm");
        (void)der::read(parts, der::kBitString, "the signatureValue");
        if (!parts.empty())
            not_a_certificate("data after its signatureValue");

        // TBSCertificate ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1,
        //   serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo,
        //   issuerUniqueID [1] IMPLICIT OPTIONAL, subjectUniqueID [2] IMPLICIT OPTIONAL,
        //   extensions [3] EXPLICIT Extensions OPTIONAL }
        ByteView fields = tbs.content;
        der::Element next = der::read(fields, "the tbsCertificate's first field");
        long version = X509_VERSION_1;
        if (next.tag == der::kContext0) {
            const auto integer = field<Asn1IntegerPtr>(
                d2i_ASN1_INTEGER, der::read_only(next.content, der::kInteger, "the version"),
                "version");
            version = ASN1_INTEGER_get(integer.get());
            next = der::read(fields, "the serialNumber");
        }
        if (next.tag != der::kInteger)
            not_a_certificate("its serialNumber is not an INTEGER");
        const auto serial = field<Asn1IntegerPtr>(d2i_ASN1_INTEGER, next, "serialNumber");
        const auto signature = field<X509AlgorPtr>(
            d2i_X509_ALGOR, der::read(fields, der::kSequence, "the signature"), "signature");
        const auto issuer = field<X509NamePtr>(
            d2i_X509_NAME, der::read(fields, der::kSequence, "the issuer"), "issuer");
        const der::Element validity = der::read(fields, der::kSequence, "the validity");
        ByteView times = validity.content;
        const auto not_before =
            field<Asn1TimePtr>(d2i_ASN1_TIME, der::read(times, "the notBefore"), "notBefore");
        const auto not_after =
            field<Asn1TimePtr>(d2i_ASN1_TIME, der::read(times, "the notAfter"), "notAfter");
        if (!times.empty())
            not_a_certificate("data after its notAfter");
        const auto subject = field<X509NamePtr>(
            d2i_X509_NAME, der::read(fields, der::kSequence, "the subject"), "subject");
        const der::Element key = der::read(fields, der::kSequence, "the subjectPublicKeyInfo");
        std::vector<der::Element> extensions;
        while (!fields.empty()) {
            const der::Element optional = der::read(fields, "the tbsCertificate's last fields");
            // [1] and [2] IMPLICIT UniqueIdentifier (BIT STRING), primitive or constructed.
            if ((optional.tag & 0xdf) == 0x81 || (optional.tag & 0xdf) == 0x82) {
                out.unique_identifiers = true;
            } else if (optional.tag == der::kContext3 && fields.empty()) {
                const der::Element list =
                    der::read_only(optional.content, der::kSequence, "the extensions");
                extensions = der::read_all(list.content, 64, "the extensions");
            } else {
                not_a_certificate("a field after its subjectPublicKeyInfo that is none of "
                                  "issuerUniqueID, subjectUniqueID, extensions");
            }
        }
        const auto outer_algorithm =
            field<X509AlgorPtr>(d2i_X509_ALGOR, outer, "signatureAlgorithm");

        if (X509_set_version(cert, version) != 1 ||
            X509_set_serialNumber(cert, serial.get()) != 1 ||
            X509_set_issuer_name(cert, issuer.get()) != 1 ||
            X509_set1_notBefore(cert, not_before.get()) != 1 ||
            X509_set1_notAfter(cert, not_after.get()) != 1 ||
            X509_set_subject_name(cert, subject.get()) != 1)
            throw_openssl_error("cannot set the certificate's fields");
        set_algorithm(X509_get0_tbs_sigalg(cert), signature.get());
        const X509_ALGOR* outer_member = nullptr;
        X509_get0_signature(nullptr, &outer_member, cert);
        set_algorithm(outer_member, outer_algorithm.get());
        set_public_key_info(cert, key.encoding);
        out.public_key_info.assign(key.encoding.begin(), key.encoding.end());
        // Added as they come, duplicates too: X509_add_ext appends without looking.
        for (const der::Element& extension : extensions) {
            const auto value = field<X509ExtensionPtr>(d2i_X509_EXTENSION, extension, "extension");
            if (X509_add_ext(cert, value.get(), -1) != 1)
                throw_openssl_error("cannot add an extension");
        }
    } catch (const Error& e) {
        if (e.code() != Errc::invalid_argument || std::string_view(e.what()).starts_with("not one"))
            throw;
        not_a_certificate(e.what());
    }
    return out;
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
    const Sha256Digest md = sha256_of(certificate_der);
    return colon_hex(md);
}

std::string serial_hex(ByteView serial) {
    return to_hex(serial);
}

}  // namespace signet::ca
