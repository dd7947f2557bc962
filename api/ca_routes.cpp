#include "api/ca_routes.hpp"

#include <nlohmann/json.hpp>

#include "api/ca_requests.hpp"
#include "api/query.hpp"
#include "ca/crl.hpp"
#include "ca/name.hpp"
#include "ca/x509.hpp"
#include "common/error.hpp"
#include "common/text.hpp"

namespace signet::api {

namespace {

using nlohmann::json;

// A serial in a path or query: hex, 1..20 octets.
Bytes parse_serial(std::string_view text) {
    Bytes serial;
    try {
        serial = from_hex(text);
    } catch (const Error&) {
    }
    if (serial.empty() || serial.size() > 20)
        throw Error(Errc::invalid_argument,
                    quote_input(text) + " is not a serial (hex, 1-20 octets)");
    return serial;
}

std::string_view name_between(std::string_view path, std::string_view prefix,
                              std::string_view suffix) {
    if (!path.starts_with(prefix) || !path.ends_with(suffix) ||
        path.size() <= prefix.size() + suffix.size())
        throw Error(Errc::not_found, "no such resource: " + quote_input(path, 128));
    return path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
}

json certificate_json(const store::CertificateRecord& r) {
    json j{{"serial", ca::serial_hex(r.serial)},
           {"issuer_ca", r.issuer_ca},
           {"purpose", r.purpose},
           {"profile", r.profile},
           {"subject_dn", r.subject_dn},
           {"key_type", r.key_type},
           {"key_source", r.key_source},
           {"status", r.status},
           {"not_before", format_utc(r.not_before)},
           {"not_after", format_utc(r.not_after)},
           {"reserved_at", format_utc(r.reserved_at)}};
    if (r.subject_id)
        j["subject_id"] = *r.subject_id;
    if (r.issued_at)
        j["issued_at"] = format_utc(*r.issued_at);
    if (r.der) {
        const auto certificate = ca::certificate_from_der(*r.der);
        j["fingerprint_sha256"] = ca::sha256_fingerprint(certificate.get());
        j["certificate_pem"] = ca::certificate_pem(certificate.get());
    }
    if (r.revoked_at) {
        j["revoked_at"] = format_utc(*r.revoked_at);
        j["revocation_reason"] = std::string(
            ca::to_string(static_cast<ca::RevocationReason>(r.revocation_reason.value_or(0))));
        if (r.invalidity_date)
            j["invalidity_date"] = format_utc(*r.invalidity_date);
    }
    if (r.failure)
        j["failure"] = *r.failure;
    return j;
}

// One CA for GET /v1/cas: what its certificate says, where relying parties fetch it and its CRL,
// and its newest CRL beside the count of entries the next one would have, so a revocation that
// no CRL lists yet (its publication failed; refresh_crls makes it later) shows as a difference.
json ca_json(store::CertificateReader& reader, const store::CaRecord& ca, Clock::time_point now) {
    json j{{"name", ca.name},
           {"role", ca.role},
           {"parent", ca.parent ? json(*ca.parent) : json(nullptr)},
           {"key_type", ca.key_type},
           {"serial", ca::serial_hex(ca.serial)},
           {"fingerprint_sha256", ca::sha256_fingerprint(ByteView(ca.certificate))},
           {"certificate_url", "/ca/" + ca.name + ".crt"},
           {"crl_url", "/crl/" + ca.name + ".crl"},
           {"next_crl_entries", reader.count_revoked(ca.name, now)}};
    const auto certificate = ca::certificate_from_der(ca.certificate);
    j["subject_dn"] = ca::format_distinguished_name(X509_get_subject_name(certificate.get()));
    // The validity as the certificates table keeps it (every CA's certificate is a row there).
    if (const auto record = reader.find(ca.serial)) {
        j["not_before"] = format_utc(record->not_before);
        j["not_after"] = format_utc(record->not_after);
    }
    json crl = nullptr;
    if (const auto latest = reader.latest_crl(ca.name)) {
        // RFC 5280 §5.1.2.5: a CRL past its nextUpdate is stale; relying parties may refuse it.
        crl = json{{"number", latest->number},
                   {"this_update", format_utc(latest->this_update)},
                   {"next_update", format_utc(latest->next_update)},
                   {"entries", latest->entries},
                   {"overdue", latest->next_update < now}};
    }
    j["crl"] = crl;
    return j;
}

Response json_response(const json& body, http::status status = http::status::ok) {
    return Response::json(body.dump() + "\n", status);
}

}  // namespace

void add_ca_routes(Router& router, ca::Authority& authority, store::CertificateReader& reader,
                   const Clock& clock) {
    // RFC 5280 §4.2.2.1 (caIssuers) and §4.2.1.13 (CRL DP) are fetched over plain HTTP.
    Route ca_certificate;
    ca_certificate.path = "/ca/";
    ca_certificate.match = PathMatch::prefix;
    ca_certificate.listeners = ListenerSet::both();
    ca_certificate.handler = [&reader](const Request& request) {
        const std::string name(name_between(request.path, "/ca/", ".crt"));
        const auto ca = reader.find_ca(name);
        if (!ca)
            throw Error(Errc::not_found, "no CA named " + quote_input(name));
        Response response = Response::bytes(
            std::string(ca->certificate.begin(), ca->certificate.end()), "application/pkix-cert");
        response.headers.emplace_back("Cache-Control", "public, max-age=86400");
        return response;
    };
    router.add(std::move(ca_certificate));

    Route crl;
    crl.path = "/crl/";
    crl.match = PathMatch::prefix;
    crl.listeners = ListenerSet::both();
    crl.handler = [&reader, &clock](const Request& request) {
        const std::string name(name_between(request.path, "/crl/", ".crl"));
        const auto latest = reader.latest_crl(name);
        if (!latest)
            throw Error(Errc::not_found, "no CRL for CA " + quote_input(name));
        Response response = Response::bytes(std::string(latest->der.begin(), latest->der.end()),
                                            "application/pkix-crl");
        // Caches may keep it until nextUpdate (RFC 5019 §6.2 reasons the same way for OCSP),
        // but at most an hour, so a revocation's new CRL is seen soon.
        const auto left =
            std::chrono::duration_cast<std::chrono::seconds>(latest->next_update - clock.now());
        const long long max_age = std::clamp<long long>(left.count(), 0, 3600);
        response.headers.emplace_back("Cache-Control",
                                      "public, max-age=" + std::to_string(max_age));
        response.headers.emplace_back("Last-Modified", format_http_date(latest->this_update));
        response.headers.emplace_back("Expires", format_http_date(latest->next_update));
        response.headers.emplace_back("ETag",
                                      "\"" + name + "-" + std::to_string(latest->number) + "\"");
        return response;
    };
    router.add(std::move(crl));

    Route cas;
    cas.path = "/v1/cas";
    cas.scope = "certificates:read";
    cas.handler = [&reader, &clock](const Request&) {
        const auto now = clock.now();
        json items = json::array();
        for (const auto& ca : reader.list_cas())
            items.push_back(ca_json(reader, ca, now));
        return json_response(json{{"cas", items}, {"now", format_utc(now)}});
    };
    router.add(std::move(cas));

    Route issue;
    issue.method = http::verb::post;
    issue.path = "/v1/certificates";
    issue.scope = "certificates:issue";
    issue.max_body_bytes = 128 * 1024;
    issue.handler = [&authority](const Request& request) {
        ca::IssueRequest issue_request = decode_issue_request(JsonBody::from_request(request));
        issue_request.actor = actor_of(request);
        const auto issued = authority.issue(issue_request);
        Response response = json_response(certificate_json(issued.record), http::status::created);
        response.headers.emplace_back("Location",
                                      "/v1/certificates/" + ca::serial_hex(issued.record.serial));
        return response;
    };
    router.add(std::move(issue));

    Route search;
    search.path = "/v1/certificates";
    search.scope = "certificates:read";
    search.handler = [&reader](const Request& request) {
        store::CertificateQuery query;
        for (const auto& [key, value] : query_parameters(request.query)) {
            if (key == "subject_id")
                query.subject_id = query_integer(value, "subject_id", 1, INT64_MAX);
            else if (key == "status") {
                if (value != "reserved" && value != "abandoned" && value != "issued" &&
                    value != "revoked")
                    throw Error(Errc::invalid_argument,
                                "status is reserved, abandoned, issued or revoked");
                query.status = value;
            } else if (key == "ca")
                query.issuer_ca = value;
            else if (key == "serial")
                query.serial = parse_serial(value);
            else if (key == "after")
                query.after_serial = parse_serial(value);
            else if (key == "limit")
                query.limit = static_cast<std::size_t>(query_integer(value, "limit", 1, 1000));
            else
                throw Error(Errc::invalid_argument, "unknown query parameter " + quote_input(key));
        }
        json items = json::array();
        for (const auto& record : reader.search(query))
            items.push_back(certificate_json(record));
        json body{{"certificates", items}};
        if (items.size() == query.limit)
            body["next_after"] = items.back()["serial"];
        return json_response(body);
    };
    router.add(std::move(search));

    Route show;
    show.path = "/v1/certificates/";
    show.match = PathMatch::prefix;
    show.scope = "certificates:read";
    show.handler = [&reader](const Request& request) {
        const Bytes serial =
            parse_serial(request.path.substr(std::string_view("/v1/certificates/").size()));
        const auto record = reader.find(serial);
        if (!record)
            throw Error(Errc::not_found, "no certificate with serial " + ca::serial_hex(serial));
        return json_response(certificate_json(*record));
    };
    router.add(std::move(show));

    Route revoke;
    revoke.method = http::verb::post;
    revoke.path = "/v1/certificates/";
    revoke.match = PathMatch::prefix;
    revoke.scope = "certificates:revoke";
    revoke.max_body_bytes = 4096;
    revoke.handler = [&authority](const Request& request) {
        const std::string_view rest =
            request.path.substr(std::string_view("/v1/certificates/").size());
        if (!rest.ends_with("/revoke"))
            throw Error(Errc::not_found,
                        "POST /v1/certificates/{serial}/revoke is the only "
                        "action on a certificate");
        const Bytes serial = parse_serial(rest.substr(0, rest.size() - 7));
        const RevokeRequest revoke_request = decode_revoke_request(JsonBody::from_request(request));
        return json_response(certificate_json(authority.revoke(
            serial, revoke_request.reason, revoke_request.invalidity_date, actor_of(request))));
    };
    router.add(std::move(revoke));
}

}  // namespace signet::api
