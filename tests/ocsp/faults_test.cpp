// The OCSP responder with an HSM that goes away, through tests/support/faulty_pkcs11 (a PKCS#11
// module that forwards to SoftHSM and fails every call with a chosen CKR_ when told): a request
// that needs a signature is answered tryLater while the HSM is gone, a cached one is still served,
// and signing resumes once the HSM is back. Its own executable: every token here goes through that
// module.
#include <dlfcn.h>
#include <openssl/ocsp.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <thread>

#include "tests/ocsp/ocsp_fixture.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;

namespace {

struct FaultyModule {
    void* library = dlopen(SIGNET_FAULTY_PKCS11, RTLD_NOW | RTLD_LOCAL);
    void (*set_fault)(CK_RV) = nullptr;

    FaultyModule() {
        BOOST_REQUIRE_MESSAGE(library != nullptr, dlerror());
        set_fault = reinterpret_cast<void (*)(CK_RV)>(dlsym(library, "faulty_pkcs11_set_fault"));
        BOOST_REQUIRE(set_fault);
    }
    ~FaultyModule() {
        set_fault(CKR_OK);
        dlclose(library);
    }
};

std::shared_ptr<hsm::Token> faulty_token() {
    hsm::TokenConfig config = SoftHsm::instance().new_token("ocsp-faults");
    config.module_path = SIGNET_FAULTY_PKCS11;
    // Tried again soon after a loss, so the test does not wait a second for the HSM's return.
    config.retry_interval = 20ms;
    return hsm::Token::open(config);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ocsp_faults)

BOOST_AUTO_TEST_CASE(an_hsm_that_is_gone_gives_try_later_and_signing_resumes_when_it_is_back) {
    FaultyModule module;
    OcspFixture f(faulty_token(), "ocsp_hsm_faults");
    f.issue("cached");
    const auto missed_certificate = f.issue("missed");
    const Bytes cached = f.request(f.pem("issuing"), {"-cert", f.leaf("cached"), "-no_nonce"});
    BOOST_REQUIRE(f.responder->answer(cached, "c").cacheable);
    const Bytes missed = f.request(f.pem("issuing"), {"-cert", f.leaf("missed"), "-no_nonce"});
    const Bytes nonce = f.request(f.pem("issuing"), {"-cert", f.leaf("missed"), "-nonce"});

    module.set_fault(CKR_DEVICE_REMOVED);
    for (const Bytes* request : {&missed, &nonce, &missed}) {
        const auto answer = f.responder->answer(*request, "c");
        BOOST_CHECK_EQUAL(response_status(answer.der), OCSP_RESPONSE_STATUS_TRYLATER);
        BOOST_CHECK(!answer.cacheable);
    }
    // The signer says why: the HSM, not a bug.
    expect_error(
        [&] { f.signer->sign(missed_certificate.record, ocsp::CertIdHash::sha1, f.clock.now()); },
                 Errc::unavailable, "HSM");
    // What is cached needs no HSM.
    BOOST_CHECK_EQUAL(response_status(f.responder->answer(cached, "c").der),
                      OCSP_RESPONSE_STATUS_SUCCESSFUL);

    module.set_fault(CKR_OK);
    // The token tries the HSM again every retry_interval; until then it still says unavailable.
    int status = OCSP_RESPONSE_STATUS_TRYLATER;
    for (int attempt = 0; attempt < 500 && status == OCSP_RESPONSE_STATUS_TRYLATER; ++attempt) {
        // A client per try: the per-client limit is not what is tested here.
        status = response_status(f.responder->answer(missed, "retry-" + std::to_string(attempt)).der);
        if (status == OCSP_RESPONSE_STATUS_TRYLATER)
            std::this_thread::sleep_for(20ms);
    }
    BOOST_REQUIRE_EQUAL(status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
    const auto answer = f.responder->answer(nonce, "after");
    BOOST_REQUIRE_EQUAL(response_status(answer.der), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    const auto verdict = f.check(answer.der, {"-issuer", f.pem("issuing"), "-cert",
                                              f.leaf("missed"), "-no_nonce"});
    BOOST_CHECK_MESSAGE(verdict.verified(), verdict.output);
    BOOST_CHECK_MESSAGE(verdict.output.find(f.leaf("missed") + ": good") != std::string::npos,
                        verdict.output);
}

BOOST_AUTO_TEST_SUITE_END()
