#include "api/verify_routes.hpp"

#include "api/multipart.hpp"
#include "api/problem.hpp"
#include "api/verify_evidence.hpp"
#include "common/error.hpp"
#include "sign/verify_document.hpp"
#include "sign/verify_report.hpp"

namespace signet::api {

namespace {

constexpr std::string_view kScope = "contracts";

// The signed document (or an evidence package) and, for a detached CMS, its data, as views
// into the body.
struct VerifyInput {
    std::string_view signature;
    std::optional<std::string_view> data;
    std::string part;      // where the signature came from, for error messages
    bool package = false;  // sent as application/zip: an evidence package whatever its bytes
};

std::optional<VerifyInput> read_input(const Request& request) {
    const std::string_view content_type = request.header(http::field::content_type);
    if (has_media_type(content_type, "application/pdf") ||
        has_media_type(content_type, "application/pkcs7-signature") ||
        has_media_type(content_type, "application/cms"))
        return VerifyInput{request.body, std::nullopt, "the body"};
    if (has_media_type(content_type, "application/zip"))
        return VerifyInput{request.body, std::nullopt, "the body", true};
    if (!has_media_type(content_type, "multipart/form-data"))
        return std::nullopt;
    VerifyInput input;
    input.part = "the part 'signature'";
    bool has_signature = false;
    for (const FormPart& part : parse_form_data(content_type, request.body)) {
        if (part.name == "signature") {
            input.signature = part.data;
            has_signature = true;
        } else if (part.name == "data") {
            input.data = part.data;
        } else {
            throw Error(Errc::invalid_argument, "the form's parts are 'signature' and 'data', not '" +
                                                    part.name.substr(0, 64) + "'");
        }
    }
    if (!has_signature)
        throw Error(Errc::invalid_argument,
                    "the form needs a part 'signature' (a signed PDF, a detached CMS or an "
                    "evidence package) and, for a CMS, a part 'data'");
    return input;
}

}  // namespace

Response verify_request(const VerifyServices& services, const Request& request) {
    const std::optional<VerifyInput> input = read_input(request);
    if (!input) {
        return problem_response(problems::unsupported_media_type,
                                "the body must be application/pdf, application/pkcs7-signature "
                                "(or application/cms), application/zip (an evidence package), "
                                "or multipart/form-data with the parts 'signature' and 'data'",
                                request.request_id);
    }
    if (input->package || looks_like_zip(input->signature)) {
        if (input->data)
            throw Error(Errc::invalid_argument,
                        "the part 'data' is only for a detached CMS: an evidence package in the "
                        "part 'signature' carries its own documents");
        return verify_evidence_package(services, input->signature, input->part);
    }
    sign::DocumentVerifyOptions options;
    options.now = services.clock.now();
    if (services.trust_anchors)
        options.trust_anchors = services.trust_anchors();
    if (input->data)
        options.detached_content = as_bytes(*input->data);
    sign::DocumentReport report;
    try {
        report = sign::verify_document(as_bytes(input->signature), options);
    } catch (const Error& e) {
        if (e.code() != Errc::invalid_argument)
            throw;
        std::string detail = input->part + ": " + e.what();
        if (!input->data && detail.find("needs the signed data") != std::string::npos)
            detail += " (send multipart/form-data with the parts 'signature' and 'data')";
        throw Error(Errc::invalid_argument, detail);
    }
    return Response::json(sign::report_json(report).dump() + "\n");
}

void add_verify_routes(Router& router, VerifyServices services) {
    Route route;
    route.method = http::verb::post;
    route.path = "/v1/verify";
    route.match = PathMatch::exact;
    route.scope = std::string(kScope);
    route.max_body_bytes = services.max_document_bytes + kVerifyOverhead;
    route.handler = [services = std::move(services)](const Request& request) {
        return verify_request(services, request);
    };
    router.add(std::move(route));
}

}  // namespace signet::api
