#pragma once

// The readers of signet.yaml's sections, one per section, which config.cpp's parse calls in
// turn (internal to policy/): the node's own sections in config_node.cpp, the services' in
// config_services.cpp, the registration authority's in config_ra.cpp. Each adds what is wrong to
// the map's Problems, which parse_config turns into one error when any is there.

#include <filesystem>
#include <string>
#include <vector>

#include "policy/config.hpp"
#include "policy/yaml_reader.hpp"

namespace signet::policy::sections {

// config_node.cpp: listeners, limits, hsm, database, logging, api_clients.
void read_listener(yaml::Map& map, Listener& out);
void read_https(yaml::Map& map, const std::filesystem::path& base, HttpsListener& out);
void read_limits(yaml::Map& map, Limits& out);
void read_hsm(yaml::Map& map, const std::filesystem::path& base, HsmSettings& out);
void read_database(yaml::Map& map, DatabaseSettings& out);
void read_logging(yaml::Map& map, const std::filesystem::path& base, LoggingSettings& out);
void read_api_clients(yaml::Map& root, std::vector<ApiClient>& out);

// config_services.cpp: ca (its profiles and CRLs), tsa, ocsp.
void read_ca(yaml::Map& map, unsigned max_assurance, CaSettings& out);
void read_tsa(yaml::Map& map, TsaSettings& out);
void read_ocsp(yaml::Map& map, OcspSettings& out);

// config_ra.cpp: identity (its evidence providers and levels), otp (TOTP, the SMS gateway).
// An otp.seed_kek_label not given is `default_seed_kek` (ca.user_key_kek).
void read_identity(yaml::Map& map, const std::filesystem::path& base, IdentitySettings& out);
void read_otp(yaml::Map& map, const std::filesystem::path& base,
              const std::string& default_seed_kek, OtpSettings& out);

// config_signing.cpp: signing (documents, contracts' deadlines, seal approvals).
// config_notifications.cpp: signing.notifications (webhooks, e-mail, links, retries); a
// webhook must name one of `clients`.
void read_signing(yaml::Map& map, const std::filesystem::path& base,
                  const std::vector<ApiClient>& clients, SigningSettings& out);
void read_notifications(yaml::Map& map, const std::filesystem::path& base,
                        const std::vector<ApiClient>& clients, NotificationSettings& out);

// config_backup.cpp: backup (pgBackRest's stanza, repositories, retention).
void read_backup(yaml::Map& map, const std::filesystem::path& base, BackupSettings& out);
// config_audit.cpp: audit (the log's name, the checkpoint interval, the witness), and evidence
// (how many evidence packages a node builds at once).
void read_audit(yaml::Map& map, const std::filesystem::path& base, AuditSettings& out);
void read_evidence(yaml::Map& map, EvidencePackageSettings& out);

// config_web.cpp: web (the public verification page's limits).
void read_web(yaml::Map& map, WebSettings& out);

// config_csc.cpp: csc (the CSC API's info and its token lifetimes).
void read_csc(yaml::Map& map, CscSettings& out);

// The words as a list for a message: "a, b, c".
inline std::string joined(const std::vector<std::string>& words) {
    std::string all;
    for (const auto& w : words)
        all += (all.empty() ? "" : ", ") + w;
    return all;
}

}  // namespace signet::policy::sections
