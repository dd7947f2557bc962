#pragma once

#include <string>
#include <vector>

#include "sign/pdf_document.hpp"

// What the revisions after a signed one changed (see PdfSignature::later_changes_permitted for
// the rules). Internal to sign/ (pdf_reader.cpp).
namespace signet::sign {

// The changes made after `signed_revision` (the file's first bytes, opened) that adding
// signatures, /DSS and document time-stamps does not explain; empty when there are none.
std::vector<std::string> unexplained_changes(const PdfDocument& signed_revision,
                                             const PdfDocument& whole);

}  // namespace signet::sign
