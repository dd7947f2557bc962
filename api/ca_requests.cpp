#include "api/ca_requests.hpp"

#include "common/error.hpp"

namespace signet::api {

namespace {

// The CSR as the client sent it: PEM text, or base64 of the DER.
Bytes csr_bytes(const std::string& text) {
    const auto start = text.find_first_not_of(" \t\r\n");
    if (start != std::string::npos && text.compare(start, 10, "-----BEGIN") == 0)
        return Bytes(text.begin(), text.end());
    try {
        return from_base64(text);
    } catch (const Error&) {
        throw Error(Errc::invalid_argument, "'csr' is neither PEM nor base64 DER");
    }
}

}  // namespace

ca::IssueRequest decode_issue_request(const JsonBody& body) {
    body.only({"subject_id", "profile", "csr", "key_type"});
    ca::IssueRequest request;
    // Subject ids are BIGSERIAL: 1 to 2^63 - 1.
    request.subject_id = body.integer("subject_id", 1, INT64_MAX);
    request.profile = body.string("profile");
    if (const auto csr = body.optional_string("csr"))
        request.csr = csr_bytes(*csr);
    if (const auto key_type = body.optional_string("key_type"))
        request.key_type = parse_key_type(*key_type);
    return request;
}

RevokeRequest decode_revoke_request(const JsonBody& body) {
    body.only({"reason", "invalidity_date"});
    RevokeRequest request;
    if (const auto reason = body.optional_string("reason"))
        request.reason = ca::parse_revocation_reason(*reason);
    if (const auto date = body.optional_string("invalidity_date"))
        request.invalidity_date = parse_utc(*date);
    return request;
}

}  // namespace signet::api
