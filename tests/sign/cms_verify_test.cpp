// sign::verify_detached on real signatures (SoftHSM, a ceremony's CA, the TSA, OCSP and CRLs):
// the level each reaches with and without each part, revocation at the signing time, trust, and
// the refusals of malformed input.
#include "sign/cms_verify.hpp"

#include <openssl/cms.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "ca/x509.hpp"
#include "common/der.hpp"
#include "sign/validation_data.hpp"
#include "tests/sign/sign_fixture.hpp"
#include "tests/support/expect.hpp"

using namespace signet;
using namespace signet::testing;
using sign::Level;
using sign::RevocationStatus;

namespace {

const std::string kContent = "Lease agreement, flat 5B; signed by both parties.";

sign::VerifyOptions trusting_root(const SignFixture& f) {
    sign::VerifyOptions options;
    options.trust_anchors.push_back(ca::certificate_from_der(ca::certificate_der(f.root.get())));
    options.now = f.clock->now() + std::chrono::hours(24);  // a later verifier
    return options;
}

// A copy: the report passed in is often a temporary.
sign::SignerReport only_signer(const sign::VerifyReport& report) {
    BOOST_REQUIRE_EQUAL(report.signers.size(), 1u);
    for (const std::string& problem : report.signers[0].problems)
        BOOST_TEST_MESSAGE("problem: " << problem);
    return report.signers[0];
}

std::vector<RevocationStatus> statuses(const sign::ChainReport& chain) {
    std::vector<RevocationStatus> out;
    for (const auto& entry : chain.certificates)
        out.push_back(entry.revocation.status);
    return out;
}

Bytes without_time_stamp(const Bytes& cms) {
    return edit_signer_info(cms, [](CMS_SignerInfo* si) {
        const int index = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
        BOOST_REQUIRE(index >= 0);
        X509_ATTRIBUTE_free(CMS_unsigned_delete_attr(si, index));
    });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cms_verify)

BOOST_AUTO_TEST_CASE(levels_b_b_b_t_b_lt_with_and_without_each_part) {
    SignFixture f("verify_levels");
    const Person person = f.issue_person(KeyType::ec_p256);
    const Bytes b_t = f.sign(person, as_bytes(kContent));
    const Bytes b_lt = sign::add_validation_data(b_t, f.validation_data(person));
    const Bytes b_b = without_time_stamp(b_t);
    const auto options = trusting_root(f);
    if (const char* corpus = std::getenv("SIGNET_CMS_CORPUS_DIR"))  // fuzz/cms_verify_fuzz.cpp's
        write_file(std::filesystem::path(corpus) / "b-b.p7s", std::string(b_b.begin(), b_b.end()));

    const auto& t = only_signer(sign::verify_detached(b_t, as_bytes(kContent), options));
    BOOST_CHECK(t.level == Level::b_t);
    BOOST_CHECK(t.valid && t.signature_valid && t.digest_matches && t.signing_certificate_matches);
    BOOST_CHECK(!t.has_signing_time);
    BOOST_CHECK_EQUAL(t.digest_algorithm, "SHA256");
    BOOST_CHECK(t.time_stamp.present && t.time_stamp.signature_valid &&
                t.time_stamp.imprint_matches);
    BOOST_REQUIRE(t.time_stamp.time);
    BOOST_CHECK(t.validation_time == *t.time_stamp.time);
    BOOST_CHECK(t.time_stamp.tsa.trusted);
    BOOST_CHECK(t.chain.trusted && t.chain.complete);
    BOOST_REQUIRE_EQUAL(t.chain.certificates.size(), 3u);  // person, issuing CA, root (the anchor)
    BOOST_CHECK_EQUAL(t.chain.certificates[0].certificate.serial,
                      to_hex(person.issued.record.serial));
    BOOST_CHECK(t.chain.certificates[0].certificate.subject.find("CN=Wang Fang") !=
                std::string::npos);
    BOOST_CHECK(
        (statuses(t.chain) == std::vector{RevocationStatus::missing, RevocationStatus::missing,
                                          RevocationStatus::not_checked}));

    const auto& lt = only_signer(sign::verify_detached(b_lt, as_bytes(kContent), options));
    BOOST_CHECK(lt.level == Level::b_lt);
    BOOST_CHECK(lt.valid);
    BOOST_CHECK((statuses(lt.chain) == std::vector{RevocationStatus::good, RevocationStatus::good,
                                                   RevocationStatus::not_checked}));
    BOOST_CHECK_EQUAL(lt.chain.certificates[0].revocation.source, "ocsp");
    BOOST_CHECK_EQUAL(lt.chain.certificates[1].revocation.source, "crl");
    BOOST_CHECK(
        (statuses(lt.time_stamp.tsa) == std::vector{RevocationStatus::good, RevocationStatus::good,
                                                    RevocationStatus::not_checked}));

    const auto& b = only_signer(sign::verify_detached(b_b, as_bytes(kContent), options));
    BOOST_CHECK(b.level == Level::b_b);
    BOOST_CHECK(b.valid);
    BOOST_CHECK(!b.time_stamp.present);
    BOOST_CHECK(b.validation_time == options.now);

    // B-LT without the TSA certificate's OCSP response: its revocation data is missing.
    sign::ValidationData partial = f.validation_data(person);
    partial.ocsp_responses.pop_back();
    const Bytes almost = sign::add_validation_data(b_t, partial);
    const auto& t2 = only_signer(sign::verify_detached(almost, as_bytes(kContent), options));
    BOOST_CHECK(t2.level == Level::b_t);
    BOOST_CHECK(t2.time_stamp.tsa.certificates[0].revocation.status == RevocationStatus::missing);
    BOOST_CHECK(t2.chain.certificates[0].revocation.status == RevocationStatus::good);

    // The digest instead of the content: the PAdES path.
    const auto& by_digest = only_signer(sign::verify_detached(
        b_lt, sign::digest_content(Digest::sha256, as_bytes(kContent)), options));
    BOOST_CHECK(by_digest.level == Level::b_lt);
    const auto& other_algorithm = only_signer(sign::verify_detached(
        b_lt, sign::digest_content(Digest::sha384, as_bytes(kContent)), options));
    BOOST_CHECK(!other_algorithm.digest_matches);
    BOOST_CHECK(other_algorithm.level == Level::none);
}

BOOST_AUTO_TEST_CASE(changed_content_and_swapped_time_stamp) {
    SignFixture f("verify_tamper");
    const Person person = f.issue_person(KeyType::rsa_2048);
    const Bytes first = f.sign(person, as_bytes(kContent));
    const Bytes second = f.sign(person, as_bytes(kContent + "!"));
    const auto options = trusting_root(f);

    std::string changed = kContent;
    changed[0] = 'l';
    const auto& tampered = only_signer(sign::verify_detached(first, as_bytes(changed), options));
    BOOST_CHECK(!tampered.digest_matches);
    BOOST_CHECK(tampered.signature_valid);  // the signed attributes are intact; the content is not
    BOOST_CHECK(tampered.level == Level::none);
    BOOST_CHECK(!tampered.valid);

    // The first signature with the second one's token: a valid token, over another signature.
    const Bytes foreign_token = stamped_signature(second).token;
    const Bytes swapped = edit_signer_info(first, [&](CMS_SignerInfo* si) {
        const int index = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
        X509_ATTRIBUTE_free(CMS_unsigned_delete_attr(si, index));
        BOOST_REQUIRE(CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken,
                                                    V_ASN1_SEQUENCE, foreign_token.data(),
                                                    static_cast<int>(foreign_token.size())) == 1);
    });
    const auto& report = only_signer(sign::verify_detached(swapped, as_bytes(kContent), options));
    BOOST_CHECK(report.time_stamp.signature_valid);
    BOOST_CHECK(!report.time_stamp.imprint_matches);
    BOOST_CHECK(report.time_stamp.problem.find("not over this signature") != std::string::npos);
    BOOST_CHECK(report.level == Level::b_b);
    BOOST_CHECK(report.validation_time == options.now);
}

