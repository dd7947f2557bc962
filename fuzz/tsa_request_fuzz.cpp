// libFuzzer target: the TSA's request decoder, tsa::check_request — what POST /tsa runs on every
// body before anything else (tsa/responder.cpp) — and the rejection it answers with. Arbitrary
// bytes must give either a request that keeps the decoder's promises or a rejection that is one
// DER TimeStampResp with status rejection, one failInfo bit and a printable ASCII statusString.
// Never a crash, a leak or an exception (DESIGN.md invariant 7).
#include <openssl/ts.h>

#include <cstddef>
#include <cstdint>
#include <variant>

#include "common/der.hpp"
#include "policy/config.hpp"
#include "tsa/protocol.hpp"

namespace {

using namespace signet;

[[noreturn]] void broken(const char*) {
    __builtin_trap();
}

// The rejection must read back as what it claims to be.
void check_rejection(const tsa::Rejection& rejection) {
    const Bytes der = tsa::rejection_response(rejection);
    const unsigned char* p = der.data();
    TsRespPtr response(d2i_TS_RESP(nullptr, &p, static_cast<long>(der.size())));
    if (!response || p != der.data() + der.size())
        broken("the rejection is not one TimeStampResp");
    if (to_der(i2d_TS_RESP, static_cast<const TS_RESP*>(response.get())) != der)
        broken("the rejection is not DER");
    const TS_STATUS_INFO* status = TS_RESP_get_status_info(response.get());
    if (ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(status)) != 2 ||
        TS_RESP_get_token(response.get()) != nullptr)
        broken("the rejection is not a rejection");
    if (ASN1_BIT_STRING_get_bit(TS_STATUS_INFO_get0_failure_info(status),
                                static_cast<int>(rejection.failure)) != 1)
        broken("the failInfo bit is not set");
    const STACK_OF(ASN1_UTF8STRING)* text = TS_STATUS_INFO_get0_text(status);
    for (int i = 0; i < sk_ASN1_UTF8STRING_num(text); ++i) {
        const ASN1_UTF8STRING* s = sk_ASN1_UTF8STRING_value(text, i);
        if (static_cast<std::size_t>(ASN1_STRING_length(s)) > tsa::kMaxStatusTextBytes)
            broken("the statusString is too long");
        const unsigned char* c = ASN1_STRING_get0_data(s);
        for (int j = 0; j < ASN1_STRING_length(s); ++j) {
            if (c[j] < 0x20 || c[j] > 0x7e)
                broken("the statusString is not printable ASCII");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Two policies: the default, and one narrower, so the digest and policy checks both run.
    static const policy::TsaSettings wide{};
    static const policy::TsaSettings narrow = [] {
        policy::TsaSettings s;
        s.digests = {Digest::sha512};
        s.accepted_policies = {"1.3.6.1.4.1.99999.1.2"};
        return s;
    }();
    for (const policy::TsaSettings* settings : {&wide, &narrow}) {
        const auto checked = tsa::check_request(ByteView(data, size), *settings);
        if (const auto* rejection = std::get_if<tsa::Rejection>(&checked)) {
            check_rejection(*rejection);
            continue;
        }
        const auto& request = std::get<tsa::CheckedRequest>(checked);
        if (size > tsa::kMaxRequestBytes)
            broken("a request over the limit was taken");
        if (request.imprint.size() != digest_size(request.digest))
            broken("the imprint is not the digest's size");
        if (request.nonce && request.nonce->size() > tsa::kMaxNonceBytes)
            broken("the nonce is over the limit");
        if (request.policy.empty())
            broken("no policy");
    }
    return 0;
}
