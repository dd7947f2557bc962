#pragma once

// A time-stamp client for the backup and standby tests: RFC 3161 queries made in process (any
// thread) and the serial of a granted reply as tsa_tokens stores it.
#include <openssl/rand.h>
#include <openssl/ts.h>

#include <stdexcept>
#include <string>

#include "common/bytes.hpp"
#include "common/handle.hpp"

namespace signet::testing {

// A DER TimeStampReq (RFC 3161 §2.4.1): version 1, a random SHA-256 imprint, a random nonce,
// certReq true.
inline std::string tsa_query() {
    unsigned char imprint[32];
    unsigned char nonce_bytes[8];
    RAND_bytes(imprint, sizeof imprint);
    RAND_bytes(nonce_bytes, sizeof nonce_bytes);
    // The INTEGER's content is these bytes as they are: a leading zero octet would make it
    // non-minimal DER, which the TSA rightly refuses.
    nonce_bytes[0] |= 0x01;
    TS_REQ* req = TS_REQ_new();
    TS_MSG_IMPRINT* message = TS_MSG_IMPRINT_new();
    X509_ALGOR* algorithm = X509_ALGOR_new();
    X509_ALGOR_set0(algorithm, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr);
    TS_MSG_IMPRINT_set_algo(message, algorithm);
    TS_MSG_IMPRINT_set_msg(message, imprint, sizeof imprint);
    ASN1_INTEGER* nonce = ASN1_INTEGER_new();
    ASN1_STRING_set(nonce, nonce_bytes, sizeof nonce_bytes);
    const bool ok = TS_REQ_set_version(req, 1) == 1 && TS_REQ_set_msg_imprint(req, message) == 1 &&
                    TS_REQ_set_nonce(req, nonce) == 1 && TS_REQ_set_cert_req(req, 1) == 1;
    X509_ALGOR_free(algorithm);
    TS_MSG_IMPRINT_free(message);
    ASN1_INTEGER_free(nonce);
    unsigned char* der = nullptr;
    const int size = ok ? i2d_TS_REQ(req, &der) : -1;
    TS_REQ_free(req);
    if (size <= 0)
        throw std::runtime_error("cannot encode a TimeStampReq");
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
    OPENSSL_free(der);
    return out;
}

// The granted token's serial (the INTEGER's magnitude, minimal) in hex, as
// encode(tsa_tokens.serial, 'hex') gives it; "" when the reply is not a granted TimeStampResp.
inline std::string tsa_serial_hex(const std::string& reply) {
    const auto* p = reinterpret_cast<const unsigned char*>(reply.data());
    TsRespPtr response(d2i_TS_RESP(nullptr, &p, static_cast<long>(reply.size())));
    if (!response || TS_RESP_get_tst_info(response.get()) == nullptr)
        return "";
    const ASN1_INTEGER* serial = TS_TST_INFO_get_serial(TS_RESP_get_tst_info(response.get()));
    return to_hex(
        {ASN1_STRING_get0_data(serial), static_cast<std::size_t>(ASN1_STRING_length(serial))});
}

}  // namespace signet::testing
