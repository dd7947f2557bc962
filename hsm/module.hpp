#pragma once

#include <filesystem>
#include <memory>
#include <string>
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

  private:
    Module(std::filesystem::path path, void* library, CK_FUNCTION_LIST* functions,
           bool initialized_here);

    std::filesystem::path path_;
    void* library_;
    CK_FUNCTION_LIST* functions_;
    bool initialized_here_;
};

// Trims the blank padding PKCS#11 puts in its fixed-size text fields.
std::string from_padded(const unsigned char* text, std::size_t size);

}  // namespace signet::hsm
