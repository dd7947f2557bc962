#pragma once

#include <string>

#include "common/error.hpp"

namespace signet {

// The exit status of every Signet program (signetd, signetctl): one table, so that a script or a
// service manager reads a number the same way whichever program returned it. The command-line
// edge maps an Error's code through it (DESIGN.md invariant 5). The numbers are a public
// contract: a new code takes a new number, an old one never changes its meaning.
enum class ExitStatus : int {
    success = 0,
    failure = 1,              // anything the other codes do not name: HSM, cryptography, I/O, a bug
    usage = 2,                // a bad command line, configuration or input (Errc::invalid_argument)
    not_found = 3,            // Errc::not_found
    permission_denied = 4,    // Errc::permission_denied, e.g. a wrong HSM PIN
    already_exists = 5,       // Errc::already_exists
    unavailable = 6,          // Errc::unavailable: a dependency cannot serve now; retry later
    failed_precondition = 7,  // Errc::failed_precondition: the state does not allow it
};

ExitStatus exit_status(Errc code) noexcept;

// What main() returns.
constexpr int to_exit_code(ExitStatus status) noexcept {
    return static_cast<int>(status);
}

// The table as both programs' --help prints it: a heading and one line per status.
std::string exit_status_help();

}  // namespace signet
