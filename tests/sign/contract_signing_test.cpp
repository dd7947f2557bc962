// Parties sign a contract in turn with their one-time passwords (sign/contract_signing.hpp), on
// real parts, judged by verifiers nobody here wrote: poppler's pdfsig (NSS) for the PAdES
// revisions, `openssl cms -verify` and `openssl ts -verify` for the CAdES signatures and the
// document time-stamp, and our own offline verifier for the levels.
#include <openssl/cms.h>
#include <openssl/x509.h>

#include <algorithm>

#include <boost/test/unit_test.hpp>

#include "ca/x509.hpp"
#include "common/digest.hpp"
#include "sign/cms_verify.hpp"
#include "sign/pdf_document.hpp"
#include "sign/pdf_reader.hpp"
#include "sign/verify_document.hpp"
#include "tests/sign/pdf_kit.hpp"
#include "tests/sign/signing_fixture.hpp"
#include "tests/support/process.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

bool starts_with(const Bytes& whole, const Bytes& prefix) {
    return whole.size() > prefix.size() && std::equal(prefix.begin(), prefix.end(), whole.begin());
}

Sha256Digest byte_range_digest(const Bytes& file, const sign::PdfSignature& signature) {
    Sha256Stream hasher;
    for (ByteView part : sign::byte_range_parts(file, signature.byte_range))
        hasher.update(part);
    return hasher.finish();
}

std::string lowercase(std::string text) {
    std::ranges::transform(text, text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

// The first SignerInfo's signature-time-stamp token (DER) and the signature value it is over,
// read with OpenSSL's CMS API.
std::pair<Bytes, Bytes> signature_time_stamp(ByteView cms_der) {
    const unsigned char* cursor = cms_der.data();
    CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &cursor, static_cast<long>(cms_der.size())));
    BOOST_REQUIRE(cms);
    CMS_SignerInfo* signer = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
    BOOST_REQUIRE(signer != nullptr);
    const int index = CMS_unsigned_get_attr_by_NID(signer, NID_id_smime_aa_timeStampToken, -1);
    BOOST_REQUIRE(index >= 0);
    X509_ATTRIBUTE* attribute = CMS_unsigned_get_attr(signer, index);
    const ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(attribute, 0);
    BOOST_REQUIRE(value != nullptr && value->type == V_ASN1_SEQUENCE);
    const ASN1_STRING* sequence = value->value.sequence;
    const ASN1_OCTET_STRING* signature = CMS_SignerInfo_get0_signature(signer);
    return {Bytes(sequence->data, sequence->data + sequence->length),
            Bytes(signature->data, signature->data + signature->length)};
}

sign::VerifyOptions verify_options(SigningFixture& f) {
    sign::VerifyOptions options;
    options.trust_anchors = f.anchors();
    options.now = f.clock.now();
    return options;
}

