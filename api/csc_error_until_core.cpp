// TEMPORARY: csc::CscError's definitions until the csc library (helper csc-core) is merged; the
// edge's library then links signet_csc and this file goes.
#include "csc/remote_signing.hpp"

namespace signet::csc {

std::string_view to_string(CscFailure failure) noexcept {
    switch (failure) {
        case CscFailure::invalid_request: return "invalid_request";
        case CscFailure::invalid_token: return "invalid_token";
        case CscFailure::expired_token: return "expired_token";
        case CscFailure::access_denied: return "access_denied";
        case CscFailure::invalid_otp: return "invalid_otp";
        case CscFailure::invalid_authentication_data: return "invalid_authentication_data";
        case CscFailure::invalid_grant: return "invalid_grant";
        case CscFailure::invalid_client: return "invalid_client";
        case CscFailure::unsupported_grant_type: return "unsupported_grant_type";
    }
    return "invalid_request";
}

int http_status(CscFailure failure) noexcept {
    switch (failure) {
        case CscFailure::invalid_token:
        case CscFailure::expired_token:
        case CscFailure::invalid_client:
            return 401;
        case CscFailure::access_denied:
            return 403;
        default:
            return 400;
    }
}

CscError::CscError(CscFailure failure, const std::string& description)
    : Error(failure == CscFailure::invalid_request ||
                    failure == CscFailure::invalid_authentication_data ||
                    failure == CscFailure::invalid_grant ||
                    failure == CscFailure::unsupported_grant_type
                ? Errc::invalid_argument
                : Errc::permission_denied,
            description),
      failure_(failure) {}

}  // namespace signet::csc
