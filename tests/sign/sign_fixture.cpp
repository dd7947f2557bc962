#include "tests/sign/sign_fixture.hpp"

#include <openssl/cms.h>
#include <openssl/pem.h>

#include <boost/test/unit_test.hpp>

#include "ca/ceremony.hpp"
#include "ca/x509.hpp"
#include "common/der.hpp"
#include "tests/store/test_cluster.hpp"
#include "tests/support/softhsm.hpp"
#include "tsa/identity.hpp"

namespace signet::testing {

namespace {

policy::Ceremony ceremony(const std::filesystem::path& dir) {
    policy::Ceremony c;
    c.file = dir / "ceremony.yaml";
    c.output_dir = dir / "out";
    c.root.name = "root";
    c.root.subject = "CN=Signing Test Root,O=Signet Tests,C=CN";
    c.root.validity_days = 3650;
    c.root.key = {"root", KeyType::ec_p256};
    policy::CeremonyCa issuing;
    issuing.name = "issuing";
    issuing.subject = "CN=Signing Test Issuing,O=Signet Tests,C=CN";
    issuing.validity_days = 730;
    issuing.path_length = 0;
    issuing.key = {"issuing", KeyType::ec_p256};
    issuing.ocsp_url = "http://127.0.0.1:8080/ocsp";
    issuing.crl_distribution_point = "http://127.0.0.1:8080/crl/issuing.crl";
    policy::CeremonyCertificate responder;
    responder.subject = "CN=Signing Test OCSP,O=Signet Tests,C=CN";
    responder.validity_days = 365;
    responder.key = {"ocsp-issuing", KeyType::ec_p256};
    issuing.ocsp_responder = responder;
    c.root.crl_distribution_point = "http://127.0.0.1:8080/crl/root.crl";
    c.issuing_cas.push_back(issuing);
    policy::CeremonyTsa tsa;
    tsa.subject = "CN=Signing Test TSA,O=Signet Tests,C=CN";
    tsa.validity_days = 365;
    tsa.key = {"tsa", KeyType::ec_p256};
    tsa.issuer = "issuing";
    c.tsa = tsa;
    return c;
}

policy::CertificateProfile personal_profile() {
    policy::CertificateProfile p;
    p.issuer = "issuing";
    p.key_types = {KeyType::ec_p256, KeyType::rsa_2048};
    p.validity_days = 30;
    p.key_usage = {"digitalSignature", "nonRepudiation"};
    p.extended_key_usage = {"1.3.6.1.5.5.7.3.36",
                            "1.3.6.1.5.5.7.3.4"};  // documentSigning, emailProtection
    p.subject_template = "CN={name},O={organization},C={country}";
    p.ocsp_url = "http://127.0.0.1:8080/ocsp";
    p.crl_distribution_point = "http://127.0.0.1:8080/crl/issuing.crl";
    return p;
}

X509Ptr copy(const X509Ptr& certificate) {
    X509_up_ref(certificate.get());
    return X509Ptr(certificate.get());
}

X509Ptr stored_certificate(store::CertificateReader& certificates, const std::string& ca) {
    const auto record = certificates.find_ca(ca);
    BOOST_REQUIRE(record);
    return ca::certificate_from_der(record->certificate);
}

}  // namespace

SignFixture::SignFixture(const std::string& database_name)
    : token(SoftHsm::instance().open_new_token("sign")),
      clock(std::make_shared<ManualClock>(std::chrono::system_clock::now())) {
    database = std::make_unique<store::Database>(store::DatabaseOptions{
        .dsn = TestCluster::instance().migrated_database(database_name), .pool_size = 4});
    audit = std::make_unique<audit::PostgresAuditLog>(*database, *clock);
    certificates = std::make_unique<store::PostgresCertificates>(*database);
    subjects = std::make_unique<store::PostgresSubjects>(*database);
    token->generate_kek("user-kek");
    ca::run_ceremony(ceremony(dir.path()), {}, *token, *database, *certificates, *audit, *clock,
                     "operator:test");
    policy::CaSettings ca_settings;
    ca_settings.profiles.emplace("personal", personal_profile());
    authority = std::make_unique<ca::Authority>(ca::Authority::Dependencies{
        token, *database, *certificates, *subjects, *audit, *clock, ca_settings});
    subject_id = database->transaction([&](store::Connection& tx) {
        return subjects->add(
            tx, {0, "person", "Wang Fang", "Example Contracts", "CN", "", 2, clock->now()});
    });
    root = stored_certificate(*certificates, "root");
    issuing = stored_certificate(*certificates, "issuing");
    write_file(root_pem(), ca::certificate_pem(root.get()));
    write_file(issuing_pem(), ca::certificate_pem(issuing.get()));

    auto identity = tsa::load_signing_identity(*certificates, *token, "tsa");
    BOOST_REQUIRE(identity);
    tsa_certificate = copy(identity->certificate);
    tsa_record = *certificates->find_service("tsa");
    tsa_tokens = std::make_unique<store::PostgresTsaTokens>(*database);
    journal = std::make_shared<tsa::GroupCommitJournal>(*database, *tsa_tokens);
    tsa::ResponderOptions options;
    options.identity = std::move(*identity);
    options.clock = clock;
    auto hsm_token = token;
    options.serials = std::make_shared<tsa::RandomSerials>(
        [hsm_token](std::size_t n) { return hsm_token->random(n); });
    options.journal = journal;
    options.node = "test:1";
    tsa = std::make_unique<tsa::Responder>(std::move(options));

    responder_keys = std::make_unique<ocsp::ResponderKeys>(token, *certificates, *clock);
    ocsp_signer = std::make_unique<ocsp::HsmResponseSigner>(*responder_keys, std::chrono::hours(1));
}

SignFixture::~SignFixture() {
    tsa.reset();
    journal.reset();
}

Person SignFixture::issue_person(KeyType type) {
    Person person;
    person.issued = authority->issue({subject_id, "personal", std::nullopt, type, "operator:test"});
    const store::CertificateRecord& record = person.issued.record;
    BOOST_REQUIRE(record.wrapped_key && record.kek_label);
    person.signer.key = token->wrapped_signer(
        {parse_key_type(record.key_type), *record.wrapped_key, record.public_key},
        *record.kek_label);
    person.signer.certificate = ca::certificate_from_der(*record.der);
    person.signer.chain.push_back(copy(issuing));
    return person;
}

sign::TimeStamper SignFixture::time_stamper() {
    return sign::tsa_time_stamper(*tsa, {std::string("signing-test"), "in-process"});
}

Bytes SignFixture::sign(const Person& person, ByteView content, sign::CmsSignOptions options,
                        Digest digest) {
    return sign::sign_detached(sign::digest_content(digest, content), person.signer, time_stamper(),
                               options);
}

Bytes SignFixture::ocsp_response(const store::CertificateRecord& record) {
    return ocsp_signer->sign(record, ocsp::CertIdHash::sha256, clock->now()).der;
}

Bytes SignFixture::root_crl() {
    return authority->publish_crl("root", "operator:test").der;
}

sign::ValidationData SignFixture::validation_data(const Person& person) {
    sign::ValidationData data;
    data.certificates = {ca::certificate_der(issuing.get()), ca::certificate_der(root.get()),
                         ca::certificate_der(tsa_certificate.get())};
    const auto current = certificates->find(person.issued.record.serial);
    BOOST_REQUIRE(current);
    data.ocsp_responses = {ocsp_response(*current), ocsp_response(tsa_record)};
    data.crls = {root_crl()};
    return data;
}

std::string SignFixture::save(const std::string& name, ByteView bytes) const {
    const auto path = dir.path() / name;
    write_file(path, std::string(bytes.begin(), bytes.end()));
    return path.string();
}

CommandResult openssl_cms_verify(const SignFixture& f, const std::string& cms_path,
                                 const std::string& content_path) {
    return run_command({"openssl", "cms", "-verify", "-binary", "-content", content_path, "-inform",
                        "DER", "-in", cms_path, "-CAfile", f.root_pem(), "-purpose", "any", "-out",
                        "/dev/null"});
}

std::string openssl_cms_print(const std::string& cms_path) {
    const auto printed =
        run_command({"openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", cms_path});
    BOOST_REQUIRE_MESSAGE(printed.exit_code == 0, printed.output);
    return printed.output;
}

StampedSignature stamped_signature(ByteView cms_der) {
    const unsigned char* cursor = cms_der.data();
    const CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &cursor, static_cast<long>(cms_der.size())));
    BOOST_REQUIRE(cms);
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
    BOOST_REQUIRE(si != nullptr);
    StampedSignature out;
    const ASN1_OCTET_STRING* signature = CMS_SignerInfo_get0_signature(si);
    out.signature_value.assign(ASN1_STRING_get0_data(signature),
                               ASN1_STRING_get0_data(signature) + ASN1_STRING_length(signature));
    const auto* token = static_cast<const ASN1_STRING*>(CMS_unsigned_get0_data_by_OBJ(
        si, OBJ_nid2obj(NID_id_smime_aa_timeStampToken), -3, V_ASN1_SEQUENCE));
    BOOST_REQUIRE_MESSAGE(token != nullptr, "no signature-time-stamp attribute");
    out.token.assign(ASN1_STRING_get0_data(token),
                     ASN1_STRING_get0_data(token) + ASN1_STRING_length(token));
    return out;
}

Bytes edit_signer_info(ByteView cms_der, const std::function<void(CMS_SignerInfo*)>& edit) {
    const unsigned char* cursor = cms_der.data();
    const CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &cursor, static_cast<long>(cms_der.size())));
    BOOST_REQUIRE(cms);
    edit(sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0));
    return to_der(i2d_CMS_ContentInfo, cms.get());
}

}  // namespace signet::testing
