#include "hsm/pkcs11.hpp"

#include <cstdio>

#include "common/error.hpp"

namespace signet::hsm {

namespace {
#include "signet/pkcs11_names.inc"

template <std::size_t N>
std::string lookup(const Pkcs11Name (&table)[N], unsigned long value, const char* prefix) {
    for (const auto& entry : table) {
        if (entry.value == value)
            return entry.name;
    }
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s0x%lx", prefix, value);
    return buf;
}
}  // namespace

std::string ckr_name(CK_RV rv) {
    return lookup(kReturnValueNames, rv, "CKR_");
}

std::string mechanism_name(CK_MECHANISM_TYPE mechanism) {
    return lookup(kMechanismNames, mechanism, "CKM_");
}

bool is_session_lost(CK_RV rv) noexcept {
    switch (rv) {
        case CKR_SESSION_HANDLE_INVALID:
        case CKR_SESSION_CLOSED:
        case CKR_DEVICE_REMOVED:
        case CKR_DEVICE_ERROR:
        case CKR_TOKEN_NOT_PRESENT:
        case CKR_TOKEN_NOT_RECOGNIZED:
        case CKR_USER_NOT_LOGGED_IN:
            return true;
        default:
            return false;
    }
}

void check_rv(CK_RV rv, std::string_view function) {
    if (rv == CKR_OK)
        return;
    Errc code = Errc::hsm;
    switch (rv) {
        case CKR_PIN_INCORRECT:
        case CKR_PIN_LOCKED:
        case CKR_PIN_EXPIRED:
        case CKR_PIN_LEN_RANGE:
            code = Errc::permission_denied;
            break;
        case CKR_DEVICE_REMOVED:
        case CKR_TOKEN_NOT_PRESENT:
        case CKR_DEVICE_ERROR:
        case CKR_DEVICE_MEMORY:
        case CKR_SESSION_COUNT:
            code = Errc::unavailable;
            break;
        default:
            break;
    }
    std::string name = ckr_name(rv);
    throw Error(code, std::string(function) + " failed: " + name,
                Pkcs11Failure{std::string(function), static_cast<std::uint64_t>(rv)});
}

}  // namespace signet::hsm
