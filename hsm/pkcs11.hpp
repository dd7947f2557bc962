#pragma once

// The PKCS#11 v2.40 header, as shipped by p11-kit (Debian's libp11-kit-dev). Included through
// this file only, so the rest of Signet does not depend on where it lives.
#include <p11-kit/pkcs11.h>

#include <string>
#include <string_view>

namespace signet::hsm {

// "CKM_ECDSA" for CKM_ECDSA; "CKM_0x..." for a vendor or unknown mechanism.
std::string mechanism_name(CK_MECHANISM_TYPE mechanism);

// "CKR_PIN_INCORRECT" for CKR_PIN_INCORRECT; "CKR_0x..." for a value the standard does not name.
std::string ckr_name(CK_RV rv);

// Throws signet::Error carrying the function and the CKR_ name when rv != CKR_OK. A wrong or
// locked PIN is Errc::permission_denied, a missing token or device Errc::unavailable, everything
// else Errc::hsm.
void check_rv(CK_RV rv, std::string_view function);

// True for the return values after which a session is gone and must be replaced, usually with
// every other session of the application (token removed or reset, device error, logged out):
// the session pool drops its sessions and retries the operation once on a fresh one.
bool is_session_lost(CK_RV rv) noexcept;

}  // namespace signet::hsm
