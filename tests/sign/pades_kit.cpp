#include "tests/sign/pades_kit.hpp"

#include <boost/test/unit_test.hpp>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>

#include "sign/pdf_dss.hpp"
#include "sign/pdf_signature.hpp"
#include "sign/pdf_update.hpp"

namespace signet::testing {

namespace {

Bytes appended(const Bytes& pdf, const Bytes& update) {
    Bytes out = pdf;
    out.insert(out.end(), update.begin(), update.end());
    return out;
}

}  // namespace

Bytes pades_sign(SignFixture& f, const Person& person, const Bytes& pdf, const std::string& field) {
    const auto doc = sign::PdfDocument::open(pdf);
    sign::SignatureRequest request;
    request.field_name = field;
    request.signing_time = f.clock->now();
    request.contents_size = 8 * 1024;  // a B-T CMS with the issuing CA is about 4 KiB: small seeds
    auto prepared = sign::prepare_signature(doc, request);
    const sign::ContentDigest digest{
        Digest::sha256, Bytes(prepared.digest().begin(), prepared.digest().end())};
    prepared.embed(sign::sign_detached(digest, person.signer, f.time_stamper()));
    return prepared.signed_document();
}

Bytes pades_add_dss(const Bytes& pdf, const sign::ValidationData& data) {
    const auto doc = sign::PdfDocument::open(pdf);
    return appended(pdf, sign::prepare_dss_update(doc, data));
}

Bytes pades_add_document_timestamp(SignFixture& f, const Bytes& pdf) {
    const auto doc = sign::PdfDocument::open(pdf);
    auto prepared = sign::prepare_document_timestamp(doc, {.field_name = "", .contents_size = 4096});
    const auto& digest = prepared.digest();
    prepared.embed(f.time_stamper()(Digest::sha256, ByteView(digest.data(), digest.size())));
    return prepared.signed_document();
}

Bytes pades_change_page_content(const Bytes& pdf) {
    const auto doc = sign::PdfDocument::open(pdf);
    sign::IncrementalUpdate update(doc);
    const int content = update.new_object();
    const std::string text = "BT /F1 24 Tf 72 700 Td (Pay 1000000 instead) Tj ET\n";
    update.write_stream(content, "", as_bytes(text));
    QPDFObjectHandle page = doc.qpdf().getAllPages().front();
    update.write_object(page.getObjectID(), page.getGeneration(),
                        sign::dictionary_with(page, {{"Contents", sign::pdf_reference(content)}}));
    update.finish();
    return appended(pdf, update.bytes());
}

}  // namespace signet::testing
