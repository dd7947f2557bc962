#include "hsm/module.hpp"

#include <dlfcn.h>

#include <map>
#include <mutex>

#include "common/error.hpp"

namespace signet::hsm {

namespace {

std::mutex g_modules_mutex;
// One live instance per module path: C_Initialize may be called once per process.
std::map<std::filesystem::path, std::weak_ptr<Module>>& live_modules() {
    static std::map<std::filesystem::path, std::weak_ptr<Module>> modules;
    return modules;
}

std::string version_string(const CK_VERSION& v) {
    return std::to_string(v.major) + "." + std::to_string(v.minor);
}

}  // namespace

std::string from_padded(const unsigned char* text, std::size_t size) {
    std::string s(reinterpret_cast<const char*>(text), size);
    const auto end = s.find_last_not_of(' ');
    s.erase(end == std::string::npos ? 0 : end + 1);
    // A token may also pad with NULs.
    const auto nul = s.find('\0');
    if (nul != std::string::npos)
        s.erase(nul);
    return s;
}

std::shared_ptr<Module> Module::load(const std::filesystem::path& path) {
    std::lock_guard lock(g_modules_mutex);
    std::error_code ec;
    const auto canonical = std::filesystem::canonical(path, ec);
    if (ec) {
        throw Error(Errc::not_found, "PKCS#11 module " + path.string() + " does not exist");
    }
    auto& modules = live_modules();
    if (auto existing = modules[canonical].lock())
        return existing;

    void* library = dlopen(canonical.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
        const char* why = dlerror();
        throw Error(Errc::invalid_argument, "cannot load PKCS#11 module " + path.string() + ": " +
                                                (why != nullptr ? why : "dlopen failed"));
    }
    auto get_function_list =
        reinterpret_cast<CK_C_GetFunctionList>(dlsym(library, "C_GetFunctionList"));
    if (get_function_list == nullptr) {
        dlclose(library);
        throw Error(Errc::invalid_argument,
                    path.string() + " is not a PKCS#11 module (no C_GetFunctionList)");
    }
    CK_FUNCTION_LIST* functions = nullptr;
    CK_RV rv = get_function_list(&functions);
    if (rv != CKR_OK || functions == nullptr || functions->C_Initialize == nullptr) {
        dlclose(library);
        throw Error(Errc::invalid_argument,
                    path.string() + ": C_GetFunctionList failed: " + ckr_name(rv),
                    Pkcs11Failure{"C_GetFunctionList", rv});
    }
    // Several threads use the module at once: let it use the OS's locking primitives.
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    rv = functions->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        dlclose(library);
        check_rv(rv, "C_Initialize");
    }
    // CKR_CRYPTOKI_ALREADY_INITIALIZED: another part of the process (p11-kit, a library that
    // loaded the module by another path) initialized it and owns it; finalizing it when we are
    // done would pull it from under that owner (PKCS#11 v2.40 §5.4: C_Finalize ends the
    // application's use of the library, for every user of it in the process).
    const bool initialized_here = rv == CKR_OK;
    std::shared_ptr<Module> module(new Module(canonical, library, functions, initialized_here));
    modules[canonical] = module;
    return module;
}

Module::Module(std::filesystem::path path, void* library, CK_FUNCTION_LIST* functions,
               bool initialized_here)
    : path_(std::move(path)),
      library_(library),
      functions_(functions),
      initialized_here_(initialized_here) {}

Module::~Module() {
    // Runs under the registry lock so a concurrent load() of the same path waits for the
    // C_Finalize to finish before initializing again.
    std::lock_guard lock(g_modules_mutex);
    if (!initialized_here_)
        return;  // the module, and the library's mapping, belong to whoever initialized it
    functions_->C_Finalize(nullptr);
    dlclose(library_);
}

