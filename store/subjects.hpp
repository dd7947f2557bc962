#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "store/database.hpp"

namespace signet::store {

// A natural person or an organization that certificates are issued to. The RA (ra/registry.hpp)
// fills assurance_level from identity evidence. No identity number is kept in the clear:
// id_masked is for display and DNs, document_hmac finds the same document again.
struct Subject {
    // Every member has a default, so an aggregate initializer may stop after any of them
    // (-Wmissing-field-initializers stays quiet).
    std::int64_t id = 0;
    std::string kind{};          // "person" or "organization"
    std::string name{};          // the person's full name, or the organization's name
    std::string organization{};  // a person's organization (may be empty)
    std::string country{};       // ISO 3166-1 alpha-2
    std::string id_masked{};     // e.g. "1101XXXXXXXXXX1234"
    int assurance_level = 0;
    Clock::time_point created_at{};
    // Added by the RA (store migration 8, issue 12).
    std::string status = "active";  // "active" or "deactivated"
    std::string document_kind{};    // cn_resident_id, cn_uscc, passport; "" for older rows
    // HMAC-SHA-256, keyed in the HSM, of kind || 0 || country || 0 || number: the same
    // document is found again without the number being kept (ra/registry.hpp).
    std::optional<Bytes> document_hmac{};
    std::string mobile{};                                   // E.164, "" when none
    std::string email{};                                    // "" when none
    std::optional<std::int64_t> legal_representative_id{};  // an organization's
    std::string verification_method{};  // "", "provider" or "officer": how the level was reached
    std::optional<Clock::time_point> verified_at{};
    std::optional<Clock::time_point> deactivated_at{};
    Clock::time_point updated_at{};
};

// The rules a subject's values meet, checked when a subject is added or changed
// (PostgresSubjects::add and update: signetctl, the RA) and again by the CA before it issues
// (ca::Authority::issue), so that a subject accepted is one the CA can issue for. A value may
// become any DN attribute a profile's template puts it in, so each meets the strictest of
// them: name and organization 1-64 characters (RFC 5280 Appendix A ub-common-name and
// ub-organization-name: a name becomes CN or O), text a person reads without hidden characters
// (common/text.hpp name_text_problem: UTF-8, no control or invisible character — TAB, U+200B,
// U+202E... — in NFC); country two capital letters (ISO 3166-1 alpha-2, a PrintableString);
// id_masked at most 64 PrintableString characters (X.520 serialNumber, ub-serial-number 64; mask
// digits with 'X', since '*' is no PrintableString character); kind person or organization;
// assurance level 0-10. The RA's fields: status active or deactivated (deactivated_at set
// exactly then); document_kind "", cn_resident_id or passport for a person, "" or cn_uscc for an
// organization, with a 32-byte document_hmac exactly when it is not ""; mobile "" or E.164
// ('+', 8-15 digits, the first not 0); email at most 254 printable ASCII characters without
// spaces; legal_representative_id only an organization's, not its own; verification_method "",
// provider or officer, verified_at set exactly when it is not "". Errc::invalid_argument naming
// the field: "'name' has 100 characters; at most 64 ...". No message echoes a document value.
void validate_subject(const Subject& subject);

// What a subject list may be narrowed to (all optional), by id from after_id on.
struct SubjectQuery {
    std::optional<std::string> kind;
    std::optional<std::string> status;
    std::optional<int> min_level;
    // The same document: its kind and its keyed hash (never the number).
    std::optional<std::string> document_kind;
    std::optional<Bytes> document_hmac;
    std::int64_t after_id = 0;
    std::size_t limit = 100;  // at most 1000
};

class SubjectReader {
  public:
    virtual ~SubjectReader() = default;
    virtual std::optional<Subject> find(std::int64_t id) = 0;
    virtual std::vector<Subject> list(std::int64_t after_id, std::size_t limit) = 0;  // by id
};

class SubjectRepository : public SubjectReader {
  public:
    // Returns the new id. Errc::invalid_argument (validate_subject's) for a bad value, with
    // nothing stored; Errc::already_exists when an active subject holds the same document.
    // An updated_at left at its default is created_at.
    virtual std::int64_t add(Connection& transaction, const Subject& subject) = 0;
    // The subject, its row locked (FOR UPDATE) until the transaction ends: read, decide, write
    // without a concurrent change in between.
    virtual std::optional<Subject> lock(Connection& transaction, std::int64_t id) = 0;
    // Writes every column but id, kind and created_at (validate_subject first). Errc::not_found
    // when there is no such subject; already_exists as add.
    virtual void update(Connection& transaction, const Subject& subject) = 0;
    // The active subject holding this document (kind and keyed hash), if any.
    virtual std::optional<Subject> find_active_by_document(Connection& transaction,
                                                           std::string_view document_kind,
                                                           ByteView document_hmac) = 0;
    virtual std::vector<Subject> search(const SubjectQuery& query) = 0;
};

class PostgresSubjects final : public SubjectRepository {
  public:
    explicit PostgresSubjects(Database& database) : database_(database) {}
    std::optional<Subject> find(std::int64_t id) override;
    std::vector<Subject> list(std::int64_t after_id, std::size_t limit) override;
    std::int64_t add(Connection& transaction, const Subject& subject) override;
    std::optional<Subject> lock(Connection& transaction, std::int64_t id) override;
    void update(Connection& transaction, const Subject& subject) override;
    std::optional<Subject> find_active_by_document(Connection& transaction,
                                                   std::string_view document_kind,
                                                   ByteView document_hmac) override;
    std::vector<Subject> search(const SubjectQuery& query) override;

  private:
    Database& database_;
};

}  // namespace signet::store
