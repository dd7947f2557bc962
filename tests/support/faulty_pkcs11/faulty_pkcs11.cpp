// A PKCS#11 module for the tests that forwards every call to a real one (SoftHSM, or the module
// named by FAULTY_PKCS11_TARGET) and can be told to misbehave as a lost HSM does:
//  - faulty_pkcs11_set_fault(rv): every call but C_Initialize, C_Finalize, C_GetInfo and
//    C_GetSlotList answers rv without reaching the real module (CKR_OK: forward again), as a
//    removed token or an unreachable network HSM answers;
//  - faulty_pkcs11_restart(): as an HSM restart: every session of the real module closed (and
//    the user logged out), and every object handle handed out until now stale;
//  - faulty_pkcs11_hold_close(true): every C_CloseSession waits until hold_close(false), as on a
//    network HSM gone away, where each close waits for the module's timeout
//    (faulty_pkcs11_closes_waiting, faulty_pkcs11_closes count them);
//  - C_CloseAllSessions is safe while other threads are in calls (SoftHSM frees a session that
//    another thread may be using): calls share a gate that closing takes alone.
// Object handles are the real ones with an epoch in the high bits, so a handle from before a
// restart is recognized, refused with the CKR_*_HANDLE_INVALID the standard names, and counted
// (faulty_pkcs11_stale_handles). Handles are translated in the functions Signet uses.
//  - from another process (a signetd under test): when FAULTY_PKCS11_FAULT_FILE names a file,
//    a CK_RV written in it (hex, e.g. "e0" for CKR_TOKEN_NOT_PRESENT) is the fault while no
//    faulty_pkcs11_set_fault is in force; no file, or 0, forwards. It is read on every call.
// Counters: faulty_pkcs11_calls() counts the calls that reached the fault point.
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

