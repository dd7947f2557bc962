// What the CA takes in, over real HTTP(S) and signetctl, as a hostile or careless client sends
// it: CSRs with bad RSA exponents, loose framing or SHA-1 signatures; JSON numbers that are not
// integers in range and duplicate names; subjects no certificate could ever be issued for;
// names full of RFC 4514 specials; long input echoed in errors. Each refusal is a specific
// 400 (or CLI exit 2) and changes nothing. And the policy chain a relying party checks with
// openssl verify -explicit_policy.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "common/bytes.hpp"
#include "tests/integration/ca_appliance.hpp"
#include "tests/support/csr.hpp"

using namespace signet::testing;
using namespace signet::testing::ca_appliance;

namespace {

const std::string kPersonalPolicy = "1.3.6.1.4.1.99999.2.1";

// POSTs `body` to /v1/certificates and checks it is refused with `status`, problem type
// `slug` and a detail containing `needle`; returns the detail.
std::string refused(Appliance& a, const std::string& body, const std::string& needle,
                    int status = 400, const std::string& slug = "invalid-argument") {
    const auto [got, text] = a.api("POST", "/v1/certificates", body);
    BOOST_CHECK_MESSAGE(got == status, "status " << got << " for " << body.substr(0, 200) << ": "
                                                 << text.substr(0, 600));
    if (got == 201)
        return "";
    const json problem = json::parse(text);
    BOOST_CHECK_EQUAL(problem["type"], "https://signet.example/problems/" + slug);
    const std::string detail = problem["detail"];
    BOOST_CHECK_MESSAGE(detail.find(needle) != std::string::npos,
                        "expected '" << needle << "' in " << detail.substr(0, 600));
    return detail;
}

json with_csr(Appliance& a, const std::string& csr) {
    return {{"subject_id", a.person}, {"profile", "personal"}, {"csr", csr}};
}

std::size_t subject_count(Appliance& a) {
    const auto list = a.signetctl({"subject", "list"});
    BOOST_REQUIRE_MESSAGE(list.exit_code == 0, list.output);
    return static_cast<std::size_t>(std::count(list.output.begin(), list.output.end(), '\n')) - 1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ca_intake)

BOOST_AUTO_TEST_CASE(rsa_exponents_other_than_65537_are_refused_and_change_nothing) {
    auto& a = Appliance::instance();
    const std::size_t before = certificate_count(a, a.person);
    const auto normal = make_rsa_key();
    const auto e3 = make_rsa_key(2048, 3);
    // e = 1: the request's signature verifies (it is the encoded hash itself).
    const auto e1 = rsa_public_key_with_exponent(normal.get(), 1);
    const auto even = rsa_public_key_with_exponent(normal.get(), 65538);
    refused(a, with_csr(a, csr_pem(e3.get())).dump(), "RSA public exponent 3 is not allowed");
    refused(a, with_csr(a, forged_e1_csr_pem(e1.get())).dump(),
            "RSA public exponent 1 is not allowed");
    refused(a, with_csr(a, csr_pem(even.get(), normal.get(), EVP_sha256())).dump(),
            "RSA public exponent 65538 is not allowed");
    BOOST_CHECK_EQUAL(certificate_count(a, a.person), before);
}

BOOST_AUTO_TEST_CASE(loose_pem_framing_and_weak_csr_signatures_are_refused) {
    auto& a = Appliance::instance();
    const std::size_t before = certificate_count(a, a.person);
    const std::string first =
        make_csr(a.dir(), "first", {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"});
    const std::string second =
        make_csr(a.dir(), "second", {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"});
    refused(a, with_csr(a, first + "trailing garbage\n").dump(), "after its END line");
    refused(a, with_csr(a, first + second).dump(), "after its END line");
    // openssl itself signs with SHA-1 when told to: ecdsa-with-SHA1 and sha1WithRSAEncryption.
    refused(a,
            with_csr(a, make_csr(a.dir(), "ec-sha1",
                                 {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-sha1"}))
                .dump(),
            "(1.2.840.10045.4.1) is not accepted");
    refused(a, with_csr(a, make_csr(a.dir(), "rsa-sha1", {"-newkey", "rsa:2048", "-sha1"})).dump(),
            "(1.2.840.113549.1.1.5) is not accepted");
    const auto rsa = make_rsa_key();
    refused(a, with_csr(a, csr_pem(rsa.get(), rsa.get(), EVP_md5())).dump(),
            "(1.2.840.113549.1.1.4) is not accepted");
    refused(a, with_csr(a, csr_pem(rsa.get(), rsa.get(), EVP_sha1(), true)).dump(),
            "RSA-PSS with a hash other than");
    BOOST_CHECK_EQUAL(certificate_count(a, a.person), before);
    // The same first request alone is fine, with whitespace around it.
    issue(a, with_csr(a, "\n" + first + "\n\n"));
}

BOOST_AUTO_TEST_CASE(json_integers_must_be_integers_in_range_and_names_unique) {
    auto& a = Appliance::instance();
    const std::size_t before = certificate_count(a, a.person);
    const std::string id = std::to_string(a.person);
    const std::string rest = R"(,"profile":"personal","key_type":"ec-p256"})";
    const std::string rule = "'subject_id' must be an integer from 1 to 9223372036854775807";
    // Each of these was once taken as the person's id (or wrapped to a negative one).
    for (const std::string& number :
         {id + ".9", id + ".0", id + "e0", std::string("9223372036854775808"),
          std::string("18446744073709551616"), std::string("-1"), "\"" + id + "\""})
        refused(a, R"({"subject_id":)" + number + rest, rule);
    refused(a, R"({"subject_id":1e400)" + rest, "'subject_id' is out of range");
    // Two parsers taking different ones of a duplicate name would see two requests.
    refused(a,
            R"({"subject_id":)" + id +
                R"(,"profile":"nope","profile":"personal","key_type":"ec-p256"})",
            "duplicate member 'profile'");
    refused(a, R"({"subject_id":999999,"subject_id":)" + id + rest,
            "duplicate member 'subject_id'");
    BOOST_CHECK_EQUAL(certificate_count(a, a.person), before);

    // The revocation body goes through the same reader.
    const json issued =
        issue(a, {{"subject_id", a.person}, {"profile", "personal"}, {"key_type", "ec-p256"}});
    const auto [status, body] =
        a.api("POST", "/v1/certificates/" + issued["serial"].get<std::string>() + "/revoke",
              R"({"reason":"superseded","reason":"keyCompromise"})");
    BOOST_CHECK_EQUAL(status, 400);
    BOOST_CHECK_MESSAGE(body.find("duplicate member 'reason'") != std::string::npos, body);
    const auto [shown, record] =
        a.api("GET", "/v1/certificates/" + issued["serial"].get<std::string>());
    BOOST_CHECK_EQUAL(shown, 200);
    BOOST_CHECK_EQUAL(json::parse(record)["status"], "issued");
}

BOOST_AUTO_TEST_CASE(subjects_no_certificate_could_be_issued_for_are_refused_at_intake) {
    auto& a = Appliance::instance();
    const std::size_t before = subject_count(a);
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"--name", "Li Na", "--id-masked", "1101**********1234"}, "'id_masked' has '*'"},
        {{"--name", std::string(100, 'a')}, "'name' has 100 characters; at most 64"},
        {{"--name", "evil\xE2\x80\xAEgnp.exe"}, "'name' contains U+202E"},
        {{"--name",
          "Wang\xE2\x80\x8B"
          "Fang"},
         "'name' contains U+200B"},
        {{"--name", "Wang\tFang"}, "'name' contains U+0009"},
        {{"--name", "Zoe\xCC\x88"}, "'name' is not in Unicode Normalization Form C"},
        {{"--name", "Li Na", "--organization", std::string(65, 'o')},
         "'organization' has 65 characters; at most 64"},
    };
    for (const auto& [values, needle] : cases) {
        std::vector<std::string> args{"subject",         "add",          "--kind",
                                      "person",          "--document-kind", "cn_resident_id",
                                      "--mobile",        "+8613800138000"};
        args.insert(args.end(), values.begin(), values.end());
        const auto r = a.signetctl(args, Appliance::kResidentIds[2]);
        BOOST_CHECK_EQUAL(r.exit_code, 2);
        BOOST_CHECK_MESSAGE(r.output.find(needle) != std::string::npos,
                            "expected '" << needle << "' in " << r.output);
    }
    BOOST_CHECK_EQUAL(subject_count(a), before);
}

BOOST_AUTO_TEST_CASE(a_name_with_rfc4514_specials_is_verbatim_in_the_certificate) {
    auto& a = Appliance::instance();
    const std::string name = "  O'Brien, \"Jr\"+\\<>;=# ";
    const auto id = a.add_verified_person(name, Appliance::kResidentIds[3], 3);
    const json issued =
        issue(a, {{"subject_id", id}, {"profile", "personal"}, {"key_type", "ec-p256"}});
    write_file(a.dir() / "specials.pem", issued["certificate_pem"].get<std::string>());
    // openssl asn1parse prints a UTF8String's bytes as they are, after the ':'.
    const auto parsed =
        run_command({"openssl", "asn1parse", "-in", (a.dir() / "specials.pem").string()});
    BOOST_REQUIRE_EQUAL(parsed.exit_code, 0);
    BOOST_CHECK_MESSAGE(
        parsed.output.find("UTF8STRING        :" + name + "\n") != std::string::npos,
        parsed.output);
}

BOOST_AUTO_TEST_CASE(end_entities_pass_explicit_policy_validation_with_openssl) {
    auto& a = Appliance::instance();
    const json issued =
        issue(a, {{"subject_id", a.person}, {"profile", "personal"}, {"key_type", "ec-p256"}});
    write_file(a.dir() / "policy.pem", issued["certificate_pem"].get<std::string>());
    fetch_chain_and_crl(a);
    auto verify = [&](const std::string& policy) {
        return run_command({"openssl", "verify", "-policy_check", "-explicit_policy", "-policy",
                            policy, "-CAfile", (a.dir() / "root-ca.pem").string(), "-untrusted",
                            (a.dir() / "issuing-ca.pem").string(),
                            (a.dir() / "policy.pem").string()});
    };
    const auto good = verify(kPersonalPolicy);
    BOOST_CHECK_MESSAGE(good.exit_code == 0, good.output);
    const auto other = verify("1.3.6.1.4.1.99999.2.9");
    BOOST_CHECK_NE(other.exit_code, 0);
    BOOST_CHECK_MESSAGE(other.output.find("no explicit policy") != std::string::npos, other.output);
    // The issuing CA carries the profiles' policy; the root, the trust anchor, none.
    const auto issuing = run_command({"openssl", "x509", "-noout", "-ext", "certificatePolicies",
                                      "-in", (a.dir() / "issuing-ca.pem").string()});
    BOOST_CHECK_MESSAGE(issuing.output.find("Policy: " + kPersonalPolicy) != std::string::npos,
                        issuing.output);
    const auto root = run_command(
        {"openssl", "x509", "-noout", "-text", "-in", (a.dir() / "root-ca.pem").string()});
    BOOST_CHECK(root.output.find("Certificate Policies") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(error_details_quote_client_input_short) {
    auto& a = Appliance::instance();
    const std::string id = std::to_string(a.person);
    const std::string long_profile(16384, 'p');
    const std::string detail =
        refused(a, R"({"subject_id":)" + id + R"(,"profile":")" + long_profile + "\"}",
                "...(16384 bytes)", 404, "not-found");
    BOOST_CHECK_LT(detail.size(), 300u);
    refused(a, R"({"subject_id":)" + id + R"(,"profile":"p",")" + long_profile + "\":1}",
            "unknown member '" + std::string(64, 'p') + "'...(16384 bytes)");
    // Hidden characters are shown, not passed on to whatever displays the detail.
    refused(a, R"({"subject_id":)" + id + R"(,"profile":"evil\u202egnp"})", "'evil\\u{202E}gnp'",
            404, "not-found");
    const auto [status, body] = a.api("GET", "/v1/certificates?" + std::string(5000, 'q') + "=1");
    BOOST_CHECK_EQUAL(status, 400);
    BOOST_CHECK_MESSAGE(body.find("...(5000 bytes)") != std::string::npos && body.size() < 1024,
                        body.substr(0, 400));
}

BOOST_AUTO_TEST_SUITE_END()
