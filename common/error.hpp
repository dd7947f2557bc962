#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace signet {

// The one error type of every module (DESIGN.md invariant 5). Services throw it; only the edge
// (HTTP API, TSA, OCSP, CLI) maps its code to a status, a failInfo or an exit code.
enum class Errc {
    invalid_argument,     // the caller's input is malformed or out of range
    not_found,            // a named object (token, key, certificate...) does not exist
    already_exists,       // creating something that is already there
    permission_denied,    // authenticated but not allowed (wrong PIN, wrong scope)
    failed_precondition,  // the system is not in a state that allows the operation
    unavailable,          // a dependency (HSM, database, clock) cannot serve now; retry later
    hsm,                  // a PKCS#11 call failed; see pkcs11_function()/pkcs11_rv()
    crypto,               // OpenSSL failed; the message carries its error queue
    io,                   // a file or OS call failed
    internal,             // a bug or an invariant violation
};

std::string_view to_string(Errc code) noexcept;

// Where a PKCS#11 failure came from: the function and its CK_RV.
struct Pkcs11Failure {
    std::string function;
    std::uint64_t rv = 0;
};

class Error : public std::runtime_error {
  public:
    Error(Errc code, const std::string& message);
    Error(Errc code, const std::string& message, Pkcs11Failure pkcs11);

    Errc code() const noexcept { return code_; }
    const std::optional<Pkcs11Failure>& pkcs11() const noexcept { return pkcs11_; }

  private:
    Errc code_;
    std::optional<Pkcs11Failure> pkcs11_;
};

// The one drain of OpenSSL's thread-local error queue: its entries as one line ("error:...;
// error:..."), each with the text a provider (such as the HSM bridge) attached, and the queue
// emptied, so it never leaks into an unrelated later call. `if_empty` when it held nothing.
std::string drain_openssl_errors(std::string_view if_empty = "");

// Throws Errc::crypto with `what` and the drained queue.
[[noreturn]] void throw_openssl_error(std::string_view what);

// Empties OpenSSL's error queue without throwing (after an expected, handled failure).
void clear_openssl_errors() noexcept;

// Throws Errc::crypto with the drained OpenSSL queue when `ok` is not positive.
inline void check_openssl(int ok, std::string_view what) {
    if (ok <= 0)
        throw_openssl_error(what);
}

}  // namespace signet
