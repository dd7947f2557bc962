// signet.yaml's signing section (policy/config_sections.hpp): the contract documents' size and
// key, contracts' deadlines, and the approvals an organization's seal needs (issue 13). The
// contract service (sign/contracts.hpp) checks the same rules again when signetd starts.
#include <algorithm>

#include "policy/config_sections.hpp"

namespace signet::policy::sections {

using namespace yaml;

namespace {

bool is_policy_word(const std::string& word) {
    return !word.empty() && word.size() <= 64 && std::ranges::all_of(word, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    });
}

bool is_currency(const std::string& code) {
    return code.size() == 3 &&
           std::ranges::all_of(code, [](char c) { return c >= 'A' && c <= 'Z'; });
}

void read_min_amount(Map& rule, SealApprovalPolicy& out) {
    Map amount = rule.section("min_amount");
    if (!amount.present() || amount.wrong_type())
        return;
    std::uint64_t minor = 0;
    // ISO 4217 minor units (cents, fen): up to 10^15, an amount no contract reaches.
    if (read_unsigned(amount, "minor_units", minor, 0, 1'000'000'000'000'000ull, "an amount"))
        out.min_amount_minor = static_cast<std::int64_t>(minor);
    else if (!present(amount.take("minor_units")))
        amount.missing("minor_units");
    if (read_string(amount, "currency", out.min_amount_currency, true) &&
        !is_currency(out.min_amount_currency))
        amount.add("currency", "must be an ISO 4217 alphabetic code (three capitals, e.g. CNY)");
    amount.finish();
}

void read_seal_approvals(Map& map, std::vector<SealApprovalPolicy>& out) {
    YAML::Node list = map.take("seal_approvals");
    if (!present(list))
        return;
    if (!list.IsSequence()) {
        map.add("seal_approvals", "expected a list of rules");
        return;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
        Map rule(list[i], element_path(map.key_path("seal_approvals"), i), map.problems(),
                 list[i].Mark());
        if (rule.wrong_type())
            continue;
        SealApprovalPolicy policy;
        std::string type;
        if (read_string(rule, "contract_type", type)) {
            if (is_policy_word(type))
                policy.contract_type = type;
            else
                rule.add("contract_type", "must be 1-64 of a-z, 0-9, '_', '.', '-'");
        }
        read_min_amount(rule, policy);
        if (!read_unsigned(rule, "approvals", policy.approvals, 1, 10, "a number of approvals") &&
            !present(rule.take("approvals")))
            rule.missing("approvals");
        rule.finish();
        out.push_back(std::move(policy));
    }
}

}  // namespace

void read_signing(Map& m, const fs::path& base, const std::vector<ApiClient>& clients,
                  SigningSettings& out) {
    read_unsigned(m, "max_document_bytes", out.max_document_bytes, 1, 1024ull * 1024 * 1024,
                  "a size");
    read_nonempty_string(m, "documents_key_label", out.documents_key_label);
    read_unsigned(m, "max_contract_validity_days", out.max_contract_validity_days, 1, 3660,
                  "a number of days");
    read_unsigned(m, "contract_validity_days", out.contract_validity_days, 1, 3660,
                  "a number of days");
    if (out.contract_validity_days > out.max_contract_validity_days)
        m.add("contract_validity_days", "must be at most max_contract_validity_days (" +
                                            std::to_string(out.max_contract_validity_days) + ")");
    read_seal_approvals(m, out.seal_approvals);
    read_bool(m, "totp_signs", out.totp_signs);
    read_unsigned(m, "retention_years", out.retention_years, 1, 100, "a number of years");
    Map notifications = m.section("notifications");
    read_notifications(notifications, base, clients, out.notifications);
    notifications.finish();
}

}  // namespace signet::policy::sections
