#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "store/database.hpp"

namespace signet::store {

// A natural person or an organization that certificates are issued to. The RA (a later issue)
// fills assurance_level from identity evidence; until then an operator creates subjects with
// signetctl. No identity number is kept in the clear: id_masked is for display and DNs.
struct Subject {
    std::int64_t id = 0;
    std::string kind;          // "person" or "organization"
    std::string name;          // the person's full name, or the organization's name
    std::string organization;  // a person's organization (may be empty)
    std::string country;       // ISO 3166-1 alpha-2
    std::string id_masked;     // e.g. "1101**********1234"
    int assurance_level = 0;
    Clock::time_point created_at;
};

class SubjectReader {
  public:
    virtual ~SubjectReader() = default;
    virtual std::optional<Subject> find(std::int64_t id) = 0;
    virtual std::vector<Subject> list(std::int64_t after_id, std::size_t limit) = 0;  // by id
};

class SubjectRepository : public SubjectReader {
  public:
    // Returns the new id. Errc::invalid_argument for a bad kind, name, country or level.
    virtual std::int64_t add(Connection& transaction, const Subject& subject) = 0;
};

class PostgresSubjects final : public SubjectRepository {
  public:
    explicit PostgresSubjects(Database& database) : database_(database) {}
    std::optional<Subject> find(std::int64_t id) override;
    std::vector<Subject> list(std::int64_t after_id, std::size_t limit) override;
    std::int64_t add(Connection& transaction, const Subject& subject) override;

  private:
    Database& database_;
};

}  // namespace signet::store
