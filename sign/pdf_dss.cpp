#include "sign/pdf_dss.hpp"

#include <algorithm>
#include <qpdf/Pipeline.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>

#include "common/error.hpp"
#include "sign/pdf_form.hpp"
#include "sign/pdf_update.hpp"

namespace signet::sign {

namespace {

constexpr std::size_t kMaxEntries = 1000;
constexpr std::size_t kMaxBlobBytes = 1024 * 1024;

// A qpdf pipeline that keeps what it is given, up to a bound (a Flate stream can expand a
// thousandfold; the bound applies to the decoded bytes).
class BoundedSink final : public Pipeline {
  public:
    explicit BoundedSink(std::size_t limit) : Pipeline("bounded sink", nullptr), limit_(limit) {}
    void write(unsigned char const* data, size_t len) override {
        if (len > limit_ - bytes.size())
            throw Error(Errc::invalid_argument,
                        "a /DSS stream decodes to more than " + std::to_string(limit_) + " bytes");
        bytes.insert(bytes.end(), data, data + len);
    }
    void finish() override {}
    Bytes bytes;

  private:
    std::size_t limit_;
};

Bytes stream_bytes(QPDFObjectHandle stream, std::size_t limit, const char* kind) {
    if (!stream.isStream())
        throw Error(Errc::invalid_argument,
                    std::string("a /DSS ") + kind + " entry is not a stream");
    BoundedSink sink(limit);
    if (!stream.pipeStreamData(&sink, nullptr, 0, qpdf_dl_generalized, true))
        throw Error(Errc::invalid_argument,
                    std::string("a /DSS ") + kind + " stream does not decode");
    return std::move(sink.bytes);
}

std::vector<Bytes> read_kind(QPDFObjectHandle dss, const char* key, std::size_t limit) {
    std::vector<Bytes> out;
    QPDFObjectHandle array = entry(dss, key);
    if (!array.isArray())
        return out;
    if (array.getArrayNItems() > static_cast<int>(kMaxEntries))
        throw Error(Errc::invalid_argument, std::string("/DSS ") + key + " has more than " +
                                                std::to_string(kMaxEntries) + " entries");
    for (QPDFObjectHandle item : array.getArrayAsVector())
        out.push_back(stream_bytes(item, limit, key));
    return out;
}

void check_kind(const std::vector<Bytes>& blobs, const char* what) {
    if (blobs.size() > kMaxEntries)
        throw Error(Errc::invalid_argument,
                    std::string("more than ") + std::to_string(kMaxEntries) + " " + what);
    for (const Bytes& blob : blobs)
        if (blob.empty() || blob.size() > kMaxBlobBytes)
            throw Error(Errc::invalid_argument,
                        std::string("one of the ") + what + " is empty or larger than 1 MiB");
}

// The array text for one kind: the existing entries (references as they are), then a new stream
// for each blob that is neither there already nor repeated.
std::string merged_array(IncrementalUpdate& update, QPDFObjectHandle existing_array,
                         const std::vector<Bytes>& existing, const std::vector<Bytes>& added,
                         std::size_t& new_streams) {
    std::string text = "[";
    if (existing_array.isArray())
        for (QPDFObjectHandle item : existing_array.getArrayAsVector())
            text += item.unparse() + " ";
    std::vector<const Bytes*> present;
    for (const Bytes& blob : existing)
        present.push_back(&blob);
    for (const Bytes& blob : added) {
        if (std::ranges::any_of(present, [&](const Bytes* p) { return *p == blob; }))
            continue;
        present.push_back(&blob);
        const int number = update.new_object();
        update.write_stream(number, "", blob);
        text += pdf_reference(number) + " ";
        ++new_streams;
    }
    if (text.size() > 1)
        text.pop_back();
    return text + "]";
}

ValidationData read_store(const PdfDocument& doc) {
    ValidationData data;
    QPDFObjectHandle dss = entry(doc.qpdf().getRoot(), "/DSS");
    if (!dss.isDictionary())
        return data;
    const std::size_t limit = doc.limits().max_stream_bytes;
    data.certificates = read_kind(dss, "/Certs", limit);
    data.ocsp_responses = read_kind(dss, "/OCSPs", limit);
    data.crls = read_kind(dss, "/CRLs", limit);
    return data;
}

Bytes write_update(const PdfDocument& doc, const ValidationData& data) {
    check_kind(data.certificates, "certificates");
    check_kind(data.ocsp_responses, "OCSP responses");
    check_kind(data.crls, "CRLs");
    const ValidationData existing = read_store(doc);
    QPDFObjectHandle catalog = doc.qpdf().getRoot();
    QPDFObjectHandle dss = entry(catalog, "/DSS");

    IncrementalUpdate update(doc);
    std::size_t new_streams = 0;
    const std::string certs = merged_array(update, entry(dss, "/Certs"), existing.certificates,
                                           data.certificates, new_streams);
    const std::string ocsps = merged_array(update, entry(dss, "/OCSPs"), existing.ocsp_responses,
                                           data.ocsp_responses, new_streams);
    const std::string crls =
        merged_array(update, entry(dss, "/CRLs"), existing.crls, data.crls, new_streams);
    if (new_streams == 0)
        throw Error(Errc::invalid_argument,
                    "no validation data to add: every item is already in the document's /DSS");

    std::string dictionary = "<< /Type /DSS";
    for (const auto& [key, value] : {std::pair{"Certs", certs}, {"OCSPs", ocsps}, {"CRLs", crls}})
        if (value != "[]")
            dictionary += " /" + std::string(key) + " " + value;
    if (QPDFObjectHandle vri = entry(dss, "/VRI"); !vri.isNull())
        dictionary += " /VRI " + vri.unparse();
    const int number = update.new_object();
    update.write_object(number, 0, dictionary + " >>");
    const QPDFObjGen root = catalog.getObjGen();
    update.write_object(root.getObj(), root.getGen(),
                        dictionary_with(catalog, {{"DSS", pdf_reference(number)}}));
    update.finish();
    return std::move(update.bytes());
}

}  // namespace

ValidationData read_dss(const PdfDocument& doc) {
    return reading_pdf("reading the PDF's /DSS", [&] { return read_store(doc); });
}

Bytes prepare_dss_update(const PdfDocument& doc, const ValidationData& data) {
    return reading_pdf("adding to the PDF's /DSS", [&] { return write_update(doc, data); });
}

}  // namespace signet::sign
