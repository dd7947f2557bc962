#include "api/same_origin.hpp"

#include <string>

#include "common/error.hpp"

namespace signet::api {

void refuse_cross_site(const Request& request) {
    if (!has_media_type(request.header(http::field::content_type), "application/json"))
        throw Error(Errc::invalid_argument, "the body must be application/json");
    const std::string_view site = request.header("Sec-Fetch-Site");
    if (!site.empty() && site != "same-origin" && site != "none")
        throw Error(Errc::permission_denied,
                    "a request from another site is refused (Sec-Fetch-Site: " +
                        std::string(site.substr(0, 32)) + ")");
    const std::string_view origin = request.header(http::field::origin);
    if (origin.empty())
        return;
    const std::string own = "https://" + std::string(request.header(http::field::host));
    // Scheme and host compare case-insensitively (RFC 6454 §4); browsers send them lowercase,
    // as they do the Host they connect to, so a byte comparison refuses nothing real.
    if (origin != own)
        throw Error(Errc::permission_denied,
                    "a request from another origin is refused (Origin must be this server's)");
}

}  // namespace signet::api
