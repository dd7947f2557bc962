#include <sstream>

#include "sign/verify_report.hpp"

namespace signet::sign {

namespace {

const char* yes_no(bool value) {
    return value ? "yes" : "no";
}

std::string revocation_text(const RevocationReport& r) {
    std::string text(to_string(r.status));
    if (!r.source.empty())
        text += " (" + r.source + (r.this_update ? " of " + format_utc(*r.this_update) : "") + ")";
    if (r.revoked_at)
        text += ", revoked at " + format_utc(*r.revoked_at);
    if (!r.problem.empty())
        text += ": " + printable(r.problem);
    return text;
}

void chain_text(std::ostream& out, const ChainReport& chain, const char* label) {
    out << "    " << label << (chain.complete ? "complete" : "incomplete") << ", "
        << (chain.trusted ? "trusted" : "not trusted") << "\n";
    for (const ChainEntry& e : chain.certificates) {
        out << "      " << printable(e.certificate.subject) << " [serial " << e.certificate.serial
            << "]: " << revocation_text(e.revocation) << "\n";
    }
    if (!chain.problem.empty())
        out << "      " << printable(chain.problem) << "\n";
}

void coverage_text(std::ostream& out, const PdfCoverage& c) {
    out << "    covers:     ";
    if (!c.covers_revision) {
        out << "not its revision: " << printable(c.problem) << "\n";
        return;
    }
    if (c.covers_whole_file) {
        out << "the whole file\n";
        return;
    }
    out << "its revision (bytes 0-" << c.revision_end << "), not the whole file; later changes "
        << (c.later_changes_permitted ? "only add signatures, /DSS, document time-stamps"
                                      : "NOT PERMITTED")
        << "\n";
    for (const std::string& change : c.later_changes)
        out << "      " << printable(change) << "\n";
}

void signature_text(std::ostream& out, std::size_t n, const SignatureCheck& check) {
    out << "[" << n << "] "
        << (check.kind == SignatureKind::document_timestamp ? "document time-stamp"
                                                            : "signature");
    if (!check.field_name.empty())
        out << " '" << printable(check.field_name) << "' (" << printable(check.sub_filter) << ")";
    out << ": " << (check.valid ? "valid" : "NOT VALID");
    if (check.kind == SignatureKind::signature)
        out << ", level " << to_string(check.level);
    out << "\n";
    const ChainReport* chain = check.signer       ? &check.signer->chain
                               : check.time_stamp ? &check.time_stamp->tsa
                                                  : nullptr;
    if (chain != nullptr && !chain->certificates.empty()) {
        const CertificateSummary& leaf = chain->certificates.front().certificate;
        out << "    " << (check.signer ? "signer:     " : "TSA:        ") << printable(leaf.subject)
            << "\n                serial " << leaf.serial << ", issued by " << printable(leaf.issuer) << "\n";
    }
    out << "    time:       "
        << (check.time ? format_utc(*check.time) + (check.signer ? " (signature time-stamp)"
                                                                 : " (genTime)")
                       : std::string("none proved"))
        << "\n";
    if (check.claimed_time)
        out << "    claimed:    " << printable(*check.claimed_time) << " (/M, not proved)\n";
    out << "    intact:     " << yes_no(check.intact) << "\n";
    if (check.coverage)
        coverage_text(out, *check.coverage);
    if (chain != nullptr)
        chain_text(out, *chain, check.signer ? "chain:      " : "TSA chain:  ");
    if (check.signer && check.signer->time_stamp.present)
        chain_text(out, check.signer->time_stamp.tsa, "TSA chain:  ");
    for (const std::string& problem : check.problems)
        out << "    problem:    " << printable(problem) << "\n";
}

}  // namespace

std::string report_text(const DocumentReport& report) {
    std::ostringstream out;
    out << (report.format == DocumentFormat::pdf ? "PDF" : "CMS") << ", "
        << report.signatures.size()
        << (report.signatures.size() == 1 ? " signature" : " signatures") << ": "
        << (report.valid ? "VALID" : "NOT VALID") << "\n";
    for (const std::string& problem : report.problems)
        out << "  " << printable(problem) << "\n";
    for (std::size_t i = 0; i < report.signatures.size(); ++i)
        signature_text(out, i + 1, report.signatures[i]);
    return out.str();
}

}  // namespace signet::sign
