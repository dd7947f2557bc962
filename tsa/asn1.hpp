#pragma once

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>

#include <string>

#include "common/bytes.hpp"
#include "common/der.hpp"
#include "common/error.hpp"
#include "common/handle.hpp"

// Owners for OpenSSL's RFC 3161 types and the few ASN.1 helpers the responder and the verifier
// share.
namespace signet::tsa {

using Asn1IntegerPtr = handle<ASN1_INTEGER, ASN1_INTEGER_free>;
using Asn1ObjectPtr = handle<ASN1_OBJECT, ASN1_OBJECT_free>;
using Pkcs7Ptr = handle<PKCS7, PKCS7_free>;
using TsReqPtr = handle<TS_REQ, TS_REQ_free>;
using TsRespCtxPtr = handle<TS_RESP_CTX, TS_RESP_CTX_free>;
using TsRespPtr = handle<TS_RESP, TS_RESP_free>;
using TsTstInfoPtr = handle<TS_TST_INFO, TS_TST_INFO_free>;
using TsVerifyCtxPtr = handle<TS_VERIFY_CTX, TS_VERIFY_CTX_free>;

// Dotted decimal, never a name ("1.3.6.1.4.1.99999.1.1").
std::string oid_text(const ASN1_OBJECT* oid);

// The content octets of an INTEGER's DER encoding (two's complement, minimal): how a nonce is
// stored and compared.
Bytes integer_content(const ASN1_INTEGER* value);
// A positive INTEGER's magnitude without leading zero octets: how a serial is stored.
Bytes integer_magnitude(const ASN1_INTEGER* value);
Asn1IntegerPtr integer_from_magnitude(ByteView magnitude);

}  // namespace signet::tsa
