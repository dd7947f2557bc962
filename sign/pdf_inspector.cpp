#include "sign/pdf_inspector.hpp"

#include "common/error.hpp"

namespace signet::sign {

namespace {

class PdfInspector final : public DocumentInspector {
  public:
    explicit PdfInspector(PdfLimits limits) : limits_(limits) {}

    void write(ByteView piece) override {
        if (bytes_.size() + piece.size() > limits_.max_bytes)
            throw Error(Errc::invalid_argument,
                        "the document is larger than the PDF intake's bound of " +
                            std::to_string(limits_.max_bytes) + " bytes");
        bytes_.insert(bytes_.end(), piece.begin(), piece.end());
    }

    void finish() override {
        try {
            (void)PdfDocument::open(bytes_, limits_);
        } catch (const Error& e) {
            if (e.code() != Errc::invalid_argument)
                throw;
            throw Error(Errc::invalid_argument, std::string("the document is not a PDF Signet can "
                                                            "sign: ") + e.what());
        }
        Bytes().swap(bytes_);
    }

  private:
    PdfLimits limits_;
    Bytes bytes_;
};

}  // namespace

DocumentInspectorFactory pdf_document_inspector(PdfLimits limits) {
    return [limits](std::string_view format) -> std::unique_ptr<DocumentInspector> {
        if (format == "pdf")
            return std::make_unique<PdfInspector>(limits);
        return default_document_inspector(format);
    };
}

}  // namespace signet::sign