namespace {

CK_FUNCTION_LIST* g_real = nullptr;
CK_FUNCTION_LIST g_list{};
std::shared_mutex g_gate;
std::atomic<CK_RV> g_fault{CKR_OK};
std::atomic<unsigned long> g_calls{0};
std::atomic<unsigned long> g_stale{0};
std::atomic<CK_OBJECT_HANDLE> g_epoch{0};
// faulty_pkcs11_hold_close(true): C_CloseSession waits until released, as on a network HSM that
// went away, where each close waits for the module's own timeout.
std::mutex g_close_mutex;
std::condition_variable g_close_released;
bool g_close_held = false;
std::atomic<unsigned long> g_closes_waiting{0};
std::atomic<unsigned long> g_closes{0};

constexpr int kEpochShift = 40;
constexpr CK_OBJECT_HANDLE kRealMask = (CK_OBJECT_HANDLE{1} << kEpochShift) - 1;

CK_RV fault_from_file() {
    static const char* const path = std::getenv("FAULTY_PKCS11_FAULT_FILE");
    if (path == nullptr)
        return CKR_OK;
    std::FILE* file = std::fopen(path, "r");
    if (file == nullptr)
        return CKR_OK;
    unsigned long rv = CKR_OK;
    if (std::fscanf(file, "%lx", &rv) != 1)
        rv = CKR_OK;
    std::fclose(file);
    return rv;
}

CK_RV enter() {
    ++g_calls;
    const CK_RV fault = g_fault.load();
    return fault != CKR_OK ? fault : fault_from_file();
}

CK_OBJECT_HANDLE outward(CK_OBJECT_HANDLE real) {
    return real == CK_INVALID_HANDLE ? real : (real | (g_epoch.load() << kEpochShift));
}

// The real handle for `handle`, or false (counted) when it is from before a restart.
bool inward(CK_OBJECT_HANDLE handle, CK_OBJECT_HANDLE& real) {
    if (handle != CK_INVALID_HANDLE && (handle >> kEpochShift) != g_epoch.load()) {
        ++g_stale;
        return false;
    }
    real = handle & kRealMask;
    return true;
}

template <auto Member, class Fn>
struct Forward;

// The plain forwarder: the gate, the fault, the real function.
template <auto Member, class... Args>
struct Forward<Member, CK_RV (*)(Args...)> {
    static CK_RV call(Args... args) {
        std::shared_lock gate(g_gate);
        if (const CK_RV fault = enter(); fault != CKR_OK)
            return fault;
        return (g_real->*Member)(args...);
    }
};

// Calls that never fail on purpose: loading, unloading and listing slots.
template <auto Member, class Fn>
struct Pass;
template <auto Member, class... Args>
struct Pass<Member, CK_RV (*)(Args...)> {
    static CK_RV call(Args... args) { return (g_real->*Member)(args...); }
};

#define SIGNET_GATED(body)                            \
    std::shared_lock gate(g_gate);                    \
    if (const CK_RV fault = enter(); fault != CKR_OK) \
        return fault;                                 \
    body

// As a real module does, a dead session is reported before a stale object handle on it.
#define SIGNET_LIVE_SESSION(s)                                                \
    if (CK_SESSION_INFO info{}; g_real->C_GetSessionInfo(s, &info) != CKR_OK) \
        return g_real->C_GetSessionInfo(s, &info);

CK_RV close_session(CK_SESSION_HANDLE s) {
    {
        std::unique_lock lock(g_close_mutex);
        ++g_closes_waiting;
        g_close_released.wait(lock, [] { return !g_close_held; });
        --g_closes_waiting;
    }
    ++g_closes;
    SIGNET_GATED(return g_real->C_CloseSession(s);)
}

CK_RV find_objects(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE* objects, CK_ULONG max, CK_ULONG* count) {
    SIGNET_GATED(const CK_RV rv = g_real->C_FindObjects(s, objects, max, count);
                 if (rv == CKR_OK && objects != nullptr && count != nullptr) {
                     for (CK_ULONG i = 0; i < *count; ++i)
                         objects[i] = outward(objects[i]);
                 } return rv;)
}

CK_RV generate_key_pair(CK_SESSION_HANDLE s, CK_MECHANISM* m, CK_ATTRIBUTE* pub, CK_ULONG npub,
                        CK_ATTRIBUTE* priv, CK_ULONG npriv, CK_OBJECT_HANDLE* pub_out,
                        CK_OBJECT_HANDLE* priv_out) {
    SIGNET_GATED(const CK_RV rv =
                     g_real->C_GenerateKeyPair(s, m, pub, npub, priv, npriv, pub_out, priv_out);
                 if (rv == CKR_OK) {
                     *pub_out = outward(*pub_out);
                     *priv_out = outward(*priv_out);
                 } return rv;)
}

CK_RV generate_key(CK_SESSION_HANDLE s, CK_MECHANISM* m, CK_ATTRIBUTE* t, CK_ULONG n,
                   CK_OBJECT_HANDLE* out) {
    SIGNET_GATED(const CK_RV rv = g_real->C_GenerateKey(s, m, t, n, out);
                 if (rv == CKR_OK)* out = outward(*out); return rv;)
}

CK_RV create_object(CK_SESSION_HANDLE s, CK_ATTRIBUTE* t, CK_ULONG n, CK_OBJECT_HANDLE* out) {
    SIGNET_GATED(const CK_RV rv = g_real->C_CreateObject(s, t, n, out);
                 if (rv == CKR_OK)* out = outward(*out); return rv;)
}

CK_RV unwrap_key(CK_SESSION_HANDLE s, CK_MECHANISM* m, CK_OBJECT_HANDLE unwrapping,
                 CK_BYTE* wrapped, CK_ULONG wrapped_len, CK_ATTRIBUTE* t, CK_ULONG n,
                 CK_OBJECT_HANDLE* out) {
    SIGNET_GATED(SIGNET_LIVE_SESSION(s) CK_OBJECT_HANDLE real = 0;
                 if (!inward(unwrapping, real)) return CKR_UNWRAPPING_KEY_HANDLE_INVALID;
                 const CK_RV rv = g_real->C_UnwrapKey(s, m, real, wrapped, wrapped_len, t, n, out);
                 if (rv == CKR_OK)* out = outward(*out); return rv;)
}

CK_RV wrap_key(CK_SESSION_HANDLE s, CK_MECHANISM* m, CK_OBJECT_HANDLE wrapping,
               CK_OBJECT_HANDLE key, CK_BYTE* out, CK_ULONG* out_len) {
    SIGNET_GATED(SIGNET_LIVE_SESSION(s) CK_OBJECT_HANDLE real_wrapping = 0;
                 CK_OBJECT_HANDLE real_key = 0;
                 if (!inward(wrapping, real_wrapping)) return CKR_WRAPPING_KEY_HANDLE_INVALID;
                 if (!inward(key, real_key)) return CKR_KEY_HANDLE_INVALID;
                 return g_real->C_WrapKey(s, m, real_wrapping, real_key, out, out_len);)
}

CK_RV sign_init(CK_SESSION_HANDLE s, CK_MECHANISM* m, CK_OBJECT_HANDLE key) {
    SIGNET_GATED(SIGNET_LIVE_SESSION(s) CK_OBJECT_HANDLE real = 0;
                 if (!inward(key, real)) return CKR_KEY_HANDLE_INVALID;
                 return g_real->C_SignInit(s, m, real);)
}

CK_RV verify_init(CK_SESSION_HANDLE s, CK_MECHANISM* m, CK_OBJECT_HANDLE key) {
    SIGNET_GATED(SIGNET_LIVE_SESSION(s) CK_OBJECT_HANDLE real = 0;
                 if (!inward(key, real)) return CKR_KEY_HANDLE_INVALID;
                 return g_real->C_VerifyInit(s, m, real);)
}

CK_RV get_attribute_value(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE* t, CK_ULONG n) {
    SIGNET_GATED(SIGNET_LIVE_SESSION(s) CK_OBJECT_HANDLE real = 0;
                 if (!inward(o, real)) return CKR_OBJECT_HANDLE_INVALID;
                 return g_real->C_GetAttributeValue(s, real, t, n);)
}

CK_RV set_attribute_value(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE* t, CK_ULONG n) {
    SIGNET_GATED(SIGNET_LIVE_SESSION(s) CK_OBJECT_HANDLE real = 0;
                 if (!inward(o, real)) return CKR_OBJECT_HANDLE_INVALID;
                 return g_real->C_SetAttributeValue(s, real, t, n);)
}

CK_RV destroy_object(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o) {
    SIGNET_GATED(SIGNET_LIVE_SESSION(s) CK_OBJECT_HANDLE real = 0;
                 if (!inward(o, real)) return CKR_OBJECT_HANDLE_INVALID;
                 return g_real->C_DestroyObject(s, real);)
}

// Alone at the gate: no other thread is inside the real module while its sessions go.
CK_RV close_all_sessions(CK_SLOT_ID slot) {
    std::unique_lock gate(g_gate);
    if (const CK_RV fault = enter(); fault != CKR_OK)
        return fault;
    return g_real->C_CloseAllSessions(slot);
}

bool load_real() {
    if (g_real != nullptr)
        return true;
    const char* target = std::getenv("FAULTY_PKCS11_TARGET");
    void* library = dlopen(target != nullptr ? target : "/usr/lib/softhsm/libsofthsm2.so",
                           RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr)
        return false;
    auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(library, "C_GetFunctionList"));
    if (get == nullptr || get(&g_real) != CKR_OK)
        return false;
    g_list = *g_real;
#define SIGNET_FORWARD(name) \
    g_list.name = &Forward<&CK_FUNCTION_LIST::name, decltype(CK_FUNCTION_LIST::name)>::call
#define SIGNET_PASS(name) \
    g_list.name = &Pass<&CK_FUNCTION_LIST::name, decltype(CK_FUNCTION_LIST::name)>::call
    SIGNET_PASS(C_Initialize);
    SIGNET_PASS(C_Finalize);
    SIGNET_PASS(C_GetInfo);
    SIGNET_PASS(C_GetSlotList);
    SIGNET_FORWARD(C_GetSlotInfo);
    SIGNET_FORWARD(C_GetTokenInfo);
    SIGNET_FORWARD(C_GetMechanismList);
    SIGNET_FORWARD(C_GetMechanismInfo);
    SIGNET_FORWARD(C_OpenSession);
    SIGNET_FORWARD(C_GetSessionInfo);
    SIGNET_FORWARD(C_Login);
    SIGNET_FORWARD(C_Logout);
    SIGNET_FORWARD(C_FindObjectsInit);
    SIGNET_FORWARD(C_FindObjectsFinal);
    SIGNET_FORWARD(C_Sign);
    SIGNET_FORWARD(C_Verify);
    SIGNET_FORWARD(C_GenerateRandom);
#undef SIGNET_FORWARD
#undef SIGNET_PASS
    g_list.C_CloseSession = close_session;
    g_list.C_FindObjects = find_objects;
    g_list.C_GenerateKeyPair = generate_key_pair;
    g_list.C_GenerateKey = generate_key;
    g_list.C_CreateObject = create_object;
    g_list.C_UnwrapKey = unwrap_key;
    g_list.C_WrapKey = wrap_key;
    g_list.C_SignInit = sign_init;
    g_list.C_VerifyInit = verify_init;
    g_list.C_GetAttributeValue = get_attribute_value;
    g_list.C_SetAttributeValue = set_attribute_value;
    g_list.C_DestroyObject = destroy_object;
    g_list.C_CloseAllSessions = close_all_sessions;
    return true;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST** list) {
    if (list == nullptr)
        return CKR_ARGUMENTS_BAD;
    if (!load_real())
        return CKR_GENERAL_ERROR;
    *list = &g_list;
    return CKR_OK;
}

