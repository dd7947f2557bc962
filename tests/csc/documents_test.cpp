// signatures/signDoc for document digests (csc/documents.cpp): a CAdES B-T detached signature
// over a document the SAD authorized, judged by `openssl cms -verify` against the CA's root;
// any other document refused with nothing signed.
#include <boost/test/unit_test.hpp>

#include "ca/x509.hpp"
#include "tests/csc/csc_fixture.hpp"
#include "tests/support/process.hpp"

using namespace signet;
using namespace signet::testing;
using csc::CscFailure;

BOOST_AUTO_TEST_SUITE(csc_documents)

BOOST_AUTO_TEST_CASE(a_cades_signature_over_an_authorized_document_verifies) {
    CscFixture f("csc_sign_document");
    const std::string document = "the contract's bytes, as the platform holds them";
    const Bytes digest = CscFixture::sha256(document);
    const auto activation = f.authorize(CscFixture::kPlatformA, f.alice_rsa_id, {digest}, 1);

    csc::SignDocumentRequest request{f.alice_rsa_id,
                                     activation.sad,
                                     Digest::sha256,
                                     hsm::Padding::pss,
                                     {CscFixture::sha256("another document")},
                                     {}};
    const std::string before = f.csc_tables();
    expect_csc([&] { f.service->sign_document(CscFixture::kPlatformA, request); },
               CscFailure::invalid_request, "Hash is not authorized by the SAD");
    BOOST_CHECK_EQUAL(f.csc_tables(), before);

    // sign_document: the digests' form (sign_documents takes documents too, and gives the same
    // signatures as its signature_objects).
    csc::SignDocumentRequest with_documents = request;
    with_documents.document_digests.clear();
    with_documents.documents = {{Bytes{0x25}, csc::DocumentFormat::cades,
                                 csc::DocumentEnvelope::detached}};
    BOOST_CHECK_THROW(f.service->sign_document(CscFixture::kPlatformA, with_documents), Error);
    BOOST_CHECK_EQUAL(f.csc_tables(), before);

    request.document_digests = {digest};
    const auto signatures = f.service->sign_document(CscFixture::kPlatformA, request);
    BOOST_REQUIRE_EQUAL(signatures.size(), 1u);
    const auto root = f.certificates.find_ca("root");
    BOOST_REQUIRE(root);
    const auto root_pem = f.dir.path() / "root.pem";
    write_file(root_pem, ca::certificate_pem(ca::certificate_from_der(root->certificate).get()));
    const auto content = f.dir.path() / "document.txt";
    write_file(content, document);
    const auto cms = f.dir.path() / "document.p7s";
    write_file(cms, std::string(signatures[0].begin(), signatures[0].end()));
    // At the fixture's time: its clock moved ahead of the machine's to issue the certificates.
    const std::string at = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(f.clock.now().time_since_epoch()).count());
    const CommandResult verified =
        run_command({"openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", cms.string(),
                     "-content", content.string(), "-CAfile", root_pem.string(), "-purpose",
                     "any", "-attime", at, "-out", "/dev/null"});
    BOOST_CHECK_MESSAGE(verified.exit_code == 0, verified.output);
    // B-T: the signature carries our TSA's time-stamp.
    const CommandResult printed = run_command(
        {"openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", cms.string()});
    BOOST_CHECK(printed.output.find("id-smime-aa-timeStampToken") != std::string::npos);
    // Another document's bytes do not verify against it.
    write_file(content, document + ".");
    BOOST_CHECK(run_command({"openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in",
                             cms.string(), "-content", content.string(), "-CAfile",
                             root_pem.string(), "-purpose", "any", "-attime", at, "-out",
                             "/dev/null"})
                    .exit_code != 0);

    // The SAD is spent.
    expect_csc([&] { f.service->sign_document(CscFixture::kPlatformA, request); },
               CscFailure::invalid_request, "Invalid parameter SAD");
    const auto signed_events = f.events_of_type("csc.signed");
    BOOST_REQUIRE_EQUAL(signed_events.size(), 1u);
    BOOST_CHECK_EQUAL(signed_events[0].event.details.at("format"), "CAdES-B-T");
    BOOST_CHECK_EQUAL(signed_events[0].event.details.at("hashes").at(0), to_hex(digest));
}

BOOST_AUTO_TEST_SUITE_END()
