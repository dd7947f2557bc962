#include "sign/pdf_form.hpp"

#include <algorithm>
#include <qpdf/QPDF.hh>
#include <set>

#include "common/error.hpp"

namespace signet::sign {

namespace {

constexpr int kMaxFieldDepth = 32;
constexpr std::size_t kMaxFields = 10000;

std::string array_with(QPDFObjectHandle array, const std::string& added) {
    std::string text = "[";
    if (array.isArray())
        for (QPDFObjectHandle item : array.getArrayAsVector())
            text += item.unparse() + " ";
    return text + added + "]";
}

struct FieldWalk {
    std::vector<FormField> fields;
    std::set<QPDFObjGen> seen;
    std::size_t visited = 0;

    void visit(QPDFObjectHandle node, const std::string& parent_name,
               const std::string& parent_type, int depth) {
        if (!node.isDictionary())
            return;
        if (depth > kMaxFieldDepth)
            throw Error(Errc::invalid_argument,
                        "the form's field tree is deeper than " + std::to_string(kMaxFieldDepth));
        if (++visited > kMaxFields)
            throw Error(Errc::invalid_argument,
                        "the form has more than " + std::to_string(kMaxFields) + " fields");
        if (node.isIndirect() && !seen.insert(node.getObjGen()).second)
            throw Error(Errc::invalid_argument, "the form's field tree loops");
        std::string name = parent_name;
        if (QPDFObjectHandle t = node.getKey("/T"); t.isString())
            name = parent_name.empty() ? t.getUTF8Value() : parent_name + "." + t.getUTF8Value();
        std::string type = parent_type;
        if (QPDFObjectHandle ft = node.getKey("/FT"); ft.isName())
            type = ft.getName();
        bool has_child_fields = false;
        if (QPDFObjectHandle kids = node.getKey("/Kids"); kids.isArray()) {
            for (QPDFObjectHandle kid : kids.getArrayAsVector()) {
                // A kid without /T is a widget of this field, not a field (§12.7.3.1).
                if (kid.isDictionary() && kid.hasKey("/T")) {
                    has_child_fields = true;
                    visit(kid, name, type, depth + 1);
                }
            }
        }
        if (!has_child_fields)
            fields.push_back({name, type, node});
    }
};

}  // namespace

void check_changes_permitted(const PdfDocument& doc) {
    QPDFObjectHandle docmdp = entry(entry(doc.qpdf().getRoot(), "/Perms"), "/DocMDP");
    QPDFObjectHandle references = entry(docmdp, "/Reference");
    if (!references.isArray())
        return;
    for (QPDFObjectHandle reference : references.getArrayAsVector()) {
        if (!entry(reference, "/TransformMethod").isNameAndEquals("/DocMDP"))
            continue;
        QPDFObjectHandle p = entry(entry(reference, "/TransformParams"), "/P");
        if (p.isInteger() && p.getIntValue() == 1)
            throw Error(Errc::failed_precondition,
                        "the document's certification signature permits no changes "
                        "(DocMDP /P 1, ISO 32000-1 §12.8.2.2)");
    }
}

std::string choose_field_name(const PdfDocument& doc, const std::string& requested) {
    std::set<std::string> taken;
    QPDFObjectHandle fields = entry(entry(doc.qpdf().getRoot(), "/AcroForm"), "/Fields");
    if (fields.isArray()) {
        if (fields.getArrayNItems() > static_cast<int>(kMaxFields))
            throw Error(Errc::invalid_argument,
                        "the form has more than " + std::to_string(kMaxFields) + " fields");
        for (QPDFObjectHandle field : fields.getArrayAsVector())
            if (QPDFObjectHandle t = entry(field, "/T"); t.isString())
                taken.insert(t.getUTF8Value());
    }
    if (requested.empty()) {
        for (std::size_t n = 1;; ++n)
            if (std::string name = "Signature" + std::to_string(n); !taken.contains(name))
                return name;
    }
    // §12.7.3.2: a partial name holds no period; printable ASCII keeps it one PDFDocEncoding
    // string that every reader shows the same way.
    if (requested.size() > 64 ||
        std::ranges::any_of(requested, [](char c) { return c < 0x20 || c > 0x7E || c == '.'; }))
        throw Error(Errc::invalid_argument,
                    "a signature field name is 1 to 64 printable ASCII characters without '.'");
    if (taken.contains(requested))
        throw Error(Errc::invalid_argument,
                    "the document already has a field named '" + requested + "'");
    return requested;
}

void add_field_to_form(const PdfDocument& doc, IncrementalUpdate& update,
                       const std::string& field_ref) {
    QPDFObjectHandle catalog = doc.qpdf().getRoot();
    QPDFObjectHandle form = catalog.getKey("/AcroForm");
    long long flags = 0;
    if (QPDFObjectHandle f = entry(form, "/SigFlags"); f.isInteger())
        flags = f.getIntValue();
    const std::vector<std::pair<std::string, std::string>> changed = {
        {"Fields", array_with(entry(form, "/Fields"), field_ref)},
        {"SigFlags", std::to_string(flags | 3)}};
    if (form.isIndirect() && form.isDictionary()) {
        const QPDFObjGen og = form.getObjGen();
        update.write_object(og.getObj(), og.getGen(), dictionary_with(form, changed));
        return;
    }
    const int number = update.new_object();
    update.write_object(
        number, 0,
        dictionary_with(form.isDictionary() ? form : QPDFObjectHandle::newDictionary(), changed));
    const QPDFObjGen root = catalog.getObjGen();
    update.write_object(root.getObj(), root.getGen(),
                        dictionary_with(catalog, {{"AcroForm", pdf_reference(number)}}));
}

void add_annotation_to_page(IncrementalUpdate& update, QPDFObjectHandle page,
                            const std::string& annotation_ref) {
    QPDFObjectHandle annots = page.getKey("/Annots");
    if (annots.isIndirect() && annots.isArray()) {
        const QPDFObjGen og = annots.getObjGen();
        update.write_object(og.getObj(), og.getGen(), array_with(annots, annotation_ref));
        return;
    }
    const QPDFObjGen og = page.getObjGen();
    update.write_object(og.getObj(), og.getGen(),
                        dictionary_with(page, {{"Annots", array_with(annots, annotation_ref)}}));
}

std::vector<FormField> terminal_fields(QPDF& qpdf) {
    FieldWalk walk;
    QPDFObjectHandle fields = entry(entry(qpdf.getRoot(), "/AcroForm"), "/Fields");
    if (fields.isArray())
        for (QPDFObjectHandle field : fields.getArrayAsVector())
            walk.visit(field, "", "", 0);
    return std::move(walk.fields);
}

}  // namespace signet::sign
