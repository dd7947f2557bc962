#include "tsa/protocol.hpp"

#include <openssl/x509.h>

#include <algorithm>
#include <cctype>

#include "common/der.hpp"

namespace signet::tsa {

namespace {

Rejection reject(Failure failure, std::string reason) {
    return {failure, std::move(reason)};
}

std::optional<Digest> digest_for(int nid) {
    switch (nid) {
        case NID_sha256:
            return Digest::sha256;
        case NID_sha384:
            return Digest::sha384;
        case NID_sha512:
            return Digest::sha512;
        default:
            return std::nullopt;
    }
}

// How an algorithm is named in a statusString: OpenSSL's short name when it knows the OID
// (a fixed ASCII table), else the dotted OID — never bytes from the request as such.
std::string algorithm_name(const ASN1_OBJECT* oid) {
    const int nid = OBJ_obj2nid(oid);
    if (nid != NID_undef) {
        if (const char* name = OBJ_nid2sn(nid); name != nullptr)
            return name;
    }
    std::string text = oid_text(oid);
    if (text.size() > 64)
        text = text.substr(0, 64) + "...";
    return text;
}

// The accepted digests as signet.yaml names them: "sha256, sha384".
std::string policy_list(const policy::TsaSettings& settings) {
    std::string list;
    for (Digest d : settings.digests) {
        std::string name(to_string(d));
        for (auto& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        list += (list.empty() ? "" : ", ") + name;
    }
    return list;
}

// A BIT STRING with one named bit set. X.690 §11.2.2: in DER a named-bit list has no trailing
// zero bits, so the string ends in the octet holding the bit, and the unused-bits octet counts
// the bits after it.
Bytes named_bit(int bit) {
    const std::size_t octets = static_cast<std::size_t>(bit) / 8 + 1;
    Bytes content(1 + octets, 0);
    content[0] = static_cast<std::uint8_t>(7 - bit % 8);
    content[octets] = static_cast<std::uint8_t>(0x80 >> (bit % 8));
    return der_tlv(V_ASN1_BIT_STRING, content);
}

// The statusString: printable ASCII, at most kMaxStatusTextBytes. PKIFreeText is UTF-8, but
// common clients (openssl ts -reply -text, jarsigner) print every other byte as an escape, and a
// cut in the middle of a multi-byte sequence would not even be UTF-8. The texts are written in
// ASCII; this keeps a text from elsewhere (an exception's message) from breaking the rule:
// anything else becomes '?'.
std::string status_text(std::string_view reason) {
    std::string text(reason.substr(0, kMaxStatusTextBytes));
    for (char& c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte > 0x7e)
            c = '?';
    }
    return text;
}

}  // namespace

std::string_view to_string(Failure failure) noexcept {
    switch (failure) {
        case Failure::bad_alg:
            return "badAlg";
        case Failure::bad_request:
            return "badRequest";
        case Failure::bad_data_format:
            return "badDataFormat";
        case Failure::time_not_available:
            return "timeNotAvailable";
        case Failure::unaccepted_policy:
            return "unacceptedPolicy";
        case Failure::unaccepted_extension:
            return "unacceptedExtension";
        case Failure::add_info_not_available:
            return "addInfoNotAvailable";
        case Failure::system_failure:
            return "systemFailure";
    }
    return "unknown";
}

std::variant<CheckedRequest, Rejection> check_request(ByteView der,
                                                      const policy::TsaSettings& settings) {
    if (der.empty())
        return reject(Failure::bad_data_format, "the request is empty");
    if (der.size() > kMaxRequestBytes) {
        return reject(Failure::bad_data_format,
                      "the request is larger than " + std::to_string(kMaxRequestBytes) + " bytes");
    }
    // OpenSSL's decoder also takes BER and ignores what follows the first object; DER (RFC 3161
    // §2.4.1 defines the request in DER, X.690 §10) is checked by encoding the decoded request
    // again: the bytes must come back exactly, and all of them.
    const unsigned char* cursor = der.data();
    TsReqPtr request(d2i_TS_REQ(nullptr, &cursor, static_cast<long>(der.size())));
    if (!request) {
        clear_openssl_errors();
        return reject(Failure::bad_data_format,
                      "the request is not a TimeStampReq (RFC 3161 section 2.4.1)");
    }
    if (cursor != der.data() + der.size())
        return reject(Failure::bad_data_format, "the request has bytes after the TimeStampReq");
    unsigned char* encoded = nullptr;
    const int encoded_size = i2d_TS_REQ(request.get(), &encoded);
    const bool is_der =
        encoded_size == static_cast<int>(der.size()) && std::equal(der.begin(), der.end(), encoded);
    OPENSSL_free(encoded);
    if (!is_der) {
        clear_openssl_errors();
        return reject(Failure::bad_data_format,
                      "the request is not DER-encoded (X.690 section 10)");
    }

    // RFC 3161 §2.4.1: "The version field (currently v1) describes the version of the
    // time-stamp request."
    if (TS_REQ_get_version(request.get()) != 1) {
        return reject(Failure::bad_request, "the request's version is not 1");
    }

    TS_MSG_IMPRINT* imprint = TS_REQ_get_msg_imprint(request.get());
    X509_ALGOR* algorithm = TS_MSG_IMPRINT_get_algo(imprint);
    const ASN1_OBJECT* algorithm_oid = nullptr;
    int parameter_type = V_ASN1_UNDEF;
    const void* parameter = nullptr;
    X509_ALGOR_get0(&algorithm_oid, &parameter_type, &parameter, algorithm);
    const std::optional<Digest> digest = digest_for(OBJ_obj2nid(algorithm_oid));
    if (!digest || std::ranges::find(settings.digests, *digest) == settings.digests.end()) {
        // RFC 5816 and the policy: SHA-1 and MD5 are never accepted, whatever is configured.
        return reject(Failure::bad_alg, "the hash algorithm " + algorithm_name(algorithm_oid) +
                                            " is not accepted (" + policy_list(settings) + ")");
    }
    // RFC 5754 §2: the SHA-2 AlgorithmIdentifier's parameters are absent, or NULL from
    // implementations that add it; anything else is not this algorithm.
    if (parameter_type != V_ASN1_UNDEF && parameter_type != V_ASN1_NULL) {
        return reject(
            Failure::bad_alg,
            "the hash algorithm's parameters must be absent or NULL (RFC 5754 section 2)");
    }
    const ASN1_OCTET_STRING* hashed = TS_MSG_IMPRINT_get_msg(imprint);
    const std::size_t expected = digest_size(*digest);
    if (static_cast<std::size_t>(ASN1_STRING_length(hashed)) != expected) {
        return reject(Failure::bad_data_format,
                      "the hashedMessage has " + std::to_string(ASN1_STRING_length(hashed)) +
                          " bytes where " + std::string(to_string(*digest)) + " has " +
                          std::to_string(expected));
    }

    CheckedRequest checked;
    checked.digest = *digest;
    const unsigned char* hashed_data = ASN1_STRING_get0_data(hashed);
    checked.imprint.assign(hashed_data, hashed_data + expected);
    // The request is DER (checked above), so this encoding is the bytes it was sent as.
    checked.message_imprint_der = to_der(i2d_TS_MSG_IMPRINT, static_cast<const TS_MSG_IMPRINT*>(imprint));

    // RFC 3161 §2.4.1: "If the TSA does not accept the requested policy, an error ... is
    // returned"; with no reqPolicy the TSA's default applies.
    checked.policy = settings.policy_oid;
    if (const ASN1_OBJECT* requested = TS_REQ_get_policy_id(request.get()); requested != nullptr) {
        std::string text = oid_text(requested);
        const bool accepted =
            text == settings.policy_oid ||
            std::ranges::find(settings.accepted_policies, text) != settings.accepted_policies.end();
        if (!accepted) {
            if (text.size() > 64)
                text = text.substr(0, 64) + "...";
            return reject(Failure::unaccepted_policy, "the policy " + text + " is not accepted");
        }
        checked.policy = std::move(text);
    }

    if (const ASN1_INTEGER* nonce = TS_REQ_get_nonce(request.get()); nonce != nullptr) {
        Bytes content = integer_content(nonce);
        if (content.size() > kMaxNonceBytes) {
            return reject(Failure::bad_data_format,
                          "the nonce is longer than " + std::to_string(kMaxNonceBytes) + " bytes");
        }
        checked.nonce = std::move(content);
    }

    // RFC 3161 §2.4.1: "If an extension ... is not recognized by the server, the server SHALL
    // not issue a token and SHALL return a failure (unacceptedExtension)." This TSA recognizes
    // none. An empty extensions field (which SIZE (1..MAX) forbids) is refused the same way.
    if (const STACK_OF(X509_EXTENSION)* extensions = TS_REQ_get_exts(request.get());
        extensions != nullptr) {
        std::string first = "an empty extensions field";
        if (sk_X509_EXTENSION_num(extensions) > 0) {
            first =
                "the extension " +
                algorithm_name(X509_EXTENSION_get_object(sk_X509_EXTENSION_value(extensions, 0)));
        }
        return reject(Failure::unaccepted_extension,
                      first + " is not accepted (this TSA accepts no extension)");
    }

    checked.cert_req = TS_REQ_get_cert_req(request.get()) != 0;
    return checked;
}

Bytes rejection_response(const Rejection& rejection) {
    // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken OPTIONAL }
    // PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL,
    //                              failInfo PKIFailureInfo OPTIONAL }
    // PKIStatus rejection (2); PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String.
    const std::string text = status_text(rejection.reason);
    Bytes status_info = {V_ASN1_INTEGER, 0x01, 0x02};
    const Bytes utf8 = der_tlv(V_ASN1_UTF8STRING, as_bytes(text));
    const Bytes free_text = der_tlv(V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, utf8);
    status_info.insert(status_info.end(), free_text.begin(), free_text.end());
    const Bytes fail_info = named_bit(static_cast<int>(rejection.failure));
    status_info.insert(status_info.end(), fail_info.begin(), fail_info.end());
    const Bytes status = der_tlv(V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, status_info);
    return der_tlv(V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, status);
}

}  // namespace signet::tsa
