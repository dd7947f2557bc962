#include "sign/contract_rules.hpp"

#include <algorithm>
#include <set>

#include "common/error.hpp"
#include "common/text.hpp"

namespace signet::sign::rules {

namespace {

[[noreturn]] void refuse(const std::string& field, const std::string& why) {
    throw Error(Errc::invalid_argument, "'" + field + "' " + why);
}

bool is_currency(std::string_view code) {
    return code.size() == 3 &&
           std::ranges::all_of(code, [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool is_policy_word(std::string_view word) {
    return word.size() <= 64 && std::ranges::all_of(word, [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                      c == '-';
           });
}

void check_amount(const Amount& amount, const std::string& field) {
    if (amount.minor_units < 0 || amount.minor_units > kMaxAmount)
        refuse(field + ".minor_units", "must be 0 to 10^15");
    if (!is_currency(amount.currency))
        refuse(field + ".currency",
               "must be an ISO 4217 alphabetic code (three capitals, e.g. CNY)");
}

void check_signers(const std::vector<SignerInput>& signers) {
    if (signers.empty() || signers.size() > kMaxSigners)
        refuse("signers", "must list 1 to 50 signers");
    // The same party twice would sign twice; the same seal twice is the same.
    std::set<std::pair<std::string, std::int64_t>> parties;
    for (std::size_t i = 0; i < signers.size(); ++i) {
        const SignerInput& s = signers[i];
        const std::string field = "signers[" + std::to_string(i) + "]";
        if (s.kind != "person" && s.kind != "seal")
            refuse(field + ".kind", "must be 'person' or 'seal'");
        if (s.subject_id <= 0)
            refuse(field + ".subject_id", "must be a subject id");
        if (s.kind == "person" && s.agent_id)
            refuse(field + ".agent_id", "belongs to a seal only");
        if (s.kind == "seal" && (!s.agent_id || *s.agent_id <= 0))
            refuse(field + ".agent_id", "is required for a seal: the person who applies it");
        if (s.kind == "seal" && *s.agent_id == s.subject_id)
            refuse(field + ".agent_id", "must be a person, not the organization itself");
        if (!parties.emplace(s.kind, s.subject_id).second)
            refuse(field + ".subject_id", "is already a signer of this kind");
    }
}

}  // namespace

void check_options(const ContractsOptions& options) {
    if (options.default_validity <= std::chrono::seconds(0) ||
        options.default_validity > options.max_validity)
        throw Error(Errc::invalid_argument,
                    "a contract's default validity must be positive and at most its maximum");
    if (options.retention_years < 1 || options.retention_years > 100)
        throw Error(Errc::invalid_argument, "the retention period is 1 to 100 years");
    if (options.person_level < 1 || options.organization_level < 1)
        throw Error(Errc::invalid_argument, "signers must be verified: levels start at 1");
    for (const auto& rule : options.seal_approvals) {
        if (rule.approvals < 1 || rule.approvals > 10)
            throw Error(Errc::invalid_argument, "a seal approval rule asks for 1 to 10 approvals");
        if (rule.min_amount)
            check_amount(*rule.min_amount, "seal_approvals.min_amount");
        if (rule.contract_type && !is_policy_word(*rule.contract_type))
            throw Error(Errc::invalid_argument,
                        "a seal approval rule's contract_type is not a policy word");
    }
}

}  // namespace signet::sign::rules

namespace signet::sign {

ContractsOptions contracts_options(const policy::SigningSettings& signing, unsigned person_level,
                                   unsigned organization_level) {
    ContractsOptions o;
    o.default_validity = std::chrono::days(signing.contract_validity_days);
    o.max_validity = std::chrono::days(signing.max_contract_validity_days);
    o.retention_years = signing.retention_years;
    o.person_level = std::max(1u, person_level);
    o.organization_level = std::max(1u, organization_level);
    for (const auto& rule : signing.seal_approvals) {
        SealApprovalRule r;
        r.contract_type = rule.contract_type;
        if (rule.min_amount_minor)
            r.min_amount = Amount{*rule.min_amount_minor, rule.min_amount_currency};
        r.approvals = rule.approvals;
        o.seal_approvals.push_back(std::move(r));
    }
    rules::check_options(o);
    return o;
}

}  // namespace signet::sign

namespace signet::sign::rules {

Clock::time_point check_draft(const ContractDraft& draft, Clock::time_point now,
                              const ContractsOptions& options) {
    const auto length = utf8_length(draft.title);
    if (!length || *length < 1 || *length > kMaxTitle)
        refuse("title", "must be 1 to 200 characters of UTF-8");
    if (const auto problem = name_text_problem(draft.title))
        refuse("title", *problem);
    if (!draft.metadata.is_object())
        refuse("metadata", "must be a JSON object");
    std::size_t metadata_bytes = 0;
    try {
        metadata_bytes = draft.metadata.dump().size();
    } catch (const nlohmann::json::exception&) {
        refuse("metadata", "holds a string that is not UTF-8");
    }
    if (metadata_bytes > kMaxMetadataBytes)
        refuse("metadata", "must be at most 8192 bytes of JSON");
    if (!is_policy_word(draft.contract_type))
        refuse("contract_type", "must be at most 64 of a-z, 0-9, '_', '.', '-'");
    if (draft.amount)
        check_amount(*draft.amount, "amount");
    if (draft.format != "pdf" && draft.format != "bytes")
        refuse("format", "must be 'pdf' or 'bytes'");
    check_signers(draft.signers);
    const Clock::time_point deadline = draft.expires_at.value_or(now + options.default_validity);
    if (deadline <= now)
        refuse("expires_at", "must be in the future");
    if (deadline > now + options.max_validity)
        refuse(
            "expires_at",
            "is further away than the policy allows (" +
                std::to_string(
                    std::chrono::duration_cast<std::chrono::days>(options.max_validity).count()) +
                " days)");
    return deadline;
}

int required_approvals(const ContractsOptions& options, const std::string& contract_type,
                       const std::optional<Amount>& amount) {
    unsigned required = 0;
    for (const auto& rule : options.seal_approvals) {
        if (rule.contract_type && *rule.contract_type != contract_type)
            continue;
        if (rule.min_amount && (!amount || amount->currency != rule.min_amount->currency ||
                                amount->minor_units < rule.min_amount->minor_units))
            continue;
        required = std::max(required, rule.approvals);
    }
    return static_cast<int>(required);
}

void check_serial(std::string_view serial) {
    const bool hex = std::ranges::all_of(
        serial, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
    if (!hex || serial.size() < 2 || serial.size() > 40)
        refuse("certificate_serial", "must be 2 to 40 lowercase hex digits");
}

}  // namespace signet::sign::rules