BOOST_AUTO_TEST_CASE(revocation_at_the_signing_time) {
    SignFixture f("verify_revocation");
    const auto options = trusting_root(f);

    // Revoked a minute after it signed: good at the time-stamp's time, the revocation shown.
    const Person later = f.issue_person(KeyType::ec_p256);
    const Bytes signed_before = f.sign(later, as_bytes(kContent));
    f.clock->advance(std::chrono::minutes(1));
    f.authority->revoke(later.issued.record.serial, ca::RevocationReason::key_compromise,
                        std::nullopt, "operator:test");
    const Bytes lt_before = sign::add_validation_data(signed_before, f.validation_data(later));
    const auto& fine = only_signer(sign::verify_detached(lt_before, as_bytes(kContent), options));
    BOOST_CHECK(fine.chain.certificates[0].revocation.status == RevocationStatus::good);
    BOOST_CHECK(fine.chain.certificates[0].revocation.revoked_at.has_value());
    BOOST_CHECK(fine.valid);
    BOOST_CHECK(fine.level == Level::b_lt);

    // Revoked, then a signature a minute later (this layer does not look at the registry): revoked.
    const Person earlier = f.issue_person(KeyType::ec_p256);
    f.authority->revoke(earlier.issued.record.serial, ca::RevocationReason::key_compromise,
                        std::nullopt, "operator:test");
    f.clock->advance(std::chrono::minutes(1));
    const Bytes signed_after = f.sign(earlier, as_bytes(kContent));
    const Bytes lt_after = sign::add_validation_data(signed_after, f.validation_data(earlier));
    const auto& revoked = only_signer(sign::verify_detached(lt_after, as_bytes(kContent), options));
    BOOST_CHECK(revoked.chain.certificates[0].revocation.status == RevocationStatus::revoked);
    BOOST_CHECK_EQUAL(revoked.chain.certificates[0].revocation.reason.value_or(-1),
                      1);  // keyCompromise
    BOOST_CHECK(!revoked.valid);
    BOOST_CHECK(revoked.level == Level::b_lt);  // the data is there; it says revoked
}

