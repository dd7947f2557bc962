#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <string_view>
#include <vector>

#include "hsm/pkcs11.hpp"

namespace signet::hsm {

struct ModuleInfo {
    std::string manufacturer;
    std::string description;
    std::string library_version;   // "2.6"
    std::string cryptoki_version;  // "2.40"
};

struct TokenInfo {
    CK_SLOT_ID slot = 0;
    std::string label;
    std::string manufacturer;
    std::string model;
    std::string serial;
    bool initialized = false;
    bool login_required = false;
};

struct MechanismInfo {
    CK_MECHANISM_TYPE type = 0;
    std::string name;  // "CKM_ECDSA", or "CKM_0x..." when unnamed
    unsigned long min_key_size = 0;
    unsigned long max_key_size = 0;
    CK_FLAGS flags = 0;
};

// A session opened through Module::open_session: its handle and the registration it holds.
struct SessionTicket {
    CK_SESSION_HANDLE handle = CK_INVALID_HANDLE;
    std::uint64_t ticket = 0;
};

// A loaded PKCS#11 module (Botan's Module): dlopen, C_GetFunctionList, C_Initialize with the
// OS's locking; C_Finalize and dlclose when the last owner goes, but only if this Module was the
// one that initialized it (not after CKR_CRYPTOKI_ALREADY_INITIALIZED: someone else in the
// process owns it then). A module may be initialized once per process, so load() hands out the
// same instance for the same path while it is alive.
class Module {
  public:
    static std::shared_ptr<Module> load(const std::filesystem::path& path);

    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;
    ~Module();

    const CK_FUNCTION_LIST& api() const noexcept { return *functions_; }
    const std::filesystem::path& path() const noexcept { return path_; }
    // False when C_Initialize answered CKR_CRYPTOKI_ALREADY_INITIALIZED.
    bool initialized_here() const noexcept { return initialized_here_; }

    ModuleInfo info() const;
    std::vector<TokenInfo> tokens() const;
    // The slot holding the initialized token with this label; Errc::not_found naming the labels
    // that are there.
    CK_SLOT_ID find_token(std::string_view label) const;
    // What the token in `slot` can do (no login needed).
    std::vector<MechanismInfo> mechanisms(CK_SLOT_ID slot) const;

    // A read-write session on `slot`, registered under a ticket. A module may hand out a handle
    // again once the session it named is gone (SoftHSM reuses the lowest free number, and after
    // a token reset every old handle is gone): closing an old handle could then close someone
    // else's new session. So the module's sessions are registered; a handle handed out again
    // cancels its old registration, and close_session closes a handle only while its ticket
    // still holds it. Errors as check_rv.
    SessionTicket open_session(CK_SLOT_ID slot) const;
    // C_CloseSession, if the handle is still the ticket's; otherwise only forgotten.
    void close_session(const SessionTicket& session) const noexcept;
    // Forgets a session the module already closed (CKR_SESSION_HANDLE_INVALID, ..._CLOSED).
    void forget_session(const SessionTicket& session) const noexcept;

  private:
    Module(std::filesystem::path path, void* library, CK_FUNCTION_LIST* functions,
           bool initialized_here);

    std::filesystem::path path_;
    void* library_;
    CK_FUNCTION_LIST* functions_;
    bool initialized_here_;

    mutable std::mutex sessions_mutex_;  // held across C_OpenSession and C_CloseSession
    mutable std::unordered_map<CK_SESSION_HANDLE, std::uint64_t> sessions_;  // handle -> ticket
    mutable std::uint64_t next_ticket_ = 1;
};

// Trims the blank padding PKCS#11 puts in its fixed-size text fields.
std::string from_padded(const unsigned char* text, std::size_t size);

}  // namespace signet::hsm
