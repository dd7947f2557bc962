// hsm::Module finalizes a PKCS#11 module only if it initialized it. Its own executable: nothing
// else in the process may have the module loaded when these cases start.
#include "hsm/module.hpp"

#include <dlfcn.h>

#include <boost/test/unit_test.hpp>

#include "hsm/token.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet;
using namespace signet::hsm;
using signet::testing::SoftHsm;

namespace {

// The module as another part of the process (p11-kit, a second library) sees it: its own
// dlopen reference and the function list.
struct OtherUser {
    void* library = dlopen(SoftHsm::kModulePath, RTLD_NOW | RTLD_LOCAL);
    CK_FUNCTION_LIST* api = nullptr;

    OtherUser() {
        BOOST_REQUIRE(library != nullptr);
        auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(library, "C_GetFunctionList"));
        BOOST_REQUIRE(get != nullptr);
        BOOST_REQUIRE_EQUAL(get(&api), CKR_OK);
    }
    ~OtherUser() { dlclose(library); }

    CK_RV slot_list() const {
        CK_ULONG count = 0;
        return api->C_GetSlotList(CK_TRUE, nullptr, &count);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(module)

BOOST_AUTO_TEST_CASE(a_module_initialized_by_someone_else_is_left_to_them) {
    TokenConfig config = SoftHsm::instance().new_token("owner");
    OtherUser owner;
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    BOOST_REQUIRE_EQUAL(owner.api->C_Initialize(&args), CKR_OK);
    {
        // Signet comes second: CKR_CRYPTOKI_ALREADY_INITIALIZED, and it works all the same.
        auto token = Token::open(config);
        BOOST_CHECK(!token->module().initialized_here());
        BOOST_CHECK_EQUAL(token->random(8).size(), 8u);
    }
    // Signet's Module is gone; the first owner's module still works.
    BOOST_CHECK_EQUAL(owner.slot_list(), CKR_OK);
    CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
    const CK_SLOT_ID slot = [&] {
        CK_ULONG count = 16;
        CK_SLOT_ID slots[16];
        BOOST_REQUIRE_EQUAL(owner.api->C_GetSlotList(CK_TRUE, slots, &count), CKR_OK);
        BOOST_REQUIRE_GE(count, 1u);
        return slots[0];
    }();
    BOOST_CHECK_EQUAL(owner.api->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &session),
                      CKR_OK);
    BOOST_CHECK_EQUAL(owner.api->C_CloseSession(session), CKR_OK);
    BOOST_CHECK_EQUAL(owner.api->C_Finalize(nullptr), CKR_OK);
}

BOOST_AUTO_TEST_CASE(a_module_initialized_here_is_finalized_with_its_module) {
    TokenConfig config = SoftHsm::instance().new_token("mine");
    OtherUser observer;  // keeps the library mapped, never initializes it
    BOOST_REQUIRE_EQUAL(observer.slot_list(), CKR_CRYPTOKI_NOT_INITIALIZED);
    {
        auto token = Token::open(config);
        BOOST_CHECK(token->module().initialized_here());
        BOOST_CHECK_EQUAL(observer.slot_list(), CKR_OK);
    }
    BOOST_CHECK_EQUAL(observer.slot_list(), CKR_CRYPTOKI_NOT_INITIALIZED);
}

BOOST_AUTO_TEST_SUITE_END()
