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

// The few ASN.1 helpers the responder and the verifier share (the owners of OpenSSL's RFC 3161
// types are in common/handle.hpp).
namespace signet::tsa {

// Dotted decimal, never a name ("1.3.6.1.4.1.99999.1.1").
std::string oid_text(const ASN1_OBJECT* oid);

// The content octets of an INTEGER's DER encoding (two's complement, minimal): how a nonce is
// stored and compared.
Bytes integer_content(const ASN1_INTEGER* value);
// A positive INTEGER's magnitude without leading zero octets: how a serial is stored.
Bytes integer_magnitude(const ASN1_INTEGER* value);
Asn1IntegerPtr integer_from_magnitude(ByteView magnitude);

}  // namespace signet::tsa
