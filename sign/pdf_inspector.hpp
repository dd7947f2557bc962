#pragma once

#include "sign/contract_hooks.hpp"
#include "sign/pdf_document.hpp"

namespace signet::sign {

// The contract service's check of a submitted document (issue 13: "encrypted or malformed PDFs
// are refused with a clear error"): for "pdf", the PDF intake (PdfDocument::open: a header, a
// cross-reference qpdf reads without reconstructing it, every object parsed, not encrypted, at
// least one page) on the whole document once it has arrived; for "bytes", anything. The pieces
// are kept until finish(): qpdf reads a document as a whole.
DocumentInspectorFactory pdf_document_inspector(PdfLimits limits = {});

}  // namespace signet::sign