__attribute__((visibility("default"))) void faulty_pkcs11_set_fault(CK_RV rv) {
    g_fault.store(rv);
}

__attribute__((visibility("default"))) void faulty_pkcs11_hold_close(bool held) {
    {
        std::lock_guard lock(g_close_mutex);
        g_close_held = held;
    }
    g_close_released.notify_all();
}

__attribute__((visibility("default"))) unsigned long faulty_pkcs11_closes_waiting() {
    return g_closes_waiting.load();
}

__attribute__((visibility("default"))) unsigned long faulty_pkcs11_closes() {
    return g_closes.load();
}

__attribute__((visibility("default"))) unsigned long faulty_pkcs11_calls() {
    return g_calls.load();
}

__attribute__((visibility("default"))) unsigned long faulty_pkcs11_stale_handles() {
    return g_stale.load();
}

__attribute__((visibility("default"))) void faulty_pkcs11_restart() {
    std::unique_lock gate(g_gate);
    CK_SLOT_ID slots[64];
    CK_ULONG count = 64;
    if (g_real->C_GetSlotList(CK_TRUE, slots, &count) == CKR_OK) {
        for (CK_ULONG i = 0; i < count; ++i)
            g_real->C_CloseAllSessions(slots[i]);
    }
    ++g_epoch;
}

}  // extern "C"
