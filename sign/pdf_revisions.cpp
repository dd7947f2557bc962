#include "sign/pdf_revisions.hpp"

#include <algorithm>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <set>

#include "sign/pdf_form.hpp"

namespace signet::sign {

namespace {

// At most this many findings are listed; one is enough to refuse.
constexpr std::size_t kMaxFindings = 20;

bool same_place(const QPDFXRefEntry& a, const QPDFXRefEntry& b) {
    if (a.getType() != b.getType())
        return false;
    if (a.getType() == 1)
        return a.getOffset() == b.getOffset();
    return a.getObjStreamNumber() == b.getObjStreamNumber() &&
           a.getObjStreamIndex() == b.getObjStreamIndex();
}

// A signature field (§12.7.4.5), or a widget whose parent field is one.
bool is_signature_field_or_widget(QPDFObjectHandle item) {
    if (!item.isDictionary())
        return false;
    if (entry(item, "/FT").isNameAndEquals("/Sig"))
        return true;
    return entry(entry(item, "/Parent"), "/FT").isNameAndEquals("/Sig");
}

class Comparison {
  public:
    std::vector<std::string> findings;

    void note(const std::string& where, const std::string& what) {
        if (findings.size() < kMaxFindings)
            findings.push_back(where + ": " + what);
    }

    // /Annots and /Fields: the signed entries stay, in order, and only signature fields or
    // their widgets are added.
    void compare_arrays(QPDFObjectHandle before, QPDFObjectHandle after, const std::string& where) {
        if (!after.isArray()) {
            note(where, "is no longer an array");
            return;
        }
        auto old_items =
            before.isArray() ? before.getArrayAsVector() : std::vector<QPDFObjectHandle>{};
        auto new_items = after.getArrayAsVector();
        if (new_items.size() < old_items.size()) {
            note(where, "entries were removed");
            return;
        }
        for (std::size_t i = 0; i < old_items.size(); ++i)
            if (old_items[i].unparse() != new_items[i].unparse()) {
                note(where, "entry " + std::to_string(i) + " was changed");
                return;
            }
        for (std::size_t i = old_items.size(); i < new_items.size(); ++i)
            if (!is_signature_field_or_widget(new_items[i]))
                note(where, "an added entry is not a signature field or widget");
    }

    void compare_dictionaries(QPDFObjectHandle before, QPDFObjectHandle after,
                              const std::string& where, int depth) {
        std::set<std::string> keys = before.getKeys();
        for (const auto& key : after.getKeys())
            keys.insert(key);
        for (const auto& key : keys) {
            QPDFObjectHandle old_value = before.getKey(key);
            QPDFObjectHandle new_value = after.getKey(key);
            // A direct value unparses whole; an indirect one as its reference, its object being
            // compared on its own when a later section moved it.
            if (old_value.unparse() == new_value.unparse())
                continue;
            if (key == "/DSS" || key == "/SigFlags")
                continue;
            if (key == "/Annots" || key == "/Fields") {
                compare_arrays(old_value, new_value, where + " " + key);
                continue;
            }
            if (key == "/AcroForm" && depth == 0 && new_value.isDictionary()) {
                compare_dictionaries(
                    old_value.isDictionary() ? old_value : QPDFObjectHandle::newDictionary(),
                    new_value, where + " /AcroForm", depth + 1);
                continue;
            }
            note(where, key + " changed");
        }
    }
};

}  // namespace

std::vector<std::string> unexplained_changes(const PdfDocument& signed_revision,
                                             const PdfDocument& whole) {
    QPDF& before = signed_revision.qpdf();
    QPDF& after = whole.qpdf();
    Comparison comparison;
    if (before.getRoot().getObjGen() != after.getRoot().getObjGen())
        comparison.note("the trailer", "/Root names another catalog");
    const auto old_xref = before.getXRefTable();
    const auto new_xref = after.getXRefTable();
    for (const auto& [og, old_entry] : old_xref) {
        const std::string where = "object " + og.unparse(' ');
        const auto it = new_xref.find(og);
        if (it == new_xref.end()) {
            comparison.note(where, "was deleted");
            continue;
        }
        if (same_place(old_entry, it->second))
            continue;
        QPDFObjectHandle old_object = before.getObject(og);
        QPDFObjectHandle new_object = after.getObject(og);
        if (old_object.isDictionary() && new_object.isDictionary() && !old_object.isStream() &&
            !new_object.isStream())
            comparison.compare_dictionaries(old_object, new_object, where, 0);
        else if (old_object.isArray())
            comparison.compare_arrays(old_object, new_object, where);
        else if (old_object.unparseResolved() != new_object.unparseResolved() ||
                 old_object.isStream())
            comparison.note(where, "was replaced");
    }
    return comparison.findings;
}

}  // namespace signet::sign
