// The CSC API's routes (api/csc_routes.hpp): authenticate as each method says, decode the body
// (api/csc_requests.hpp), call the service, answer JSON, and map every failure to the CSC
// API's {"error", "error_description"} (§10.2).
#include "api/csc_routes.hpp"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

#include "api/csc_requests.hpp"
#include "api/json_body.hpp"
#include "common/bytes.hpp"
#include "common/digest.hpp"

namespace signet::api {

namespace {

using csc::CscError;
using csc::CscFailure;
using nlohmann::json;

// Bodies are small except where a request carries up to csc.multisign (at most 1000) hashes of
// 88 base64 characters each.
constexpr std::size_t kSmallBody = 8 * 1024;
constexpr std::size_t kHashesBody = 160 * 1024;
// signDoc with documents: base64 of the service's default bound on their bytes
// (csc::Settings::max_document_bytes, 32 MiB) and the JSON around them.
constexpr std::size_t kDocumentsBody = (32u * 1024 * 1024 + 2) / 3 * 4 + 256 * 1024;

// RFC 6749 §7.2 / RFC 6750 §3: a resource server's 401 names the scheme and the error.
constexpr const char* kBearerChallenge = "Bearer realm=\"signet\", error=\"invalid_token\"";
// RFC 7617 §2: the client authenticates with Basic on auth/login and the OAuth endpoints.
constexpr const char* kBasicChallenge = "Basic realm=\"signet\", charset=\"UTF-8\"";

constexpr std::string_view kScope = "csc";

Response error_response(std::string_view error, const std::string& description, int status) {
    json body{{"error", error}, {"error_description", description}};
    Response response = Response::json(body.dump() + "\n", static_cast<http::status>(status));
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
}

// Which challenge a 401 carries: the bearer token's, or Basic where a client authenticates.
enum class Challenge { bearer, basic };

Response csc_error_response(const CscError& e, Challenge challenge) {
    const int status = csc::http_status(e.failure());
    Response response = error_response(csc::to_string(e.failure()), e.what(), status);
    if (status == 401)
        response.headers.emplace_back(
            "WWW-Authenticate",
            e.failure() == CscFailure::invalid_client || challenge == Challenge::basic
                ? kBasicChallenge
                : kBearerChallenge);
    return response;
}

// Every failure as the CSC API answers it (§10). A service's signet::Error message is shown for
// 4xx and 503 as the /v1 routes show it (services keep secrets out of their messages); any
// other failure is logged under the request id and answered without its internals.
Route csc_route(http::verb method, std::string path, std::size_t max_body, Challenge challenge,
                Logger* log, Handler handler) {
    Route route;
    route.method = method;
    route.path = std::move(path);
    route.match = PathMatch::exact;
    route.listeners = ListenerSet::https_only();
    route.max_body_bytes = max_body;
    route.handler = [handler = std::move(handler), challenge, log](const Request& request) {
        try {
            return handler(request);
        } catch (const CscError& e) {
            return csc_error_response(e, challenge);
        } catch (const Error& e) {
            switch (e.code()) {
                case Errc::invalid_argument:
                case Errc::not_found:
                case Errc::failed_precondition:
                case Errc::already_exists:
                    return error_response("invalid_request", e.what(), 400);
                case Errc::permission_denied:
                    return error_response("access_denied", e.what(), 403);
                case Errc::unavailable: {
                    Response response = error_response("temporarily_unavailable", e.what(), 503);
                    response.headers.emplace_back("Retry-After", "5");
                    return response;
                }
                default:
                    if (log != nullptr)
                        log->error("request failed", {{"request_id", request.request_id},
                                                      {"route", request.route},
                                                      {"error", to_string(e.code())},
                                                      {"detail", e.what()}});
                    return error_response("server_error",
                                          "The server encountered an unexpected condition", 500);
            }
        } catch (const std::exception& e) {
            if (log != nullptr)
                log->error("request failed", {{"request_id", request.request_id},
                                              {"route", request.route},
                                              {"error", "internal"},
                                              {"detail", e.what()}});
            return error_response("server_error", "The server encountered an unexpected condition",
                                  500);
        }
    };
    return route;
}

Response json_answer(const json& body, bool no_store) {
    Response response = Response::json(body.dump() + "\n");
    if (no_store) {
        // RFC 6749 §5.1: token responses "MUST include ... Cache-Control ... no-store" and
        // Pragma no-cache for HTTP/1.0 caches.
        response.headers.emplace_back("Cache-Control", "no-store");
        response.headers.emplace_back("Pragma", "no-cache");
    }
    return response;
}

Response no_content() {
    Response response;
    response.status = http::status::no_content;
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
}

bool blank(std::string_view body) {
    return std::ranges::all_of(
        body, [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

// §7.1: JSON bodies; an empty body is an empty object.
JsonBody json_of(const Request& request, InputEcho echo) {
    if (blank(request.body))
        return JsonBody::parse("{}");
    return JsonBody::from_request(request, echo);
}

// Whether a token's client still has the scope (CscServices::platforms).
void require_platform(const CscServices& services, const std::string& client) {
    if (std::ranges::find(services.platforms, client) == services.platforms.end())
        throw CscError(CscFailure::access_denied,
                       "The client '" + client + "' no longer has the scope 'csc'");
}

// The service's caller: the API client an access token was issued to (RFC 6750 §2.1), which
// must still have the scope.
csc::Caller bearer_caller(const CscServices& services, const Request& request) {
    csc::RemoteSigning& service = services.service;
    const std::string_view authorization = request.header(http::field::authorization);
    if (authorization.empty())
        throw CscError(CscFailure::invalid_token,
                       "The request needs an access token (Authorization: Bearer)");
    const bool bearer = authorization.size() > 7 &&
                        std::ranges::equal(authorization.substr(0, 7), std::string_view("bearer "),
                                           [](char a, char b) {
                                               return std::tolower(static_cast<unsigned char>(a)) == b;
                                           });
    std::string_view token = bearer ? authorization.substr(7) : std::string_view();
    while (!token.empty() && token.front() == ' ')
        token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ')
        token.remove_suffix(1);
    if (token.empty())
        throw CscError(CscFailure::invalid_request, "Malformed authorization header");
    csc::Caller caller{service.authenticate(token), peer_address(request.remote)};
    require_platform(services, caller.client);
    return caller;
}

// A client that authenticated itself: it must have the scope.
csc::Caller checked_client(const ApiClient& client, const Request& request) {
    if (!client.has_scope(kScope))
        throw CscError(CscFailure::access_denied,
                       "The client '" + client.name + "' lacks the scope 'csc'");
    return {client.name, peer_address(request.remote)};
}

// client_id + client_secret (the API client's name and its bearer token) or, with no secret,
// the client certificate of this connection naming the same client.
csc::Caller client_caller(const ClientDirectory& clients, const ClientCredentials& credentials,
                          const Request& request) {
    if (credentials.client_secret) {
        const auto client = clients.find_by_token(sha256_of(*credentials.client_secret));
        if (!client || client->name != credentials.client_id)
            throw CscError(CscFailure::invalid_client, "Invalid client_id or client_secret");
        return checked_client(*client, request);
    }
    if (request.client != nullptr && request.client->name == credentials.client_id)
        return checked_client(*request.client, request);
    throw CscError(CscFailure::invalid_client, "Client authorization required");
}

json token_json(const csc::IssuedToken& token, bool oauth) {
    json out{{"access_token", token.access_token}, {"expires_in", token.expires_in}};
    if (oauth)
        out["token_type"] = "Bearer";
    if (token.refresh_token)
        out["refresh_token"] = *token.refresh_token;
    return out;
}

std::map<std::string, std::string> form_of(const Request& request) {
    if (!has_media_type(request.header(http::field::content_type),
                        "application/x-www-form-urlencoded"))
        throw CscError(CscFailure::invalid_request,
                       "The body must be application/x-www-form-urlencoded (RFC 6749 §4.4.2)");
    return parse_form(request.body);
}

// GeneralizedTime as §11.4 writes validFrom and validTo: YYYYMMDDHHmmssZ.
std::string generalized_time(Clock::time_point t) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[32];
    const std::size_t n = std::strftime(text, sizeof text, "%Y%m%d%H%M%SZ", &tm);
    return std::string(text, n);
}

struct CredentialView {
    CertificatesWanted certificates = CertificatesWanted::single;
    bool cert_info = false;
};

// The authentication objects a credential offers (§8.3.1): the SMS code is a challenge whose
// response is typed in band (§8.3.1.4; credentials/getChallenge answers 204: sent out of band),
// the authenticator's code a Password from the "totp" generator (§8.3.1.2).
json auth_json(const csc::Credential& c) {
    json objects = json::array();
    if (c.auth.sms)
        objects.push_back({{"type", "ChallengeResponse"},
                           {"id", "OTP"},
                           {"format", "N"},
                           {"label", "SMS code"},
                           {"description",
                            "The code sent by SMS to the signer's mobile after "
                            "credentials/getChallenge"}});
    if (c.auth.totp)
        objects.push_back({{"type", "Password"},
                           {"id", "TOTP"},
                           {"format", "N"},
                           {"generator", "totp"},
                           {"label", "Authenticator code"},
                           {"description", "The 6-digit code of the signer's authenticator app"}});
    json auth{{"mode", "explicit"}, {"objects", objects}};
    if (c.auth.sms && c.auth.totp)
        auth["expression"] = "OTP OR TOTP";
    return auth;
}

json credential_json(const csc::Credential& c, const CredentialView& view,
                     const policy::CscSettings& settings) {
    json key{{"status", c.key.enabled ? "enabled" : "disabled"},
             {"algo", c.key.algorithms},
             {"len", c.key.bits}};
    if (c.key.curve)
        key["curve"] = *c.key.curve;
    json cert{{"status", c.certificate.status}};
    if (view.certificates != CertificatesWanted::none && !c.certificate.chain.empty()) {
        json certificates = json::array();
        const std::size_t count =
            view.certificates == CertificatesWanted::chain ? c.certificate.chain.size() : 1;
        for (std::size_t i = 0; i < count; ++i)
            certificates.push_back(to_base64(c.certificate.chain[i]));
        cert["certificates"] = certificates;
    }
    if (view.cert_info) {
        cert["issuerDN"] = c.certificate.issuer_dn;
        cert["serialNumber"] = c.certificate.serial_hex;
        cert["subjectDN"] = c.certificate.subject_dn;
        cert["validFrom"] = generalized_time(c.certificate.valid_from);
        cert["validTo"] = generalized_time(c.certificate.valid_to);
    }
    return json{{"key", key},
                {"cert", cert},
                {"auth", auth_json(c)},
                {"SCAL", "2"},  // §8.2: the SAD is bound to the hashes
                {"multisign", c.multisign},
                {"lang", settings.lang}};
}

// The OAuth server's base URI for info's "oauth2" (§11.1): this server as the client reached
// it. A Host that is not a plain host[:port] is left out rather than echoed.
std::string oauth2_base(const Request& request) {
    const std::string_view host = request.header(http::field::host);
    const bool plain = !host.empty() && host.size() <= 255 && std::ranges::all_of(host, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' ||
               c == ':' || c == '[' || c == ']';
    });
    return plain ? "https://" + std::string(host) + "/csc/v2/" : "";
}

json info_json(const policy::CscSettings& settings, const Request& request) {
    json out{{"specs", "2.0.0.2"},
             {"name", settings.name},
             {"logo", settings.logo},
             {"region", settings.region},
             {"lang", settings.lang},
             {"description", settings.description},
             {"authType", {"basic", "TLS", "oauth2client"}},
             {"asynchronousOperationMode", false},
             {"methods", csc_methods()},
             {"validationInfo", false},
             {"signAlgorithms", {{"algos", all_sign_algorithms()}}},
             // signatures/signDoc (time-stamped: B-T): CAdES detached over digests, attached or
             // detached over documents; PAdES as an approval revision on the PDF.
             {"signature_formats",
              {{"formats", {"C", "P"}},
               {"envelope_properties",
                json::array({json::array({"Detached", "Attached"}), json::array({"Revision"})})}}},
             {"conformance_levels", {"Ades-B-T"}}};
    if (const std::string base = oauth2_base(request); !base.empty())
        out["oauth2"] = base;
    return out;
}

}  // namespace

const std::vector<std::string>& csc_methods() {
    static const std::vector<std::string> methods{
        "auth/login",          "auth/revoke",           "credentials/list",
        "credentials/info",    "credentials/authorize", "credentials/getChallenge",
        "credentials/extendTransaction", "signatures/signHash", "signatures/signDoc",
        "signatures/timestamp"};
    return methods;
}

void add_csc_routes(Router& router, CscServices services) {
    auto shared = std::make_shared<CscServices>(std::move(services));
    csc::RemoteSigning* svc = &shared->service;
    Logger* log = shared->log;
    const auto post = [&](const std::string& method, std::size_t max_body, Challenge challenge,
                          Handler handler) {
        router.add(csc_route(http::verb::post, "/csc/v2/" + method, max_body, challenge, log,
                             [shared, handler = std::move(handler)](const Request& request) {
                                 return handler(request);
                             }));
    };

    // info (§11.1): no authentication. GET too, so a browser or curl without a body can read it.
    const Handler info = [shared](const Request& request) {
        if (request.method == http::verb::post && !blank(request.body)) {
            if (!has_media_type(request.header(http::field::content_type), "application/json"))
                throw CscError(CscFailure::invalid_request, "The body must be application/json");
            decode_info_request(request.body);
        }
        return json_answer(info_json(shared->settings, request), false);
    };
    router.add(csc_route(http::verb::post, "/csc/v2/info", kSmallBody, Challenge::bearer, log, info));
    router.add(csc_route(http::verb::get, "/csc/v2/info", kSmallBody, Challenge::bearer, log, info));

    // auth/login (§11.2): a refresh token, else HTTP Basic (client name : the client's bearer
    // token), else the client certificate.
    post("auth/login", kSmallBody, Challenge::basic, [shared, svc](const Request& request) {
        if (!blank(request.body) &&
            !has_media_type(request.header(http::field::content_type), "application/json"))
            throw CscError(CscFailure::invalid_request, "The body must be application/json");
        const LoginRequest body = decode_login(request.body);
        if (body.refresh_token) {
            const std::string address = peer_address(request.remote);
            const csc::IssuedToken token = svc->refresh(*body.refresh_token, address);
            const std::string client = svc->authenticate(token.access_token);
            if (std::ranges::find(shared->platforms, client) == shared->platforms.end()) {
                // RFC 7009 §2.1: revoking the refresh token takes its access tokens along.
                svc->revoke({client, address}, *body.refresh_token);
                require_platform(*shared, client);
            }
            return json_answer(token_json(token, false), true);
        }
        const std::string_view authorization = request.header(http::field::authorization);
        csc::Caller caller;
        if (!authorization.empty()) {
            ClientCredentials credentials;
            try {
                credentials = decode_basic(authorization, false);
            } catch (const CscError& e) {
                // §11.2: a malformed Authorization header is 401.
                Response response = error_response("invalid_request", e.what(), 401);
                response.headers.emplace_back("WWW-Authenticate", kBasicChallenge);
                return response;
            }
            caller = client_caller(shared->clients, credentials, request);
        } else if (request.client != nullptr) {
            caller = checked_client(*request.client, request);
        } else {
            throw CscError(CscFailure::invalid_client,
                           "Client authentication required: HTTP Basic (client name and token) "
                           "or a client certificate");
        }
        const bool refresh = body.remember_me && shared->settings.refresh_token_days > 0;
        return json_answer(token_json(svc->issue_token(caller, refresh), false), true);
    });

    // auth/revoke (§11.3): the caller's own tokens.
    post("auth/revoke", kSmallBody, Challenge::bearer, [shared, svc](const Request& request) {
        const csc::Caller caller = bearer_caller(*shared, request);
        const RevokeRequest body = decode_revoke(json_of(request, InputEcho::never));
        svc->revoke(caller, body.token);
        return no_content();
    });

    // oauth2/token (§8.4.4): the client credentials grant (RFC 6749 §4.4).
    post("oauth2/token", kSmallBody, Challenge::basic, [shared, svc](const Request& request) {
        const auto form = form_of(request);
        const ClientCredentials credentials =
            decode_token_form(form, request.header(http::field::authorization));
        const csc::Caller caller = client_caller(shared->clients, credentials, request);
        // RFC 6749 §4.4.3: "A refresh token SHOULD NOT be included".
        return json_answer(token_json(svc->issue_token(caller, false), true), true);
    });

    // oauth2/revoke (§8.4.5, RFC 7009): the client authenticates; 204 as the CSC API answers.
    post("oauth2/revoke", kSmallBody, Challenge::basic, [shared, svc](const Request& request) {
        const auto form = form_of(request);
        const FormRevokeRequest body =
            decode_revoke_form(form, request.header(http::field::authorization));
        svc->revoke(client_caller(shared->clients, body.client, request), body.token);
        return no_content();
    });

    post("credentials/list", kSmallBody, Challenge::bearer, [shared, svc](const Request& request) {
        const csc::Caller caller = bearer_caller(*shared, request);
        const ListRequest body = decode_list(json_of(request, InputEcho::excerpt));
        json ids = json::array();
        json infos = json::array();
        for (const csc::Credential& c : svc->list(caller, body.only_valid)) {
            if (body.user_id && c.subject_id != *body.user_id)
                continue;
            ids.push_back(c.id);
            if (body.credential_info) {
                json entry = credential_json(c, {body.certificates, body.cert_info}, shared->settings);
                entry["credentialID"] = c.id;
                infos.push_back(std::move(entry));
            }
        }
        json out{{"credentialIDs", ids}};
        if (body.credential_info)
            out["credentialInfos"] = infos;
        if (body.only_valid)
            out["onlyValid"] = true;
        return json_answer(out, false);
    });

    post("credentials/info", kSmallBody, Challenge::bearer, [shared, svc](const Request& request) {
        const csc::Caller caller = bearer_caller(*shared, request);
        const InfoRequest body = decode_credential_info(json_of(request, InputEcho::excerpt));
        const csc::Credential c = svc->info(caller, body.credential_id);
        return json_answer(credential_json(c, {body.certificates, body.cert_info}, shared->settings),
                           false);
    });

    // getChallenge (§11.8): the code goes by SMS, so 204 (out of band).
    post("credentials/getChallenge", kSmallBody, Challenge::bearer, [shared, svc](const Request& request) {
        const csc::Caller caller = bearer_caller(*shared, request);
        const ChallengeRequest body = decode_get_challenge(json_of(request, InputEcho::excerpt));
        svc->send_challenge(caller, body.credential_id, body.auth_object_id);
        return no_content();
    });

    // authorize (§11.6): the body holds the one-time password.
    post("credentials/authorize", kHashesBody, Challenge::bearer, [shared, svc](const Request& request) {
        const csc::Caller caller = bearer_caller(*shared, request);
        const csc::AuthorizeRequest body =
            decode_authorize(json_of(request, InputEcho::never),
                             static_cast<int>(shared->settings.multisign));
        const csc::Activation sad = svc->authorize(caller, body);
        return json_answer({{"SAD", sad.sad}, {"expiresIn", sad.expires_in}}, true);
    });

    post("credentials/extendTransaction", kHashesBody, Challenge::bearer, [shared, svc](const Request& request) {
        const csc::Caller caller = bearer_caller(*shared, request);
        const csc::ExtendRequest body = decode_extend(json_of(request, InputEcho::never));
        const csc::Activation sad = svc->extend(caller, body);
        return json_answer({{"SAD", sad.sad}, {"expiresIn", sad.expires_in}}, true);
    });

    // signHash (§11.10): signAlgo must be one of the key's (credentials/info's key/algo).
    post("signatures/signHash", kHashesBody, Challenge::bearer, [shared, svc](const Request& request) {
        const csc::Caller caller = bearer_caller(*shared, request);
        const SignHashBody body = decode_sign_hash(json_of(request, InputEcho::never));
        const csc::Credential credential = svc->info(caller, body.request.credential_id);
        if (std::ranges::find(credential.key.algorithms, body.sign_algo) ==
            credential.key.algorithms.end())
            throw CscError(CscFailure::invalid_request, "Invalid parameter signAlgo");
        json signatures = json::array();
        for (const Bytes& signature : svc->sign_hash(caller, body.request))
            signatures.push_back(to_base64(signature));
        return json_answer({{"signatures", signatures}}, true);
    });

    // signDoc (§11.11): CAdES B-T detached signatures over document digests, or the documents
    // themselves signed (PAdES B-T: the PDF with its signature revision; CAdES B-T attached or
    // detached). A PDF comes back whole, so the body limit is the documents' bound in base64.
    post("signatures/signDoc", kDocumentsBody, Challenge::bearer, [shared, svc](const Request& request) {
        const csc::Caller caller = bearer_caller(*shared, request);
        const SignDocBody body = decode_sign_doc(json_of(request, InputEcho::never));
        const csc::Credential credential = svc->info(caller, body.request.credential_id);
        if (std::ranges::find(credential.key.algorithms, body.sign_algo) ==
            credential.key.algorithms.end())
            throw CscError(CscFailure::invalid_request, "Invalid parameter signAlgo");
        const csc::SignedDocuments signed_documents = svc->sign_documents(caller, body.request);
        json answer = json::object();
        const auto base64_array = [](const std::vector<Bytes>& items) {
            json out = json::array();
            for (const Bytes& item : items)
                out.push_back(to_base64(item));
            return out;
        };
        // §11.11: DocumentWithSignature when enveloped signatures were asked for,
        // SignatureObject when detached ones were.
        if (!signed_documents.with_signature.empty())
            answer["DocumentWithSignature"] = base64_array(signed_documents.with_signature);
        if (!signed_documents.signature_objects.empty())
            answer["SignatureObject"] = base64_array(signed_documents.signature_objects);
        return json_answer(answer, true);
    });

    post("signatures/timestamp", kSmallBody, Challenge::bearer, [shared, svc](const Request& request) {
        const csc::Caller caller = bearer_caller(*shared, request);
        TimestampRequest body = decode_timestamp(json_of(request, InputEcho::excerpt));
        const Bytes token =
            svc->timestamp(caller, body.hash_algorithm, body.hash, std::move(body.nonce));
        return json_answer({{"timestamp", to_base64(token)}}, false);
    });
}

}  // namespace signet::api
