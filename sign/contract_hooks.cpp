#include "sign/contract_hooks.hpp"

#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "common/der.hpp"
#include "common/error.hpp"
#include "common/handle.hpp"
#include "tsa/responder.hpp"

namespace signet::sign {

namespace {

// A TimeStampReq (RFC 3161 §2.4.1) for a SHA-256 digest: version 1, a 64-bit nonce, certReq.
Bytes timestamp_request(ByteView sha256) {
    if (sha256.size() != 32)
        throw Error(Errc::internal, "an event's digest is a SHA-256 (32 bytes)");
    TsReqPtr request(TS_REQ_new());
    X509AlgorPtr algorithm(X509_ALGOR_new());
    TsMsgImprintPtr imprint(TS_MSG_IMPRINT_new());
    if (!request || !algorithm || !imprint)
        throw_openssl_error("a time-stamp request");
    check_openssl(TS_REQ_set_version(request.get(), 1), "TS_REQ_set_version");
    check_openssl(X509_ALGOR_set0(algorithm.get(), OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr),
                  "X509_ALGOR_set0");
    check_openssl(TS_MSG_IMPRINT_set_algo(imprint.get(), algorithm.get()), "the imprint's digest");
    check_openssl(TS_MSG_IMPRINT_set_msg(imprint.get(), const_cast<std::uint8_t*>(sha256.data()),
                                         static_cast<int>(sha256.size())),
                  "the imprint");
    check_openssl(TS_REQ_set_msg_imprint(request.get(), imprint.get()), "TS_REQ_set_msg_imprint");
    // The nonce ties the answer to this request (RFC 3161 §2.4.1): positive, 63 random bits.
    std::uint8_t random[8];
    check_openssl(RAND_bytes(random, sizeof random), "RAND_bytes");
    random[0] = static_cast<std::uint8_t>((random[0] & 0x7f) | 0x01);
    BignumPtr number(BN_bin2bn(random, sizeof random, nullptr));
    Asn1IntegerPtr nonce(number ? BN_to_ASN1_INTEGER(number.get(), nullptr) : nullptr);
    if (!nonce)
        throw_openssl_error("the request's nonce");
    check_openssl(TS_REQ_set_nonce(request.get(), nonce.get()), "TS_REQ_set_nonce");
    check_openssl(TS_REQ_set_cert_req(request.get(), 1), "TS_REQ_set_cert_req");
    return to_der(i2d_TS_REQ, request.get());
}

// The TimeStampToken of a granted TimeStampResp.
Bytes token_of(const Bytes& response_der) {
    const unsigned char* at = response_der.data();
    TsRespPtr response(d2i_TS_RESP(nullptr, &at, static_cast<long>(response_der.size())));
    PKCS7* token = response ? TS_RESP_get_token(response.get()) : nullptr;
    if (token == nullptr) {
        clear_openssl_errors();
        throw Error(Errc::unavailable, "the time-stamp authority's answer holds no token");
    }
    return to_der(i2d_PKCS7, token);
}

class AnyBytes final : public DocumentInspector {
  public:
    void write(ByteView) override {}
    void finish() override {}
};

class PdfHeader final : public DocumentInspector {
  public:
    void write(ByteView piece) override {
        const std::size_t take = std::min(piece.size(), kHeader.size() - seen_.size());
        seen_.append(reinterpret_cast<const char*>(piece.data()), take);
        check();
    }
    void finish() override {
        if (seen_.size() < kHeader.size())
            throw Error(Errc::invalid_argument,
                        "the document is not a PDF: it does not begin with '%PDF-'");
    }

  private:
    static constexpr std::string_view kHeader = "%PDF-";
    void check() const {
        if (kHeader.substr(0, seen_.size()) != seen_)
            throw Error(Errc::invalid_argument,
                        "the document is not a PDF: it does not begin with '%PDF-'");
    }
    std::string seen_;
};

}  // namespace

EventStamper responder_stamper(std::shared_ptr<tsa::Responder> responder) {
    if (!responder)
        throw Error(Errc::internal, "responder_stamper needs a responder");
    return [responder = std::move(responder)](ByteView sha256) {
        const tsa::Reply reply = responder->respond(timestamp_request(sha256),
                                                    tsa::Requester{"contracts", "in-process"});
        if (reply.failure)
            throw Error(Errc::unavailable,
                        "the time-stamp authority refused the event's time-stamp: " +
                            (reply.reason.empty() ? std::string("no reason given") : reply.reason));
        return token_of(reply.der);
    };
}

Clock::time_point token_time(ByteView token) {
    const unsigned char* at = token.data();
    Pkcs7Ptr content(d2i_PKCS7(nullptr, &at, static_cast<long>(token.size())));
    TsTstInfoPtr info(content ? PKCS7_to_TS_TST_INFO(content.get()) : nullptr);
    const ASN1_GENERALIZEDTIME* time = info ? TS_TST_INFO_get_time(info.get()) : nullptr;
    std::tm tm{};
    if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
        clear_openssl_errors();
        throw Error(Errc::invalid_argument, "the bytes are not an RFC 3161 time-stamp token");
    }
    // Whole seconds: the fraction, when the policy asks for one, is not needed to show a time.
    return Clock::time_point(std::chrono::seconds(timegm(&tm)));
}

std::unique_ptr<DocumentInspector> default_document_inspector(std::string_view format) {
    if (format == "pdf")
        return std::make_unique<PdfHeader>();
    return std::make_unique<AnyBytes>();
}

}  // namespace signet::sign
