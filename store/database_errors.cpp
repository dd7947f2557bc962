// A failed database call (store/database.hpp): DatabaseError, and the Errc and retryability each
// SQLSTATE means (the table in store/README.md).
#include "store/database.hpp"

namespace signet::store {

// ---------------------------------------------------------------------------------------------
// Errors

DatabaseError::DatabaseError(Errc code, const std::string& message, std::string sqlstate,
                             bool retryable)
    : Error(code, message), sqlstate_(std::move(sqlstate)), retryable_(retryable) {}

bool is_retryable_sqlstate(std::string_view sqlstate) noexcept {
    // 40001 serialization_failure, 40P01 deadlock_detected: the server has rolled the
    // transaction back; nothing of it happened.
    return sqlstate == "40001" || sqlstate == "40P01";
}

Errc errc_for_sqlstate(std::string_view s) noexcept {
    if (s.size() != 5)
        return Errc::internal;
    if (s == "23505" || s == "23P01")
        return Errc::already_exists;  // unique, exclusion
    if (s == "23503" || s == "23001")
        return Errc::failed_precondition;  // foreign key, restrict
    if (s.starts_with("23") || s.starts_with("22"))
        return Errc::invalid_argument;
    if (is_retryable_sqlstate(s))
        return Errc::unavailable;
    // 08 connection exceptions, 53 insufficient resources (too many connections, disk full),
    // 57P01-05 shutdown / starting up, 57014 cancelled (statement_timeout), 55P03 lock timeout.
    if (s.starts_with("08") || s.starts_with("53") || s.starts_with("57P") || s == "57014" ||
        s == "55P03") {
        return Errc::unavailable;
    }
    if (s == "42501")
        return Errc::permission_denied;
    if (s == "25006")
        return Errc::failed_precondition;  // read-only transaction: a replica
    return Errc::internal;
}

}  // namespace signet::store
