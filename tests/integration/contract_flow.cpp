#include "tests/integration/contract_flow.hpp"

#include <openssl/rand.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <sstream>
#include <stdexcept>

#include "common/bytes.hpp"
#include "ra/totp.hpp"

namespace signet::testing {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Long enough for any answer of a working node, signatures and evidence packages included; an
// answer that takes longer is a hang as far as a client can tell.
const std::string kMaxSeconds = "90";

// RFC 4648 §6 base32 without padding, as the otpauth URI carries the seed.
std::string base32_decode(const std::string& text) {
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (const char c : text) {
        const auto value = alphabet.find(c);
        if (value == std::string::npos)
            throw std::runtime_error("the otpauth secret is not base32");
        buffer = (buffer << 5) | static_cast<unsigned>(value);
        bits += 5;
        if (bits >= 8) {
            out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
            bits -= 8;
        }
    }
    return out;
}

// A passport number no other subject has (5-20 letters and digits, docs/ra.md).
std::string fresh_passport_number() {
    unsigned char bytes[6];
    RAND_bytes(bytes, sizeof bytes);
    return "DR" + to_hex({bytes, sizeof bytes});
}

std::string unique_name(const char* what) {
    static std::atomic<int> counter{0};
    return std::string(what) + "-" + std::to_string(++counter);
}

// The status and Content-Type of the last response in a header dump (curl -D: an interim
// 100 Continue comes first).
void read_head(const fs::path& file, ApiAnswer& answer) {
    std::istringstream in(fs::exists(file) ? read_file(file) : "");
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.starts_with("HTTP/")) {
            const auto space = line.find(' ');
            answer.status = std::stoi(line.substr(space + 1, 3));
            answer.content_type.clear();
        } else if (const auto colon = line.find(':'); colon != std::string::npos) {
            // RFC 9110 §5.1: field names are case-insensitive.
            std::string name = line.substr(0, colon);
            for (char& ch : name)
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            if (name == "content-type") {
                const auto value = line.find_first_not_of(' ', colon + 1);
                answer.content_type = value == std::string::npos ? "" : line.substr(value);
            }
        }
    }
}

}  // namespace

std::string ApiAnswer::describe() const {
    if (status == 0)
        return "no answer: " + failure;
    return "HTTP " + std::to_string(status) + " " + content_type + ": " + body.substr(0, 300);
}

PlatformClient::PlatformClient(const SignetdProcess& node, std::uint16_t https_port)
    : node_(node), base_url_("https://127.0.0.1:" + std::to_string(https_port)) {
    fs::create_directories(node_.dir() / "client");
}

ApiAnswer PlatformClient::run(std::vector<std::string> words, const fs::path& body_file) const {
    static std::atomic<long> calls{0};
    const fs::path head = node_.dir() / "client" / ("head-" + std::to_string(++calls));
    std::vector<std::string> argv{"curl",       "-sS",
                                  "--max-time", kMaxSeconds,
                                  "--cacert",   (node_.dir() / "tls.pem").string(),
                                  "-H",         "Authorization: Bearer " + platform_bearer_token(),
                                  "-D",         head.string(),
                                  "-o",         body_file.string()};
    argv.insert(argv.end(), words.begin(), words.end());
    const auto result = run_command(argv);
    ApiAnswer answer;
    if (result.exit_code != 0)
        answer.failure = "curl exit " + std::to_string(result.exit_code) + ": " + result.output;
    else
        read_head(head, answer);
    fs::remove(head);
    return answer;
}

// A request whose answer is read into memory (and its files removed).
ApiAnswer PlatformClient::exchange(std::vector<std::string> words) const {
    const fs::path body = node_.dir() / "client" / unique_name("answer");
    ApiAnswer answer = run(std::move(words), body);
    if (answer.status != 0 && fs::exists(body))
        answer.body = read_file(body);
    fs::remove(body);
    return answer;
}

ApiAnswer PlatformClient::get(const std::string& target) const {
    return exchange({base_url_ + target});
}

ApiAnswer PlatformClient::post(const std::string& target, const json& request) const {
    const fs::path sent = node_.dir() / "client" / unique_name("request");
    write_file(sent, request.dump());
    ApiAnswer answer = exchange({"-X", "POST", "-H", "Content-Type: application/json",
                                 "--data-binary", "@" + sent.string(), base_url_ + target});
    fs::remove(sent);
    return answer;
}

ApiAnswer PlatformClient::download(const std::string& target, const fs::path& into) const {
    return run({base_url_ + target}, into);
}

ApiAnswer PlatformClient::expect(ApiAnswer answer, const std::string& step,
                                 std::optional<ApiAnswer>* last) const {
    if (last != nullptr)
        *last = answer;
    if (!answer.ok())
        throw std::runtime_error(step + ": " + answer.describe());
    return answer;
}

