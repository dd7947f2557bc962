// The registry (ra/registry.hpp): what every operation shares, creating subjects and finding
// them again. Evidence is in registry_evidence.cpp, changes in registry_changes.cpp, agents in
// registry_agents.cpp.
#include "ra/registry.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>

#include "common/text.hpp"
#include "ra/registry_impl.hpp"

namespace signet::ra {

namespace {

// The policy's levels name the assurance level they establish, "1".."10", lowest first: the
// registry stores the number the evidence reached.
void check_levels(const RegistryDependencies& deps) {
    if (deps.max_assurance_level < 1 || deps.max_assurance_level > 10)
        throw Error(Errc::invalid_argument, "registry: 'max_assurance_level' is 1 to 10");
    int previous = 0;
    for (const auto& level : deps.evidence_policy.levels) {
        int number = 0;
        const auto [end, ec] =
            std::from_chars(level.level.data(), level.level.data() + level.level.size(), number);
        if (ec != std::errc() || end != level.level.data() + level.level.size() ||
            number <= previous || number > static_cast<int>(deps.max_assurance_level))
            throw Error(Errc::invalid_argument, "registry: evidence levels are named 1 to " +
                                                    std::to_string(deps.max_assurance_level) +
                                                    ", lowest first, each once; not " +
                                                    quote_input(level.level));
        previous = number;
    }
    if (!deps.document_hmac)
        throw Error(Errc::invalid_argument, "registry: 'document_hmac' is required");
}

// The error with its field renamed as the caller knows it ('id_number' -> 'document.number').
Error renamed(const Error& e, FieldNames names) {
    const std::string message = e.what();
    for (const auto& [from, to] : names) {
        const std::string quoted = "'" + std::string(from) + "'";
        if (message.starts_with(quoted))
            return Error(e.code(), "'" + std::string(to) + "'" + message.substr(quoted.size()));
    }
    return e;
}

Bytes hmac_input(const IdentityDocument& document) {
    // kind || 0x00 || country || 0x00 || number (ra/registry.hpp): the country keeps two
    // countries' equal passport numbers apart, the NULs keep the fields apart.
    std::string input(to_string(document.kind));
    input.push_back('\0');
    input += document.country;
    input.push_back('\0');
    input += document.number;
    Bytes bytes(input.begin(), input.end());
    OPENSSL_cleanse(input.data(), input.size());
    return bytes;
}

}  // namespace

void fail(Errc code, const std::string& message) {
    throw Error(code, message);
}

std::string subject_ref(std::int64_t id) {
    return "subject " + std::to_string(id);
}

void check_free_text(std::string_view field, const std::string& text, std::size_t max) {
    const std::string quoted = "'" + std::string(field) + "'";
    if (text.empty() || std::ranges::all_of(text, [](char c) { return c == ' '; }))
        fail(Errc::invalid_argument, quoted + " is required");
    if (const auto problem = name_text_problem(text))
        fail(Errc::invalid_argument, quoted + " " + *problem);
    if (utf8_length(text).value_or(0) > max)
        fail(Errc::invalid_argument,
             quoted + " has more than " + std::to_string(max) + " characters");
}

void check_reason(std::string_view field, const std::string& text) {
    check_free_text(field, text, 500);
    // A reason is stored and audited as written: an officer's "checked 11010519491231002X" would
    // put the number where DESIGN.md invariant 6 says none may be. No identity number kind has
    // fewer than 5 digits in a row, and a reason needs none.
    std::size_t run = 0;
    for (const char c : text) {
        run = (c >= '0' && c <= '9') ? run + 1 : 0;
        if (run >= 5)
            fail(Errc::invalid_argument, "'" + std::string(field) +
                                             "' holds a run of 5 or more digits: write no "
                                             "identity or document number in it");
    }
}

RegistryCore::RegistryCore(RegistryDependencies dependencies)
    : deps((check_levels(dependencies), std::move(dependencies))),
      subjects(deps.database),
      verifier(deps.evidence_policy, deps.clock) {}

Date RegistryCore::today() const {
    return Date(std::chrono::floor<std::chrono::days>(deps.clock.now()));
}

CheckedDocument RegistryCore::check_document(std::string_view kind, std::string_view number,
                                             std::string_view country, FieldNames names) const {
    CheckedDocument checked;
    try {
        checked.document = parse_identity_document(kind, number, today(), country);
    } catch (const Error& e) {
        throw renamed(e, names);
    }
    Bytes input = hmac_input(checked.document);
    checked.hmac = deps.document_hmac(input);
    OPENSSL_cleanse(input.data(), input.size());
    return checked;
}

IdentityDocument RegistryCore::confirm_document(const store::Subject& subject,
                                                std::string_view number) const {
    if (subject.document_kind.empty() || !subject.document_hmac)
        fail(Errc::failed_precondition,
             subject_ref(subject.id) + " has no identity document on record: set it first");
    CheckedDocument given =
        check_document(subject.document_kind, number, subject.country, kDocumentNumberFields);
    if (given.hmac.size() != subject.document_hmac->size() ||
        CRYPTO_memcmp(given.hmac.data(), subject.document_hmac->data(), given.hmac.size()) != 0)
        fail(Errc::invalid_argument, "'document_number' does not match the subject's document");
    return std::move(given.document);
}

void RegistryCore::refuse_duplicate(store::Connection& tx, const CheckedDocument& document,
                                    std::int64_t except) {
    const auto holder =
        subjects.find_active_by_document(tx, to_string(document.document.kind), document.hmac);
    if (holder && holder->id != except)
        fail(Errc::already_exists, "an active subject (id " + std::to_string(holder->id) +
                                       ") already holds this document");
}

store::Subject RegistryCore::lock_active(store::Connection& tx, std::int64_t id) {
    auto subject = subjects.lock(tx, id);
    if (!subject)
        fail(Errc::not_found, "no subject with id " + std::to_string(id));
    if (subject->status != "active")
        fail(Errc::failed_precondition, subject_ref(id) + " is deactivated");
    return std::move(*subject);
}

store::Subject RegistryCore::lock_related(store::Connection& tx, std::int64_t id,
                                          std::string_view kind, std::string_view field) {
    const std::string quoted = "'" + std::string(field) + "': ";
    auto subject = subjects.lock(tx, id);
    if (!subject)
        fail(Errc::not_found, quoted + "no subject with id " + std::to_string(id));
    if (subject->kind != kind)
        fail(Errc::failed_precondition,
             quoted + subject_ref(id) + " is not a " + std::string(kind));
    if (subject->status != "active")
        fail(Errc::failed_precondition, quoted + subject_ref(id) + " is deactivated");
    return std::move(*subject);
}

store::Subject RegistryCore::organization(std::int64_t id) {
    auto subject = subjects.find(id);
    if (!subject)
        fail(Errc::not_found, "no subject with id " + std::to_string(id));
    if (subject->kind != "organization")
        fail(Errc::failed_precondition, subject_ref(id) + " is a person, not an organization");
    return std::move(*subject);
}

void RegistryCore::record_registrant(store::Connection& tx, std::int64_t subject_id,
                                     const std::string& actor) {
    constexpr std::string_view kClient = "client:";
    if (!actor.starts_with(kClient) || actor.size() == kClient.size())
        return;
    static constexpr store::Statement kSetRegistrant{
        "subjects.set_registered_by", "UPDATE subjects SET registered_by = $2 WHERE id = $1"};
    tx.exec(kSetRegistrant, {subject_id, actor.substr(kClient.size())});
}

void RegistryCore::audit(store::Connection& tx, std::string type, const std::string& actor,
                         std::int64_t subject_id, nlohmann::json details) {
    deps.audit.record(
        tx, {std::move(type), actor, "subject:" + std::to_string(subject_id), std::move(details)});
}

Registry::Registry(RegistryDependencies dependencies)
    : impl_(std::make_unique<Impl>(std::move(dependencies))) {}

Registry::~Registry() = default;

store::Subject Registry::create_person(const PersonInput& input, const std::string& actor) {
    if (input.document.kind == "cn_uscc")
        fail(Errc::invalid_argument,
             "'document.kind': a person's document is cn_resident_id or passport");
    const CheckedDocument document = impl_->check_document(
        input.document.kind, input.document.number, input.document.country, kPersonDocumentFields);
    const Clock::time_point now = impl_->deps.clock.now();
    store::Subject s;
    s.kind = "person";
    s.name = input.name;
    s.organization = input.organization;
    s.country = document.document.country;
    s.id_masked = document.document.masked;
    s.created_at = s.updated_at = now;
    s.document_kind = std::string(to_string(document.document.kind));
    s.document_hmac = document.hmac;
    s.mobile = normalize_e164(input.mobile);
    if (input.email && !input.email->empty())
        s.email = normalize_email(*input.email);
    store::validate_subject(s);
    return impl_->deps.database.transaction([&](store::Connection& tx) {
        impl_->refuse_duplicate(tx, document);
        store::Subject created = s;
        created.id = impl_->subjects.add(tx, created);
        impl_->record_registrant(tx, created.id, actor);
        impl_->audit(tx, "subject.created", actor, created.id,
                     {{"kind", "person"},
                      {"document_kind", created.document_kind},
                      {"id_masked", created.id_masked}});
        return created;
    });
}

store::Subject Registry::create_organization(const OrganizationInput& input,
                                             const std::string& actor) {
    const CheckedDocument document =
        impl_->check_document("cn_uscc", input.credit_code, "", kCreditCodeFields);
    const Clock::time_point now = impl_->deps.clock.now();
    store::Subject s;
    s.kind = "organization";
    s.name = input.name;
    s.country = document.document.country;
    s.id_masked = document.document.masked;
    s.created_at = s.updated_at = now;
    s.document_kind = "cn_uscc";
    s.document_hmac = document.hmac;
    s.legal_representative_id = input.legal_representative_id;
    store::validate_subject(s);
    return impl_->deps.database.transaction([&](store::Connection& tx) {
        impl_->lock_related(tx, input.legal_representative_id, "person", "legal_representative_id");
        impl_->refuse_duplicate(tx, document);
        store::Subject created = s;
        created.id = impl_->subjects.add(tx, created);
        impl_->record_registrant(tx, created.id, actor);
        impl_->audit(tx, "subject.created", actor, created.id,
                     {{"kind", "organization"},
                      {"document_kind", "cn_uscc"},
                      {"id_masked", created.id_masked},
                      {"legal_representative_id", input.legal_representative_id}});
        return created;
    });
}

std::optional<store::Subject> Registry::find(std::int64_t subject_id) {
    return impl_->subjects.find(subject_id);
}

std::vector<store::Subject> Registry::list(const SubjectFilter& filter) {
    if (filter.limit < 1 || filter.limit > 1000)
        fail(Errc::invalid_argument, "'limit' is 1 to 1000");
    if (filter.after_id < 0)
        fail(Errc::invalid_argument, "'after' is 0 or a subject id");
    if (filter.kind && *filter.kind != "person" && *filter.kind != "organization")
        fail(Errc::invalid_argument, "'kind' is 'person' or 'organization'");
    if (filter.status && *filter.status != "active" && *filter.status != "deactivated")
        fail(Errc::invalid_argument, "'status' is 'active' or 'deactivated'");
    if (filter.min_level && (*filter.min_level < 0 || *filter.min_level > 10))
        fail(Errc::invalid_argument, "'min_level' is 0 to 10");
    store::SubjectQuery query{filter.kind,  filter.status,   filter.min_level, std::nullopt,
                              std::nullopt, filter.after_id, filter.limit};
    if (filter.document) {
        const CheckedDocument document =
            impl_->check_document(filter.document->kind, filter.document->number,
                                  filter.document->country, kPersonDocumentFields);
        query.document_kind = std::string(to_string(document.document.kind));
        query.document_hmac = document.hmac;
    }
    return impl_->subjects.search(query);
}

}  // namespace signet::ra
