#include "sign/verify_report.hpp"

#include "common/text.hpp"

namespace signet::sign {

namespace {

using nlohmann::json;

json texts(const std::vector<std::string>& items) {
    json out = json::array();
    for (const std::string& item : items)
        out.push_back(printable(item));
    return out;
}

json time_json(const std::optional<Clock::time_point>& t) {
    return t ? json(format_utc(*t)) : json(nullptr);
}

json certificate_json(const CertificateSummary& c) {
    return {{"subject", printable(c.subject)},
            {"issuer", printable(c.issuer)},
            {"serial", c.serial},
            {"not_before", format_utc(c.not_before)},
            {"not_after", format_utc(c.not_after)}};
}

json revocation_json(const RevocationReport& r) {
    return {{"status", to_string(r.status)},
            {"source", r.source},
            {"this_update", time_json(r.this_update)},
            {"next_update", time_json(r.next_update)},
            {"revoked_at", time_json(r.revoked_at)},
            {"reason", r.reason ? json(*r.reason) : json(nullptr)},
            {"problem", printable(r.problem)}};
}

json chain_json(const ChainReport& chain) {
    json certificates = json::array();
    for (const ChainEntry& entry : chain.certificates) {
        json c = certificate_json(entry.certificate);
        c["revocation"] = revocation_json(entry.revocation);
        certificates.push_back(std::move(c));
    }
    return {{"certificates", std::move(certificates)},
            {"complete", chain.complete},
            {"trusted", chain.trusted},
            {"problem", printable(chain.problem)}};
}

json leaf_json(const ChainReport& chain) {
    return chain.certificates.empty() ? json(nullptr)
                                      : certificate_json(chain.certificates.front().certificate);
}

json time_stamp_json(const TimeStampReport& ts) {
    return {{"present", ts.present},
            {"signature_valid", ts.signature_valid},
            {"imprint_matches", ts.imprint_matches},
            {"time", time_json(ts.time)},
            {"policy", printable(ts.policy)},
            {"tsa", chain_json(ts.tsa)},
            {"problem", printable(ts.problem)}};
}

json coverage_json(const PdfCoverage& c) {
    return {{"byte_range", c.byte_range},
            {"revision_end", c.revision_end},
            {"covers_revision", c.covers_revision},
            {"problem", printable(c.problem)},
            {"covers_whole_file", c.covers_whole_file},
            {"later_changes_permitted", c.later_changes_permitted},
            {"later_changes", texts(c.later_changes)}};
}

json signature_json(const SignatureCheck& check, DocumentFormat format) {
    json out = {{"kind", to_string(check.kind)}};
    if (format == DocumentFormat::pdf) {
        out["field"] = printable(check.field_name);
        out["sub_filter"] = printable(check.sub_filter);
        out["claimed_time"] = check.claimed_time ? json(printable(*check.claimed_time)) : json(nullptr);
    }
    out["valid"] = check.valid;
    out["intact"] = check.intact;
    if (check.kind == SignatureKind::signature)
        out["level"] = to_string(check.level);
    out["time"] = time_json(check.time);
    if (check.signer) {
        const SignerReport& s = *check.signer;
        out["signer"] = leaf_json(s.chain);
        out["chain"] = chain_json(s.chain);
        out["cms"] = {{"digest_algorithm", printable(s.digest_algorithm)},
                      {"signature_valid", s.signature_valid},
                      {"digest_matches", s.digest_matches},
                      {"signing_certificate_matches", s.signing_certificate_matches},
                      {"has_signing_time", s.has_signing_time},
                      {"validation_time", format_utc(s.validation_time)}};
        out["time_stamp"] = time_stamp_json(s.time_stamp);
    } else if (check.time_stamp) {
        out["signer"] = leaf_json(check.time_stamp->tsa);
        out["chain"] = chain_json(check.time_stamp->tsa);
        out["time_stamp"] = time_stamp_json(*check.time_stamp);
    } else {
        out["signer"] = nullptr;
    }
    if (check.coverage)
        out["coverage"] = coverage_json(*check.coverage);
    out["problems"] = texts(check.problems);
    return out;
}

}  // namespace

nlohmann::json report_json(const DocumentReport& report) {
    json signatures = json::array();
    for (const SignatureCheck& check : report.signatures)
        signatures.push_back(signature_json(check, report.format));
    return {{"format", to_string(report.format)},
            {"valid", report.valid},
            {"problems", texts(report.problems)},
            {"signatures", std::move(signatures)}};
}

std::string printable(std::string_view text) {
    std::string valid(text);
    if (!utf8_length(text)) {
        // nlohmann's own replacement of each ill-formed sequence by U+FFFD.
        valid = json::parse(json(valid).dump(-1, ' ', false, json::error_handler_t::replace))
                    .get<std::string>();
    }
    std::string out;
    out.reserve(valid.size());
    for (const char c : valid) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f)
            out += "\xEF\xBF\xBD";  // U+FFFD
        else
            out += c;
    }
    return out;
}

}  // namespace signet::sign