Party PlatformClient::register_party(const std::string& name, std::optional<ApiAnswer>* last,
                                     const std::string& email) const {
    const std::string number = fresh_passport_number();
    Party party;
    json person{{"kind", "person"},
                {"name", name},
                {"document", {{"kind", "passport"}, {"number", number}, {"country", "CN"}}},
                {"mobile", "+8613800138000"}};
    if (!email.empty())
        person["email"] = email;
    party.subject_id = expect(post("/v1/subjects", person), "create the subject", last)
                           .json()["id"]
                           .get<std::int64_t>();
    const std::string subject = "/v1/subjects/" + std::to_string(party.subject_id);
    expect(post(subject + "/verification", {{"level", 2},
                                            {"reason", "passport seen in person by the drill"},
                                            {"document_number", number}}),
           "verify the subject", last);
    party.certificate_serial = expect(post("/v1/certificates", {{"subject_id", party.subject_id},
                                                                {"profile", "personal"},
                                                                {"key_type", "ec-p256"}}),
                                      "issue the certificate", last)
                                   .json()["serial"]
                                   .get<std::string>();
    const std::string uri = expect(post(subject + "/otp/totp", json::object()), "enrol TOTP", last)
                                .json()["otpauth_uri"]
                                .get<std::string>();
    const auto at = uri.find("secret=") + 7;
    party.totp_seed = base32_decode(uri.substr(at, uri.find('&', at) - at));
    return party;
}

std::string PlatformClient::submit_contract(const fs::path& pdf, const std::vector<Party>& parties,
                                            std::optional<ApiAnswer>* last) const {
    json signers = json::array();
    for (const auto& party : parties)
        signers.push_back({{"kind", "person"}, {"subject_id", party.subject_id}});
    return submit(pdf,
                  {{"title", unique_name("Drill contract")},
                   {"format", "pdf"},
                   {"metadata", {{"reference", "drill"}}},
                   {"signers", signers}},
                  "application/pdf", last);
}

std::string PlatformClient::submit(const fs::path& document, const json& contract,
                                   const std::string& media_type,
                                   std::optional<ApiAnswer>* last) const {
    const fs::path file = node_.dir() / "client" / unique_name("contract");
    write_file(file, contract.dump());
    const ApiAnswer created = exchange(
        {"-F", "contract=@" + file.string() + ";type=application/json", "-F",
         "document=@" + document.string() + ";type=" + media_type, base_url_ + "/v1/contracts"});
    fs::remove(file);
    const std::string id = expect(created, "submit the contract", last).json()["id"];
    expect(post("/v1/contracts/" + id + "/send", json::object()), "send the contract", last);
    return id;
}

Signature PlatformClient::sign(const std::string& contract_id, int position, const Party& party,
                               std::optional<ApiAnswer>* last) const {
    const std::string signer =
        "/v1/contracts/" + contract_id + "/signers/" + std::to_string(position);
    const std::string revision_sha256 =
        expect(post(signer + "/challenge", {{"channel", "totp"}}), "ask to sign", last)
            .json()["revision_sha256"];
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const std::string code = ra::totp_code(party.totp_seed, now, std::chrono::seconds(30), 6);
    const json contract =
        expect(post(signer + "/sign", {{"revision_sha256", revision_sha256}, {"code", code}}),
               "sign", last)
            .json();
    Signature signature;
    signature.contract_id = contract_id;
    signature.position = position;
    for (const auto& s : contract["signers"])
        if (s["position"] == position) {
            signature.revision = s["revision"].get<int>();
            signature.certificate_serial = s["certificate_serial"].get<std::string>();
        }
    for (const auto& r : contract["revisions"])
        if (r["number"] == signature.revision)
            signature.revision_sha256 = r["sha256"].get<std::string>();
    if (signature.revision == 0 || signature.revision_sha256.empty())
        throw std::runtime_error("the signed contract shows no revision of signer " +
                                 std::to_string(position));
    return signature;
}

std::vector<Signature> PlatformClient::sign_contract(const fs::path& pdf, int count) const {
    std::vector<Party> parties;
    for (int i = 0; i < count; ++i)
        parties.push_back(register_party(unique_name("Drill Party")));
    const std::string id = submit_contract(pdf, parties);
    std::vector<Signature> signatures;
    for (int i = 0; i < count; ++i)
        signatures.push_back(sign(id, i + 1, parties[static_cast<std::size_t>(i)]));
    return signatures;
}

std::string PlatformClient::holds(const Signature& signature) const {
    const ApiAnswer answer = get("/v1/contracts/" + signature.contract_id);
    if (!answer.ok())
        return "contract " + signature.contract_id + ": " + answer.describe();
    const json contract = answer.json();
    bool revision_there = false;
    for (const auto& r : contract["revisions"])
        revision_there = revision_there || (r["number"] == signature.revision &&
                                            r["sha256"] == signature.revision_sha256 &&
                                            r["signer"] == signature.position);
    bool signer_signed = false;
    for (const auto& s : contract["signers"])
        signer_signed =
            signer_signed || (s["position"] == signature.position && s["state"] == "signed" &&
                              s["certificate_serial"] == signature.certificate_serial &&
                              s["revision"] == signature.revision);
    if (revision_there && signer_signed)
        return "";
    return "contract " + signature.contract_id + " lacks signer " +
           std::to_string(signature.position) + "'s revision " +
           std::to_string(signature.revision) + " (" + signature.revision_sha256 + ")";
}

CommandResult PlatformClient::verify_evidence(const std::string& contract_id,
                                              const fs::path& into) const {
    const ApiAnswer answer = download("/v1/contracts/" + contract_id + "/evidence", into);
    if (answer.status != 200)
        return {.exit_code = -1,
                .output = "GET evidence: " + answer.describe() +
                          (fs::exists(into) ? " " + read_file(into).substr(0, 300) : "")};
    return run_command({built_file("ops/signetctl").string(), "evidence", "verify", into.string(),
                        "--root", (node_.dir() / "ceremony" / "root-ca.pem").string()});
}

}  // namespace signet::testing