// An NSS database (sql:) trusting the CA's root alone, for pdfsig.
std::filesystem::path nss_trusting_root(SigningFixture& f) {
    const auto root = f.certificates.find_ca("root");
    BOOST_REQUIRE(root);
    const auto db = f.dir.path() / "nss-root";
    std::filesystem::create_directories(db);
    const auto init = run_command({"certutil", "-N", "-d", "sql:" + db.string(), "--empty-password"});
    BOOST_REQUIRE_MESSAGE(init.exit_code == 0, init.output);
    const auto add = run_command({"certutil", "-A", "-d", "sql:" + db.string(), "-n", "root", "-t",
                                  "C,C,C", "-i", f.save("ca-root.der", root->certificate)});
    BOOST_REQUIRE_MESSAGE(add.exit_code == 0, add.output);
    return db;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(contract_signing)

BOOST_AUTO_TEST_CASE(two_persons_and_a_seal_sign_a_pdf_in_turn_and_every_signature_stays_valid) {
    SigningFixture f("signing_pdf");
    sign::Contract c = f.sent_contract("pdf");
    const Bytes original = f.current_document(c);

    // Alice by SMS: the message names the contract and the revision's fingerprint.
    const auto alice_sms = f.sms(c, 1);
    BOOST_TEST(alice_sms.message.find("房屋租赁合同 2026-118") != std::string::npos);
    BOOST_TEST(alice_sms.message.find(sign::revision_fingerprint(c.revisions[0].sha256)) !=
               std::string::npos);
    BOOST_TEST(alice_sms.challenge.fingerprint == sign::revision_fingerprint(c.revisions[0].sha256));
    c = f.signing->sign(c.record.id, 1, f.request(c, alice_sms), f.caller);
    BOOST_TEST(c.record.state == "partially_signed");
    const Bytes after_alice = f.current_document(c);
    BOOST_TEST(starts_with(after_alice, original));

    // Bob with his authenticator app (TOTP), and a visible signature on page 1.
    sign::SigningRequest bob;
    bob.authorization.revision_sha256 = c.revisions.back().sha256;
    bob.authorization.code = f.totp_now(f.bob.id);
    bob.appearance = sign::SignatureAppearance{1, 50, 50, 250, 100};
    c = f.signing->sign(c.record.id, 2, bob, f.caller);
    const Bytes after_bob = f.current_document(c);
    BOOST_TEST(starts_with(after_bob, after_alice));

    // The organization's seal, applied by its agent with a code sent to the agent.
    c = f.sign_with_sms(c, 3);
    BOOST_TEST(c.record.state == "completed");
    BOOST_TEST(c.record.current_revision == 3);
    const Bytes final_pdf = f.current_document(c);
    BOOST_TEST(starts_with(final_pdf, after_bob));
    for (const auto& signer : c.signers) {
        BOOST_TEST(signer.state == "signed");
        BOOST_REQUIRE(signer.certificate_serial);
        BOOST_TEST(*signer.certificate_serial ==
                   to_hex(f.certificates_of.at(signer.subject_id).record.serial));
    }
    f.verify_event_tokens(c);

    // pdfsig: three signatures valid, their chains trusted by the CA's root alone; the document
    // time-stamp listed after them.
    const auto nss = nss_trusting_root(f);
    const auto report = pdfsig(f.dir, nss, final_pdf, "final.pdf");
    BOOST_REQUIRE_MESSAGE(report.signatures.size() == 4, report.result.output);
    for (int i = 0; i < 3; ++i) {
        BOOST_TEST_CONTEXT("signature " << i + 1 << ": " << report.signatures[i].text) {
            BOOST_TEST(report.signatures[i].valid);
            BOOST_TEST(report.signatures[i].trusted);
        }
    }
    BOOST_TEST(qpdf_check(f.dir, final_pdf, "check.pdf").exit_code == 0);

    // Our reader and CMS verifier: each signature covers its revision, only signatures, DSS and
    // the document time-stamp came after; each is B-T with its chain trusted.
    const auto doc = sign::PdfDocument::open(final_pdf);
    const auto signatures = sign::read_signatures(doc);
    BOOST_REQUIRE_EQUAL(signatures.signatures.size(), 4u);
    for (const auto& signature : signatures.signatures) {
        BOOST_TEST_CONTEXT(signature.field_name) {
            BOOST_TEST(signature.covers_revision);
            BOOST_TEST(signature.later_changes_permitted);
        }
    }
    for (int i = 0; i < 3; ++i) {
        const auto& signature = signatures.signatures[static_cast<std::size_t>(i)];
        BOOST_TEST(signature.field_name == "Signet-" + std::to_string(i + 1));
        const Sha256Digest digest = byte_range_digest(final_pdf, signature);
        const auto verified = sign::verify_detached(
            signature.contents, sign::ContentDigest{Digest::sha256, Bytes(digest.begin(), digest.end())},
            verify_options(f));
        BOOST_REQUIRE_EQUAL(verified.signers.size(), 1u);
        BOOST_TEST(verified.signers[0].valid);
        BOOST_TEST(sign::to_string(verified.signers[0].level) == "B-T");
    }
    // Long-term validation, judged by the offline verifier from the file alone: after bob,
    // alice's and bob's signatures are B-LT (their DSS revisions hold the status of every
    // certificate of both chains); the final file's document time-stamp makes all three B-LTA.
    sign::DocumentVerifyOptions offline;
    offline.trust_anchors = f.anchors();
    offline.now = f.clock.now();
    const auto middle = sign::verify_document(after_bob, offline);
    BOOST_TEST(middle.valid);
    BOOST_REQUIRE_EQUAL(middle.signatures.size(), 2u);
    for (const auto& check : middle.signatures)
        BOOST_TEST(sign::to_string(check.level) == "B-LT", check.field_name);
    const auto final_report = sign::verify_document(final_pdf, offline);
    BOOST_TEST(final_report.valid);
    BOOST_REQUIRE_EQUAL(final_report.signatures.size(), 4u);
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(sign::to_string(final_report.signatures[static_cast<std::size_t>(i)].level) ==
                   "B-LTA");

    // The document time-stamp covers the whole file: openssl ts -verify over its ByteRange.
    const auto& stamp = signatures.signatures.back();
    BOOST_TEST(stamp.is_document_timestamp());
    BOOST_TEST(stamp.covers_whole_file);
    const auto token = f.save("doc.tst", stamp.contents);
    const auto verified = run_command({"openssl", "ts", "-verify", "-digest",
                                       to_hex(byte_range_digest(final_pdf, stamp)), "-token_in",
                                       "-in", token, "-CAfile", f.tsa.root_pem().string()});
    BOOST_TEST(verified.output.find("Verification: OK") != std::string::npos, verified.output);

    // One byte changed in the first signed revision: pdfsig and our verifier both see it.
    Bytes tampered = final_pdf;
    tampered[original.size() / 2] ^= 0x01;
    const auto broken = pdfsig(f.dir, nss, tampered, "tampered.pdf");
    BOOST_REQUIRE(!broken.signatures.empty());
    BOOST_TEST(!broken.signatures[0].valid);
    const auto& first = signatures.signatures[0];
    const Sha256Digest tampered_digest = byte_range_digest(tampered, first);
    const auto refused = sign::verify_detached(
        first.contents,
        sign::ContentDigest{Digest::sha256, Bytes(tampered_digest.begin(), tampered_digest.end())},
        verify_options(f));
    BOOST_TEST(!refused.signers.at(0).valid);
}

BOOST_AUTO_TEST_CASE(bytes_get_a_cades_signature_per_party_that_openssl_accepts) {
    SigningFixture f("signing_cades");
    sign::Contract c = f.sent_contract("bytes");
    // Every signer signs the original bytes, whatever revision the contract is at.
    const std::string content = f.save("contract.bin", f.document);
    for (int position = 1; position <= 3; ++position) {
        const auto sms = f.sms(c, position);
        BOOST_TEST(sms.challenge.fingerprint == sign::revision_fingerprint(c.revisions[0].sha256));
        c = f.signing->sign(c.record.id, position, f.request(c, sms), f.caller);
        const Bytes cms = f.current_document(c);
        const auto path = f.save("signer-" + std::to_string(position) + ".p7s", cms);
        const auto accepted =
            run_command({"openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", path,
                         "-content", content, "-CAfile", f.anchors_pem(), "-purpose", "any",
                         "-out", "/dev/null"});
        BOOST_TEST(accepted.exit_code == 0, accepted.output);

        const auto report = sign::verify_detached(cms, f.document, verify_options(f));
        BOOST_REQUIRE_EQUAL(report.signers.size(), 1u);
        BOOST_TEST(report.signers[0].valid);
        BOOST_TEST(sign::to_string(report.signers[0].level) == "B-LT");
        BOOST_TEST(lowercase(report.signers[0].chain.certificates.at(0).certificate.serial) ==
                   to_hex(f.certificates_of.at(c.signers[static_cast<std::size_t>(position - 1)]
                                                   .subject_id)
                              .record.serial));
        // Its signature time-stamp passes openssl ts -verify against the TSA's root.
        const auto [token_der, signature_value] = signature_time_stamp(cms);
        const auto token = f.save("token-" + std::to_string(position) + ".tst", token_der);
        const auto stamped = run_command(
            {"openssl", "ts", "-verify", "-digest", to_hex(sha256_of(signature_value)),
             "-token_in", "-in", token, "-CAfile", f.tsa.root_pem().string()});
        BOOST_TEST(stamped.output.find("Verification: OK") != std::string::npos, stamped.output);
    }
    BOOST_TEST(c.record.state == "completed");
    // One byte changed: openssl refuses it.
    Bytes tampered = f.document;
    tampered[100] ^= 0x01;
    const auto changed = f.save("tampered.bin", tampered);
    const auto refused = run_command({"openssl", "cms", "-verify", "-binary", "-inform", "DER",
                                      "-in", f.save("last.p7s", f.current_document(c)), "-content",
                                      changed, "-CAfile", f.anchors_pem(), "-purpose", "any",
                                      "-out", "/dev/null"});
    BOOST_TEST(refused.exit_code != 0);
}

BOOST_AUTO_TEST_SUITE_END()
