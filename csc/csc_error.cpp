// The CSC API's error codes (csc/remote_signing.hpp).
#include "csc/remote_signing.hpp"

namespace signet::csc {

namespace {

Errc errc_of(CscFailure failure) noexcept {
    switch (failure) {
        case CscFailure::invalid_request:
        case CscFailure::invalid_authentication_data:
        case CscFailure::invalid_grant:
        case CscFailure::unsupported_grant_type:
            return Errc::invalid_argument;
        case CscFailure::invalid_token:
        case CscFailure::expired_token:
        case CscFailure::invalid_client:
        case CscFailure::access_denied:
        case CscFailure::invalid_otp:
            return Errc::permission_denied;
    }
    return Errc::internal;
}

}  // namespace

std::string_view to_string(CscFailure failure) noexcept {
    switch (failure) {
        case CscFailure::invalid_request:
            return "invalid_request";
        case CscFailure::invalid_token:
            return "invalid_token";
        case CscFailure::expired_token:
            return "expired_token";
        case CscFailure::access_denied:
            return "access_denied";
        case CscFailure::invalid_otp:
            return "invalid_otp";
        case CscFailure::invalid_authentication_data:
            return "invalid_authentication_data";
        case CscFailure::invalid_grant:
            return "invalid_grant";
        case CscFailure::invalid_client:
            return "invalid_client";
        case CscFailure::unsupported_grant_type:
            return "unsupported_grant_type";
    }
    return "invalid_request";
}

int http_status(CscFailure failure) noexcept {
    switch (failure) {
        // CSC API §10.2 and RFC 6750 §3.1: a token that is not (or no longer) valid is 401.
        case CscFailure::invalid_token:
        case CscFailure::expired_token:
        // RFC 6749 §5.2: invalid_client "MAY return an HTTP 401".
        case CscFailure::invalid_client:
            return 401;
        case CscFailure::access_denied:
            return 403;
        default:
            return 400;
    }
}

CscError::CscError(CscFailure failure, const std::string& description)
    : Error(errc_of(failure), description), failure_(failure) {}

}  // namespace signet::csc
