// The node's side of the contract flow (contract_flow.hpp): its signet.yaml, its HTTPS
// listener, and what prepare_contract_flow makes before the node first starts.
#include <stdexcept>

#include "common/bytes.hpp"
#include "common/digest.hpp"
#include "tests/integration/contract_flow.hpp"

namespace signet::testing {

namespace {

namespace fs = std::filesystem;

const std::string kPortPlaceholder = "@HTTP_PORT@";

std::string sha256_hex(const std::string& text) {
    const auto digest = sha256_of(std::string_view(text));
    return to_hex({digest.data(), digest.size()});
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

}  // namespace

const std::string& platform_bearer_token() {
    static const std::string token = "drill-platform-bearer-0123456789abcdef";
    return token;
}

std::string contract_flow_yaml() {
    const std::string base = "http://127.0.0.1:" + kPortPlaceholder;
    return "api_clients:\n"
           "  - name: platform\n"
           "    scopes: [subjects:read, subjects:write, ra:officer, otp, certificates:issue,\n"
           "             certificates:read, contracts]\n"
           "    token_sha256: " +
           sha256_hex(platform_bearer_token()) +
           "\n"
           "ca:\n"
           "  profiles:\n"
           "    personal:\n"
           "      issuer: issuing-ca\n"
           "      key_types: [ec-p256]\n"
           "      validity_days: 365\n"
           "      key_usage: [digitalSignature, nonRepudiation]\n"
           "      extended_key_usage: [documentSigning, emailProtection]\n"
           "      certificate_policies: [1.3.6.1.4.1.99999.2.1]\n"
           "      subject_template: \"CN={name},serialNumber={id_masked},C={country}\"\n"
           "      aia:\n"
           "        ocsp_url: " +
           base + "/ocsp\n        ca_issuers_url: " + base +
           "/ca/issuing-ca.crt\n"
           "      crl_distribution_point: " +
           base +
           "/crl/issuing-ca.crl\n"
           // The front end here shows the document and asks for the code in one step, the case
           // docs/signing.md allows TOTP for; it needs no SMS gateway.
           "signing:\n"
           "  totp_signs: true\n";
}

std::string contract_flow_https_listener(std::uint16_t port) {
    return "  https:\n    enabled: true\n    address: 127.0.0.1\n    port: " +
           std::to_string(port) + "\n    tls: {certificate: tls.pem, key: tls.key}\n";
}

CommandResult signetctl_for(const SignetdProcess& node, std::vector<std::string> words) {
    words.insert(words.begin(), built_file("ops/signetctl").string());
    words.insert(words.end(), {"--config", node.config_file().string()});
    return run_command(words);
}

void prepare_contract_flow(const SignetdProcess& node) {
    const std::string port = std::to_string(node.http_port());
    std::string yaml = read_file(node.config_file());
    replace_all(yaml, kPortPlaceholder, port);
    write_file(node.config_file(), yaml);

    const auto tls = run_command(
        {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", (node.dir() / "tls.key").string(), "-out", (node.dir() / "tls.pem").string()});
    if (tls.exit_code != 0)
        throw std::runtime_error("openssl req: " + tls.output);

    std::string ceremony = read_file(source_file("ops/ceremony.example.yaml"));
    replace_all(ceremony, "http://127.0.0.1:8080/", "http://127.0.0.1:" + port + "/");
    write_file(node.dir() / "ceremony.yaml", ceremony);
    const auto ceremony_run =
        signetctl_for(node, {"ceremony", (node.dir() / "ceremony.yaml").string()});
    if (ceremony_run.exit_code != 0)
        throw std::runtime_error("signetctl ceremony: " + ceremony_run.output);

    // ops/quickstart's keys: users' keys and documents' data keys are wrapped by two KEKs,
    // document numbers and codes hashed under the RA's two HMAC keys (docs/ra.md). The hsm
    // commands take the token and the PIN's source, not signet.yaml: the node's.
    const auto pin_at = yaml.find("  pin: ");
    const std::string pin = yaml.substr(pin_at + 7, yaml.find('\n', pin_at) - pin_at - 7);
    const std::vector<std::pair<std::string, std::string>> keys{{"kek", "user-kek"},
                                                                {"kek", "signet-documents"},
                                                                {"hmac-key", "signet-identity"},
                                                                {"hmac-key", "signet-otp"}};
    for (const auto& [command, label] : keys) {
        const auto made =
            run_command({built_file("ops/signetctl").string(), "hsm", command, "--label", label,
                         "--token", node.token_label(), "--pin", pin});
        if (made.exit_code != 0)
            throw std::runtime_error("signetctl hsm " + command + " " + label + ": " + made.output);
    }
}

fs::path make_contract_pdf(const fs::path& dir) {
    write_file(dir / "contract.ps",
               "%!PS\n/Helvetica findfont 14 scalefont setfont\n"
               "72 720 moveto (Drill contract: the parties agree to the terms.) show\n"
               "showpage\n");
    const fs::path pdf = dir / "contract.pdf";
    const auto gs = run_command({"gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite",
                                 "-sOutputFile=" + pdf.string(), (dir / "contract.ps").string()});
    if (gs.exit_code != 0)
        throw std::runtime_error("gs: " + gs.output);
    return pdf;
}

}  // namespace signet::testing
