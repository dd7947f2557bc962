#pragma once

#include <exception>
#include <new>
#include <qpdf/QPDFObjectHandle.hh>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "sign/pdf_document.hpp"
#include "sign/pdf_update.hpp"

// The interactive form as signing and reading see it (ISO 32000-1 §12.7): its fields, the names
// they hold, and the changes a signature revision makes to the form and to a page. Internal to
// sign/.
namespace signet::sign {

// dict[key], or null when `dict` is no dictionary: qpdf's getKey on another type would log a
// type warning.
inline QPDFObjectHandle entry(QPDFObjectHandle dict, const char* key) {
    return dict.isDictionary() ? dict.getKey(key) : QPDFObjectHandle::newNull();
}

// Runs `f`; anything qpdf throws while reading the document (an object of an unexpected type, a
// stream that does not decode) becomes Errc::invalid_argument beginning with `what`. The public
// functions of the PDF layer run their bodies in it, so a caller only ever meets signet::Error.
template <class F>
decltype(auto) reading_pdf(const char* what, F&& f) {
    try {
        return f();
    } catch (const Error&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(Errc::invalid_argument, std::string(what) + ": " + e.what());
    }
}

// Errc::failed_precondition when a certification signature forbids any change (§12.8.2.2:
// DocMDP transform parameters /P 1).
void check_changes_permitted(const PdfDocument& doc);

// `requested` when it is a free, well-formed top-level field name (printable ASCII, no '.', at
// most 64 bytes; else Errc::invalid_argument), or the first free "SignatureN" when it is empty.
std::string choose_field_name(const PdfDocument& doc, const std::string& requested);

// The AcroForm with `field_ref` appended to /Fields and /SigFlags 3 (§12.7.2: SignaturesExist |
// AppendOnly): the AcroForm object rewritten when it is indirect, else a new AcroForm object and
// the catalog rewritten to name it.
void add_field_to_form(const PdfDocument& doc, IncrementalUpdate& update,
                       const std::string& field_ref);

// The page's /Annots with `annotation_ref` appended: the array object rewritten when it is
// indirect, else the page object.
void add_annotation_to_page(IncrementalUpdate& update, QPDFObjectHandle page,
                            const std::string& annotation_ref);

// A terminal field of the form (§12.7.3.1) with its fully qualified name and its field type,
// inherited from an ancestor when it has none (§12.7.3.1 Table 220).
struct FormField {
    std::string name;
    std::string type;  // "/Sig", "/Tx"..., empty when none
    QPDFObjectHandle field;
};
// The form's terminal fields, in order. Errc::invalid_argument when the field tree is deeper
// than 32 levels, holds more than 10000 fields, or loops.
std::vector<FormField> terminal_fields(QPDF& qpdf);

}  // namespace signet::sign
