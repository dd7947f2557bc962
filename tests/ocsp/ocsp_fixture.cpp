#include "tests/ocsp/ocsp_fixture.hpp"

#include <openssl/ocsp.h>

#include "ca/ceremony.hpp"
#include "ca/x509.hpp"
#include "tests/store/test_cluster.hpp"

namespace signet::testing {

namespace {

policy::CertificateProfile profile(const std::string& issuer) {
    policy::CertificateProfile p;
    p.issuer = issuer;
    p.key_types = {KeyType::ec_p256};
    p.validity_days = 30;
    p.key_usage = {"digitalSignature", "nonRepudiation"};
    p.extended_key_usage = {"1.3.6.1.5.5.7.3.36"};
    p.subject_template = "CN={name},O={organization},C={country}";
    p.ocsp_url = "http://127.0.0.1:8080/ocsp";
    return p;
}

// A root; "issuing" with a delegated OCSP responder (RFC 6960 §4.2.2.2); "plain" without one.
policy::Ceremony ceremony(const std::filesystem::path& dir) {
    policy::Ceremony c;
    c.file = dir / "ceremony.yaml";
    c.output_dir = dir / "out";
    c.root.name = "root";
    c.root.subject = "CN=OCSP Test Root,O=Signet Tests,C=CN";
    c.root.validity_days = 3650;
    c.root.key = {"root", KeyType::ec_p256};
    policy::CeremonyCa issuing;
    issuing.name = "issuing";
    issuing.subject = "CN=OCSP Test Issuing,O=Signet Tests,C=CN";
    issuing.validity_days = 730;
    issuing.path_length = 0;
    issuing.key = {"issuing", KeyType::ec_p256};
    issuing.ocsp_url = "http://127.0.0.1:8080/ocsp";
    policy::CeremonyCertificate responder;
    responder.subject = "CN=OCSP Test Responder,O=Signet Tests,C=CN";
    responder.validity_days = 365;
    responder.key = {"ocsp-issuing", KeyType::ec_p256};
    issuing.ocsp_responder = responder;
    c.issuing_cas.push_back(issuing);
    policy::CeremonyCa plain = issuing;
    plain.name = "plain";
    plain.subject = "CN=OCSP Test Plain,O=Signet Tests,C=CN";
    plain.key = {"plain", KeyType::ec_p256};
    plain.ocsp_responder.reset();
    c.issuing_cas.push_back(plain);
    return c;
}

}  // namespace

std::optional<ocsp::SignedResponse> MapCache::find(const ocsp::ResponseKey& key,
                                                   Clock::time_point now) {
    std::lock_guard lock(mutex_);
    const auto it = responses_.find(key);
    if (it == responses_.end() || it->second.next_update <= now)
        return std::nullopt;
    ++hits_;
    return it->second;
}

void MapCache::offer(const ocsp::ResponseKey& key, const ocsp::SignedResponse& response) {
    std::lock_guard lock(mutex_);
    responses_[key] = response;
    ++offers_;
}

std::size_t MapCache::offers() const {
    std::lock_guard lock(mutex_);
    return offers_;
}

std::size_t MapCache::hits() const {
    std::lock_guard lock(mutex_);
    return hits_;
}

OcspFixture::OcspFixture(std::shared_ptr<hsm::Token> token_in, const std::string& name,
                         policy::OcspSettings ocsp_settings)
    : token(std::move(token_in)), database_name(name), settings(ocsp_settings) {
    database = std::make_unique<store::Database>(store::DatabaseOptions{
        .dsn = TestCluster::instance().migrated_database(name), .pool_size = 4});
    audit = std::make_unique<audit::PostgresAuditLog>(*database, clock);
    certificates = std::make_unique<store::PostgresCertificates>(*database);
    subjects = std::make_unique<store::PostgresSubjects>(*database);
    token->generate_kek("user-kek");
    ca::run_ceremony(ceremony(dir.path()), {}, *token, *database, *certificates, *audit, clock,
                     "operator:test");
    policy::CaSettings ca_settings;
    ca_settings.profiles.emplace("personal", profile("issuing"));
    ca_settings.profiles.emplace("plain", profile("plain"));
    authority = std::make_unique<ca::Authority>(ca::Authority::Dependencies{
        token, *database, *certificates, *subjects, *audit, clock, ca_settings});
    subject_id = database->transaction([&](store::Connection& tx) {
        return subjects->add(tx, {0, "person", "Wang Fang", "", "CN", "", 2, clock.now()});
    });
    keys = std::make_unique<ocsp::ResponderKeys>(token, *certificates, clock);
    signer = std::make_unique<ocsp::HsmResponseSigner>(*keys, settings.response_validity);
    rebuild_responder(settings);
}

OcspFixture::~OcspFixture() = default;

void OcspFixture::rebuild_responder(policy::OcspSettings new_settings) {
    settings = new_settings;
    responder = std::make_unique<ocsp::StatusResponder>(
        ocsp::StatusResponder::Dependencies{*certificates, cache, *keys, *signer, clock, settings});
    responder->register_metrics(metrics);
}

ca::Issued OcspFixture::issue(const std::string& name) {
    auto issued = authority->issue({subject_id, "personal", std::nullopt, KeyType::ec_p256,
                                    "operator:test"});
    write_file(dir / (name + ".pem"), ca::certificate_pem(issued.certificate()));
    return issued;
}

ca::Issued OcspFixture::issue_plain(const std::string& name) {
    auto issued =
        authority->issue({subject_id, "plain", std::nullopt, KeyType::ec_p256, "operator:test"});
    write_file(dir / (name + ".pem"), ca::certificate_pem(issued.certificate()));
    return issued;
}

Bytes OcspFixture::request(const std::string& issuer_pem, std::vector<std::string> extra) {
    std::vector<std::string> argv{"openssl", "ocsp", "-issuer", issuer_pem};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const std::string out = (dir / "request.der").string();
    argv.insert(argv.end(), {"-reqout", out});
    const auto made = run_command(argv);
    BOOST_REQUIRE_MESSAGE(made.exit_code == 0, made.output);
    const std::string der = read_file(out);
    return Bytes(der.begin(), der.end());
}

std::string OcspFixture::save(const std::string& name, const Bytes& der) {
    const auto path = dir / name;
    write_file(path, std::string(der.begin(), der.end()));
    return path.string();
}

OpensslVerdict OcspFixture::check(const Bytes& response, std::vector<std::string> extra) {
    std::vector<std::string> argv{"openssl",  "ocsp",         "-respin", save("response.der", response),
                                  "-CAfile", pem("root"), "-resp_text"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const auto ran = run_command(argv);
    BOOST_TEST_MESSAGE("openssl ocsp: " << ran.output);
    return {ran.exit_code, ran.output};
}

void OcspFixture::drop_database() {
    store::Database admin({.dsn = TestCluster::instance().server().dsn("postgres"), .pool_size = 1});
    admin.with_connection([&](store::Connection& c) {
        c.exec("DROP DATABASE \"" + database_name + "\" WITH (FORCE)");
    });
}

int response_status(const Bytes& der) {
    const unsigned char* p = der.data();
    OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
    BOOST_REQUIRE(response);
    return OCSP_response_status(response.get());
}

OcspBasicRespPtr basic_response(const Bytes& der) {
    const unsigned char* p = der.data();
    OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
    BOOST_REQUIRE(response);
    OcspBasicRespPtr basic(OCSP_response_get1_basic(response.get()));
    BOOST_REQUIRE(basic);
    return basic;
}

std::vector<std::string> response_times(const Bytes& der) {
    const auto basic = basic_response(der);
    const auto text = [](const ASN1_GENERALIZEDTIME* t) {
        BOOST_REQUIRE(t != nullptr);
        BOOST_CHECK_EQUAL(ASN1_STRING_type(t), V_ASN1_GENERALIZEDTIME);
        return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(t)),
                           static_cast<std::size_t>(ASN1_STRING_length(t)));
    };
    OCSP_SINGLERESP* single = OCSP_resp_get0(basic.get(), 0);
    BOOST_REQUIRE(single != nullptr);
    ASN1_GENERALIZEDTIME* this_update = nullptr;
    ASN1_GENERALIZEDTIME* next_update = nullptr;
    OCSP_single_get0_status(single, nullptr, nullptr, &this_update, &next_update);
    return {text(OCSP_resp_get0_produced_at(basic.get())), text(this_update), text(next_update)};
}

}  // namespace signet::testing
