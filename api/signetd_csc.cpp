// signetd's CSC API (signetd_csc.hpp).
#include "api/signetd_csc.hpp"

#include <algorithm>

#include "api/csc_routes.hpp"
#include "csc/postgres_remote_signing.hpp"

namespace signet::signetd {

std::unique_ptr<csc::RemoteSigning> add_csc_api(api::Router& router, CscDependencies deps) {
    if (!deps.config.csc)
        return nullptr;
    const policy::CscSettings& settings = *deps.config.csc;
    if (!deps.config.https.enabled) {
        // The CSC API carries client secrets, tokens and codes: HTTPS only (CSC API §7.3).
        deps.log->warn("csc api not served: signet.yaml has a csc section but no HTTPS listener");
        return nullptr;
    }
    if (!deps.tsa) {
        deps.log->warn("csc api not served: the TSA cannot sign (run the key ceremony)");
        return nullptr;
    }
    csc::Settings service_settings;
    service_settings.access_token_lifetime = settings.access_token_lifetime;
    service_settings.refresh_token_lifetime =
        std::chrono::seconds(std::chrono::days(settings.refresh_token_days));
    service_settings.sad_lifetime = settings.sad_lifetime;
    service_settings.multisign = static_cast<int>(settings.multisign);
    // One rule for every signature: a TOTP code authorizes remote signatures where it signs
    // contracts (docs/signing.md, signing.totp_signs).
    service_settings.totp_authorizes = deps.config.signing.totp_signs;
    auto service = csc::make_remote_signing(csc::RemoteSigningDependencies{
        deps.database, deps.token, deps.certificates, deps.challenges, deps.totp,
        std::move(deps.sms), *deps.tsa, deps.audit, deps.clock, service_settings});
    std::vector<std::string> platforms;
    for (const policy::ApiClient& client : deps.config.api_clients)
        if (std::ranges::find(client.scopes, "csc") != client.scopes.end())
            platforms.push_back(client.name);
    api::add_csc_routes(router, api::CscServices{*service, deps.clients, settings, deps.log.get(),
                                                 std::move(platforms)});
    deps.log->info("csc api served", {{"path", "/csc/v2/"},
                                      {"multisign", static_cast<unsigned>(settings.multisign)}});
    return service;
}

}  // namespace signet::signetd
