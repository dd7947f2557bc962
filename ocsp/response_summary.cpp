#include "ocsp/response_summary.hpp"

#include <openssl/ocsp.h>

#include <climits>
#include <ctime>

#include "common/error.hpp"
#include "common/handle.hpp"

namespace signet::ocsp {

namespace {

[[noreturn]] void refuse(std::string_view why) {
    clear_openssl_errors();
    throw Error(Errc::invalid_argument, "not a pre-signed OCSP response: " + std::string(why));
}

Clock::time_point time_of(const ASN1_GENERALIZEDTIME* time) {
    std::tm tm{};
    if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1)
        refuse("a time does not parse");
    const std::time_t seconds = timegm(&tm);
    const auto point = from_unix_seconds(seconds);
    if (!point)
        refuse("a time is out of range");
    return *point;
}

}  // namespace

std::string_view to_string(ResponseSummary::Status status) noexcept {
    switch (status) {
        case ResponseSummary::Status::good:
            return "good";
        case ResponseSummary::Status::revoked:
            return "revoked";
        case ResponseSummary::Status::unknown:
            break;
    }
    return "unknown";
}

ResponseSummary summarize_response(ByteView der) {
    if (der.empty() || der.size() > LONG_MAX)
        refuse("empty");
    const unsigned char* p = der.data();
    OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
    if (!response)
        refuse("it does not parse as an OCSPResponse");
    if (p != der.data() + der.size())
        refuse("trailing bytes");
    if (OCSP_response_status(response.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
        refuse("its responseStatus is not successful");
    OcspBasicRespPtr basic(OCSP_response_get1_basic(response.get()));
    if (!basic)
        refuse("it is not a BasicOCSPResponse");
    OCSP_SINGLERESP* single = OCSP_resp_get0(basic.get(), 0);
    if (single == nullptr)
        refuse("it has no SingleResponse");

    ResponseSummary summary;
    int reason = -1;
    ASN1_GENERALIZEDTIME* revoked_at = nullptr;
    ASN1_GENERALIZEDTIME* this_update = nullptr;
    ASN1_GENERALIZEDTIME* next_update = nullptr;
    const int status =
        OCSP_single_get0_status(single, &reason, &revoked_at, &this_update, &next_update);
    if (status == V_OCSP_CERTSTATUS_GOOD) {
        summary.status = ResponseSummary::Status::good;
    } else if (status == V_OCSP_CERTSTATUS_REVOKED) {
        summary.status = ResponseSummary::Status::revoked;
        summary.revocation_time = time_of(revoked_at);
        if (reason >= 0)
            summary.revocation_reason = reason;
    } else if (status != V_OCSP_CERTSTATUS_UNKNOWN) {
        refuse("its certStatus is not good, revoked or unknown");
    }
    summary.this_update = time_of(this_update);
    if (next_update != nullptr)
        summary.next_update = time_of(next_update);
    summary.produced_at = time_of(OCSP_resp_get0_produced_at(basic.get()));

    ASN1_INTEGER* serial = nullptr;
    const OCSP_CERTID* id = OCSP_SINGLERESP_get0_id(single);
    if (id == nullptr ||
        OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial, const_cast<OCSP_CERTID*>(id)) != 1 ||
        serial == nullptr)
        refuse("its CertID has no serial number");
    const unsigned char* bytes = ASN1_STRING_get0_data(serial);
    summary.serial.assign(bytes, bytes + ASN1_STRING_length(serial));
    clear_openssl_errors();
    return summary;
}

}  // namespace signet::ocsp
