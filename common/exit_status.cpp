#include "common/exit_status.hpp"

#include <string_view>

namespace signet {

ExitStatus exit_status(Errc code) noexcept {
    switch (code) {
        case Errc::invalid_argument:
            return ExitStatus::usage;
        case Errc::not_found:
            return ExitStatus::not_found;
        case Errc::permission_denied:
            return ExitStatus::permission_denied;
        case Errc::already_exists:
            return ExitStatus::already_exists;
        case Errc::unavailable:
            return ExitStatus::unavailable;
        case Errc::failed_precondition:
            return ExitStatus::failed_precondition;
        case Errc::hsm:
        case Errc::crypto:
        case Errc::io:
        case Errc::internal:
            return ExitStatus::failure;
    }
    return ExitStatus::failure;
}

std::string exit_status_help() {
    struct Line {
        ExitStatus status;
        std::string_view meaning;
    };
    // Kept in the order of the enum; README.md and ops/README.md show the same table.
    static constexpr Line kLines[] = {
        {ExitStatus::success, "success"},
        {ExitStatus::failure, "failure (HSM, cryptography, I/O, internal error)"},
        {ExitStatus::usage, "usage: a bad command line, configuration or input"},
        {ExitStatus::not_found, "not found (a token, key, file, certificate, record...)"},
        {ExitStatus::permission_denied, "permission denied (e.g. a wrong HSM PIN, never retried)"},
        {ExitStatus::already_exists, "already exists"},
        {ExitStatus::unavailable,
         "unavailable: the HSM, database or clock cannot serve now; "
         "retry later"},
        {ExitStatus::failed_precondition,
         "failed precondition: the state does not allow it (e.g. the state directory is in\n"
         "     use, a certificate is already revoked, a time-stamp token does not verify)"},
    };
    std::string help = "Exit status (the same for signetd and signetctl):\n";
    for (const auto& line : kLines) {
        help += "  " + std::to_string(to_exit_code(line.status)) + "  ";
        help += line.meaning;
        help += "\n";
    }
    return help;
}

}  // namespace signet
