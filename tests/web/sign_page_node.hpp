#pragma once

// The signer's page test's node (tests/web/sign_page_test.cpp): signetd over HTTPS with e-mail
// notifications to a loopback SMTP server with STARTTLS (tests/notify/smtp_server.py) and codes
// sent to a loopback SMS gateway (sms_gateway.py), set up by the platform's real API
// (tests/integration/contract_flow.hpp).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "tests/integration/contract_flow.hpp"
#include "tests/support/process.hpp"
#include "tests/support/signetd.hpp"

namespace signet::testing {

// The node, the two loopback servers it talks to, and the platform client that sets things up.
// The node has contract_flow's parties and profiles, an e-seal profile, the e-mail links
// (link_base https://127.0.0.1:PORT/sign/), the SMS gateway, no TOTP signing and
// otp.max_failures 2.
struct SignPageNode {
    SignPageNode();

    // The signing link in the `nth` e-mail to `address` (polled: the deliverer sends it).
    std::string link_mailed_to(const std::string& address, int nth = 1) const;
    // Moves the links' issue and expiry into the past, as time would (the node's own database;
    // the table wants expires_at after created_at).
    void expire_links_of(const std::string& contract_id) const;

    std::uint16_t https_port;
    SignetdProcess node;
    std::filesystem::path mail_dir = node.dir() / "mail";
    std::filesystem::path sms_dir = node.dir() / "sms";
    std::unique_ptr<ChildProcess> smtp;
    std::unique_ptr<ChildProcess> sms;
    std::unique_ptr<PlatformClient> client;
};

// A verified organization with an e-seal certificate, and `agent` authorized to apply its seal:
// the organization's subject id.
std::int64_t sealing_organization(const PlatformClient& client, const Party& representative,
                                  const Party& agent);

}  // namespace signet::testing