ModuleInfo Module::info() const {
    CK_INFO info{};
    check_rv(functions_->C_GetInfo(&info), "C_GetInfo");
    return ModuleInfo{
        from_padded(info.manufacturerID, sizeof info.manufacturerID),
        from_padded(info.libraryDescription, sizeof info.libraryDescription),
        version_string(info.libraryVersion),
        version_string(info.cryptokiVersion),
    };
}

std::vector<TokenInfo> Module::tokens() const {
    CK_ULONG count = 0;
    check_rv(functions_->C_GetSlotList(CK_TRUE, nullptr, &count), "C_GetSlotList");
    std::vector<CK_SLOT_ID> slots(count);
    check_rv(functions_->C_GetSlotList(CK_TRUE, slots.data(), &count), "C_GetSlotList");
    slots.resize(count);
    std::vector<TokenInfo> tokens;
    for (CK_SLOT_ID slot : slots) {
        CK_TOKEN_INFO info{};
        CK_RV rv = functions_->C_GetTokenInfo(slot, &info);
        if (rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_TOKEN_NOT_RECOGNIZED)
            continue;
        check_rv(rv, "C_GetTokenInfo");
        tokens.push_back(TokenInfo{
            slot,
            from_padded(info.label, sizeof info.label),
            from_padded(info.manufacturerID, sizeof info.manufacturerID),
            from_padded(info.model, sizeof info.model),
            from_padded(info.serialNumber, sizeof info.serialNumber),
            (info.flags & CKF_TOKEN_INITIALIZED) != 0,
            (info.flags & CKF_LOGIN_REQUIRED) != 0,
        });
    }
    return tokens;
}

CK_SLOT_ID Module::find_token(std::string_view label) const {
    std::string present;
    for (const auto& token : tokens()) {
        if (!token.initialized)
            continue;
        if (token.label == label)
            return token.slot;
        present += (present.empty() ? "" : ", ") + ("'" + token.label + "'");
    }
    throw Error(
        Errc::not_found,
        "no token labelled '" + std::string(label) + "' in " + path_.string() +
            (present.empty() ? " (no initialized token)" : " (tokens present: " + present + ")"));
}

std::vector<MechanismInfo> Module::mechanisms(CK_SLOT_ID slot) const {
    CK_ULONG count = 0;
    check_rv(functions_->C_GetMechanismList(slot, nullptr, &count), "C_GetMechanismList");
    std::vector<CK_MECHANISM_TYPE> types(count);
    check_rv(functions_->C_GetMechanismList(slot, types.data(), &count), "C_GetMechanismList");
    types.resize(count);
    std::vector<MechanismInfo> result;
    for (CK_MECHANISM_TYPE type : types) {
        CK_MECHANISM_INFO info{};
        check_rv(functions_->C_GetMechanismInfo(slot, type, &info), "C_GetMechanismInfo");
        result.push_back(
            {type, mechanism_name(type), info.ulMinKeySize, info.ulMaxKeySize, info.flags});
    }
    return result;
}

SessionTicket Module::open_session(CK_SLOT_ID slot) const {
    std::lock_guard lock(sessions_mutex_);
    CK_SESSION_HANDLE handle = CK_INVALID_HANDLE;
    check_rv(functions_->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr,
                                       &handle),
             "C_OpenSession");
    // A number still registered belonged to a session the module has since lost: its holder's
    // ticket no longer names it.
    const SessionTicket session{handle, next_ticket_++};
    sessions_[handle] = session.ticket;
    return session;
}

void Module::close_session(const SessionTicket& session) const noexcept {
    std::lock_guard lock(sessions_mutex_);
    const auto it = sessions_.find(session.handle);
    if (it == sessions_.end() || it->second != session.ticket)
        return;
    sessions_.erase(it);
    functions_->C_CloseSession(session.handle);
}

void Module::forget_session(const SessionTicket& session) const noexcept {
    std::lock_guard lock(sessions_mutex_);
    const auto it = sessions_.find(session.handle);
    if (it != sessions_.end() && it->second == session.ticket)
        sessions_.erase(it);
}

}  // namespace signet::hsm
