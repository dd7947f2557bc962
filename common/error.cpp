#include "common/error.hpp"

#include <openssl/err.h>

namespace signet {

std::string_view to_string(Errc code) noexcept {
    switch (code) {
        case Errc::invalid_argument:
            return "invalid_argument";
        case Errc::not_found:
            return "not_found";
        case Errc::already_exists:
            return "already_exists";
        case Errc::permission_denied:
            return "permission_denied";
        case Errc::failed_precondition:
            return "failed_precondition";
        case Errc::unavailable:
            return "unavailable";
        case Errc::hsm:
            return "hsm";
        case Errc::crypto:
            return "crypto";
        case Errc::io:
            return "io";
        case Errc::internal:
            return "internal";
    }
    return "unknown";
}

Error::Error(Errc code, const std::string& message) : std::runtime_error(message), code_(code) {}

Error::Error(Errc code, const std::string& message, Pkcs11Failure pkcs11)
    : std::runtime_error(message), code_(code), pkcs11_(std::move(pkcs11)) {}

void clear_openssl_errors() noexcept {
    ERR_clear_error();
}

std::string drain_openssl_errors(std::string_view if_empty) {
    std::string text;
    unsigned long err = 0;
    const char* data = nullptr;
    int flags = 0;
    while ((err = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
        char buf[256];
        ERR_error_string_n(err, buf, sizeof buf);
        text += text.empty() ? "" : "; ";
        text += buf;
        // The reason a provider (such as the HSM bridge) attached to its error.
        if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
            text += " (";
            text += data;
            text += ")";
        }
    }
    return text.empty() ? std::string(if_empty) : text;
}

void throw_openssl_error(std::string_view what) {
    std::string message(what);
    const std::string queue = drain_openssl_errors();
    if (!queue.empty())
        message += ": " + queue;
    throw Error(Errc::crypto, message);
}

}  // namespace signet