BOOST_AUTO_TEST_CASE(trust_anchors_decide_trust_not_the_level) {
    SignFixture f("verify_trust");
    const Person person = f.issue_person(KeyType::ec_p256);
    const Bytes b_lt =
        sign::add_validation_data(f.sign(person, as_bytes(kContent)), f.validation_data(person));
    sign::VerifyOptions none;
    none.now = f.clock->now();
    const auto& untrusted = only_signer(sign::verify_detached(b_lt, as_bytes(kContent), none));
    BOOST_CHECK(untrusted.level == Level::b_lt);  // the root is embedded: the chains are complete
    BOOST_CHECK(untrusted.chain.complete && !untrusted.chain.trusted);
    BOOST_CHECK(untrusted.valid);  // intact and not revoked, as far as its own data says

    // Another root as the only anchor: nothing is trusted, and the time-stamp's time is not used.
    const auto other = run_command(
        {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "2", "-subj", "/CN=Another Root", "-keyout",
         (f.dir.path() / "other.key").string(), "-out", (f.dir.path() / "other.pem").string()});
    BOOST_REQUIRE_MESSAGE(other.exit_code == 0, other.output);
    sign::VerifyOptions wrong;
    wrong.now = none.now;
    wrong.trust_anchors.push_back(
        ca::certificate_from_pem_or_der(as_bytes(read_file(f.dir.path() / "other.pem"))));
    const auto& distrusted = only_signer(sign::verify_detached(b_lt, as_bytes(kContent), wrong));
    BOOST_CHECK(!distrusted.chain.trusted && !distrusted.valid);
    BOOST_CHECK(!distrusted.chain.problem.empty());
    BOOST_CHECK(distrusted.validation_time == wrong.now);
}

