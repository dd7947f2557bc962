#include "sign/tsa_time_stamper.hpp"

#include <openssl/rand.h>
#include <openssl/ts.h>

#include <algorithm>
#include <string>

#include "common/der.hpp"
#include "common/digest_nid.hpp"
#include "common/error.hpp"
#include "sign/cms_algorithms.hpp"
#include "tsa/asn1.hpp"
#include "tsa/protocol.hpp"

namespace signet::sign {

namespace {

// RFC 3161 §2.4.1: "The nonce ... is a large random number with a high probability that the
// client generates it only once"; 64 bits, positive, its first octet not zero (minimal DER).
Asn1IntegerPtr random_nonce() {
    Bytes random(8);
    check_openssl(RAND_bytes(random.data(), static_cast<int>(random.size())), "no random nonce");
    random[0] = static_cast<std::uint8_t>((random[0] & 0x7f) | 0x01);
    return tsa::integer_from_magnitude(random);
}

Bytes make_request(Digest algorithm, ByteView imprint, const ASN1_INTEGER* nonce) {
    TsReqPtr request(TS_REQ_new());
    X509AlgorPtr hash_algorithm(X509_ALGOR_new());
    TsMsgImprintPtr message(TS_MSG_IMPRINT_new());
    if (!request || !hash_algorithm || !message)
        throw_openssl_error("cannot make a TimeStampReq");
    X509_ALGOR_set0(hash_algorithm.get(), OBJ_nid2obj(digest_nid(algorithm)), V_ASN1_NULL,
                    nullptr);
    check_openssl(
        TS_REQ_set_version(request.get(), 1) &&
            TS_MSG_IMPRINT_set_algo(message.get(), hash_algorithm.get()) &&
            TS_MSG_IMPRINT_set_msg(message.get(), const_cast<std::uint8_t*>(imprint.data()),
                                   static_cast<int>(imprint.size())) &&
            TS_REQ_set_msg_imprint(request.get(), message.get()) &&
            TS_REQ_set_nonce(request.get(), nonce) && TS_REQ_set_cert_req(request.get(), 1),
        "cannot make a TimeStampReq");
    return to_der(i2d_TS_REQ, request.get());
}

[[noreturn]] void refused(const tsa::Reply& reply) {
    const tsa::Failure failure = *reply.failure;
    // The TSA's clock or its database cannot serve now: the caller may retry later.
    const bool transient =
        failure == tsa::Failure::time_not_available || failure == tsa::Failure::system_failure;
    throw Error(transient ? Errc::unavailable : Errc::failed_precondition,
                "the TSA refused the time-stamp (" + std::string(tsa::to_string(failure)) +
                    "): " + reply.reason);
}

// The token of a granted response, after checking it is the answer to this request.
Bytes granted_token(const tsa::Reply& reply, Digest algorithm, ByteView imprint,
                    const ASN1_INTEGER* nonce) {
    const unsigned char* cursor = reply.der.data();
    const TsRespPtr response(d2i_TS_RESP(nullptr, &cursor, static_cast<long>(reply.der.size())));
    if (!response)
        throw_openssl_error("the TSA's response does not decode");
    const long status =
        ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(response.get())));
    // Only granted: grantedWithMods would mean the TSA changed what was asked.
    if (status != TS_STATUS_GRANTED) {
        throw Error(Errc::failed_precondition,
                    "the TSA answered status " + std::to_string(status) + ", not granted");
    }
    PKCS7* token = TS_RESP_get_token(response.get());
    TS_TST_INFO* info = TS_RESP_get_tst_info(response.get());
    if (token == nullptr || info == nullptr)
        throw Error(Errc::internal, "the TSA granted a time-stamp without a token");
    TS_MSG_IMPRINT* message = TS_TST_INFO_get_msg_imprint(info);
    const ASN1_OCTET_STRING* hashed = TS_MSG_IMPRINT_get_msg(message);
    const ByteView echoed(ASN1_STRING_get0_data(hashed),
                          static_cast<std::size_t>(ASN1_STRING_length(hashed)));
    const ASN1_INTEGER* echoed_nonce = TS_TST_INFO_get_nonce(info);
    if (OBJ_obj2nid(TS_MSG_IMPRINT_get_algo(message)->algorithm) != digest_nid(algorithm) ||
        !std::equal(echoed.begin(), echoed.end(), imprint.begin(), imprint.end()) ||
        echoed_nonce == nullptr ||
        tsa::integer_content(echoed_nonce) != tsa::integer_content(nonce)) {
        throw Error(Errc::internal,
                    "the TSA's token does not echo the request's imprint and nonce");
    }
    return to_der(i2d_PKCS7, token);
}

}  // namespace

namespace {

Bytes time_stamp(tsa::Responder& responder, const tsa::Requester& requester, Digest algorithm,
                 ByteView imprint, const ASN1_INTEGER* nonce) {
    const auto& accepted = responder.settings().digests;
    if (std::find(accepted.begin(), accepted.end(), algorithm) == accepted.end()) {
        throw Error(Errc::failed_precondition, "the TSA's policy does not accept " +
                                                   std::string(to_string(algorithm)) +
                                                   " imprints");
    }
    if (imprint.size() != digest_size(algorithm))
        throw Error(Errc::invalid_argument, "the imprint is not a digest of its algorithm");
    const tsa::Reply reply = responder.respond(make_request(algorithm, imprint, nonce), requester);
    if (reply.failure)
        refused(reply);
    return granted_token(reply, algorithm, imprint, nonce);
}

}  // namespace

TimeStamper tsa_time_stamper(tsa::Responder& responder, tsa::Requester requester) {
    return [&responder, requester = std::move(requester)](Digest algorithm, ByteView imprint) {
        const Asn1IntegerPtr nonce = random_nonce();
        return time_stamp(responder, requester, algorithm, imprint, nonce.get());
    };
}

Bytes time_stamp_with_nonce(tsa::Responder& responder, const tsa::Requester& requester,
                            Digest algorithm, ByteView imprint, ByteView nonce) {
    // The content octets may need one more than the magnitude (a leading 0x00 for a high bit).
    if (nonce.size() >= tsa::kMaxNonceBytes)
        throw Error(Errc::invalid_argument, "the nonce is longer than " +
                                                std::to_string(tsa::kMaxNonceBytes - 1) +
                                                " bytes");
    const Asn1IntegerPtr integer = tsa::integer_from_magnitude(nonce);
    return time_stamp(responder, requester, algorithm, imprint, integer.get());
}

}  // namespace signet::sign