BOOST_AUTO_TEST_CASE(malformed_input_is_refused_clearly) {
    SignFixture f("verify_malformed");
    const Person person = f.issue_person(KeyType::ec_p256);
    const Bytes cms = f.sign(person, as_bytes(kContent));
    const sign::VerifyOptions options{{}, f.clock->now(), {}};
    const auto refused = [&](const Bytes& input, const std::string& needle) {
        expect_error([&] { sign::verify_detached(input, as_bytes(kContent), options); },
                     Errc::invalid_argument, needle);
    };
    refused({}, "between 1 byte");
    refused(Bytes(sign::kMaxCmsBytes + 1, 0x30), "between 1 byte");
    refused(Bytes{0x30, 0x03, 0x02, 0x01, 0x01}, "not a CMS ContentInfo");
    refused(Bytes(cms.begin(), cms.end() - 1), "not a CMS ContentInfo");
    Bytes trailing = cms;
    trailing.push_back(0x00);
    refused(trailing, "bytes after it");
    // A ContentInfo of id-data: not SignedData.
    refused(Bytes{0x30, 0x0f, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
                  0xa0, 0x02, 0x04, 0x00},
            "not SignedData");
    expect_error(
        [&] {
            sign::verify_detached(cms, sign::ContentDigest{Digest::sha256, Bytes(31, 0)}, options);
        },
        Errc::invalid_argument, "not as long as its algorithm's");

    // An attached signature (the content inside) made by openssl with a software key.
    const auto key = (f.dir.path() / "software.key").string();
    const auto certificate = (f.dir.path() / "software.pem").string();
    const auto made = run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                   "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                                   "/CN=Software Signer", "-keyout", key, "-out", certificate});
    BOOST_REQUIRE_MESSAGE(made.exit_code == 0, made.output);
    const auto attached_path = (f.dir.path() / "attached.p7s").string();
    const auto signed_attached =
        run_command({"openssl", "cms", "-sign", "-binary", "-nodetach", "-outform", "DER", "-in",
                     f.save("attached.txt", as_bytes(kContent)), "-signer", certificate, "-inkey",
                     key, "-out", attached_path});
    BOOST_REQUIRE_MESSAGE(signed_attached.exit_code == 0, signed_attached.output);
    const std::string attached = read_file(attached_path);
    refused(Bytes(attached.begin(), attached.end()), "a detached signature was expected");

    // A detached software signature (with signing-time, no signing-certificate): reported, B-B
    // not reached, not thrown.
    const auto detached_path = (f.dir.path() / "detached.p7s").string();
    const auto signed_detached =
        run_command({"openssl", "cms", "-sign", "-binary", "-outform", "DER", "-in",
                     f.save("detached.txt", as_bytes(kContent)), "-signer", certificate, "-inkey",
                     key, "-out", detached_path});
    BOOST_REQUIRE_MESSAGE(signed_detached.exit_code == 0, signed_detached.output);
    const std::string detached = read_file(detached_path);
    const auto& foreign =
        only_signer(sign::verify_detached(as_bytes(detached), as_bytes(kContent), options));
    BOOST_CHECK(foreign.signature_valid && foreign.digest_matches && foreign.has_signing_time);
    BOOST_CHECK(!foreign.signing_certificate_matches);
    BOOST_CHECK(foreign.level == Level::none);

    // Every byte of a B-LT signature flipped in turn, every 13th: a report or a clear refusal.
    const Bytes b_lt = sign::add_validation_data(cms, f.validation_data(person));
    std::size_t refusals = 0, reports = 0;
    for (std::size_t i = 0; i < b_lt.size(); i += 13) {
        Bytes flipped = b_lt;
        flipped[i] ^= 0x5a;
        try {
            const auto report = sign::verify_detached(flipped, as_bytes(kContent), options);
            ++reports;
            BOOST_CHECK_EQUAL(report.signers.size(), 1u);
        } catch (const Error& e) {
            ++refusals;
            BOOST_CHECK_MESSAGE(e.code() == Errc::invalid_argument, e.what());
        }
    }
    BOOST_TEST_MESSAGE(reports << " reports, " << refusals << " refusals");
}

BOOST_AUTO_TEST_SUITE_END()
