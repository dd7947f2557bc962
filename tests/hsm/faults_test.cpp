// A lost HSM, through tests/support/faulty_pkcs11: a PKCS#11 module that forwards to SoftHSM and
// can close every session under the pool (as a token reset does), fail every call with a chosen
// CKR_ (as a removed token or an unreachable network HSM does), or restart (sessions gone,
// object handles stale). Its own executable: every Token here goes through that module.
#include <dlfcn.h>
#include <openssl/evp.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <future>
#include <span>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/handle.hpp"
#include "hsm/token.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/softhsm.hpp"

using namespace signet;
using namespace signet::hsm;
using signet::testing::expect_error;
using signet::testing::SoftHsm;
using namespace std::chrono_literals;

namespace {

// The wrapper's controls, from the same mapping the Token's Module uses.
struct FaultyModule {
    void* library = dlopen(SIGNET_FAULTY_PKCS11, RTLD_NOW | RTLD_LOCAL);
    void (*set_fault)(CK_RV) = nullptr;
    unsigned long (*calls)() = nullptr;
    unsigned long (*stale_handles)() = nullptr;
    void (*restart)() = nullptr;
    void (*hold_close)(bool) = nullptr;
    unsigned long (*closes_waiting)() = nullptr;
    unsigned long (*closes)() = nullptr;

    FaultyModule() {
        BOOST_REQUIRE_MESSAGE(library != nullptr, dlerror());
        set_fault = reinterpret_cast<void (*)(CK_RV)>(dlsym(library, "faulty_pkcs11_set_fault"));
        calls = reinterpret_cast<unsigned long (*)()>(dlsym(library, "faulty_pkcs11_calls"));
        stale_handles =
            reinterpret_cast<unsigned long (*)()>(dlsym(library, "faulty_pkcs11_stale_handles"));
        restart = reinterpret_cast<void (*)()>(dlsym(library, "faulty_pkcs11_restart"));
        hold_close = reinterpret_cast<void (*)(bool)>(dlsym(library, "faulty_pkcs11_hold_close"));
        closes_waiting =
            reinterpret_cast<unsigned long (*)()>(dlsym(library, "faulty_pkcs11_closes_waiting"));
        closes = reinterpret_cast<unsigned long (*)()>(dlsym(library, "faulty_pkcs11_closes"));
        BOOST_REQUIRE(set_fault && calls && stale_handles && restart && hold_close &&
                      closes_waiting && closes);
    }
    ~FaultyModule() {
        hold_close(false);
        set_fault(CKR_OK);
        dlclose(library);
    }
};

TokenConfig faulty_token(const std::string& prefix) {
    TokenConfig config = SoftHsm::instance().new_token(prefix);
    config.module_path = SIGNET_FAULTY_PKCS11;
    return config;
}

Bytes sha256(std::string_view message) {
    Bytes out(32);
    unsigned int size = 0;
    BOOST_REQUIRE(EVP_Digest(message.data(), message.size(), out.data(), &size, EVP_sha256(),
                             nullptr));
    return out;
}

bool verifies(const Signer& signer, const Bytes& signature, const Bytes& hash) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, signer.public_key(), "provider=default"));
    return ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
           EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), hash.data(),
                           hash.size()) == 1;
}

bool signs(const Signer& signer, std::string_view message) {
    const Bytes hash = sha256(message);
    return verifies(signer, signer.sign_digest(Digest::sha256, Padding::ecdsa, hash), hash);
}

// Waits for `done`, bounding a hang (never asserting speed).
template <class Predicate>
bool eventually(Predicate done, std::chrono::seconds bound = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hsm_faults)

BOOST_AUTO_TEST_CASE(sixteen_threads_ride_out_every_session_closed_under_a_pool_of_eight) {
    FaultyModule faulty;
    TokenConfig config = faulty_token("close-all");
    config.pool_size = 8;
    auto token = Token::open(config);
    auto signer = token->generate_key(KeyType::ec_p256, "tsa");
    const CK_SLOT_ID slot = token->info().slot;

    // Each request notes the round it started in; after closing everything, the test waits until
    // every thread has finished a request started after the close, so no request spans two.
    constexpr int kThreads = 16;
    std::atomic<int> round{0};
    std::atomic<bool> stop{false};
    std::atomic<int> failed{0};
    std::atomic<int> signed_count{0};
    std::array<std::atomic<int>, kThreads> finished_round{};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; !stop.load(); ++i) {
                const int started = round.load();
                try {
                    if (signs(*signer, std::to_string(t) + "/" + std::to_string(i)))
                        ++signed_count;
                    else
                        ++failed;
                } catch (const std::exception& e) {
                    BOOST_TEST_MESSAGE("request failed: " << e.what());
                    ++failed;
                }
                finished_round[t].store(started);
            }
        });
    }
    const auto replaced_before = token->sessions_replaced();
    for (int r = 1; r <= 3; ++r) {
        BOOST_REQUIRE(eventually([&] { return signed_count.load() > 100 * r; }));
        // Through the module's function list, as a token reset would: every session goes.
        BOOST_REQUIRE_EQUAL(token->module().api().C_CloseAllSessions(slot), CKR_OK);
        round.store(r);
        BOOST_REQUIRE(eventually([&] {
            return std::ranges::all_of(finished_round, [&](auto& f) { return f.load() >= r; });
        }));
    }
    stop.store(true);
    for (auto& thread : threads)
        thread.join();
    BOOST_CHECK_EQUAL(failed.load(), 0);
    BOOST_CHECK_GT(signed_count.load(), 300);
    BOOST_CHECK_GE(token->sessions_replaced(), replaced_before + 3);
    BOOST_CHECK(token->state().up);
}

BOOST_AUTO_TEST_CASE(a_lost_token_answers_unavailable_at_once_without_calling_the_module) {
    FaultyModule faulty;
    TokenConfig config = faulty_token("gone");
    // No try of the module again within this test: what is measured is that calls do not
    // reach it, not how fast they are.
    config.retry_interval = std::chrono::hours(1);
    auto token = Token::open(config);
    auto signer = token->generate_key(KeyType::ec_p256, "tsa");
    BOOST_REQUIRE(signs(*signer, "before"));
    BOOST_CHECK(token->state().up);

    faulty.set_fault(CKR_DEVICE_REMOVED);
    expect_error([&] { signs(*signer, "removed"); }, Errc::unavailable, "CKR_DEVICE_REMOVED");
    const HsmState state = token->state();
    BOOST_CHECK(!state.up);
    BOOST_CHECK_MESSAGE(state.detail.find("CKR_DEVICE_REMOVED") != std::string::npos,
                        state.detail);

    // From now on every request fails with unavailable and none reaches the module.
    const auto calls_before = faulty.calls();
    std::atomic<int> unavailable{0};
    std::atomic<int> other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                try {
                    signs(*signer, "while away");
                    ++other;
                } catch (const Error& e) {
                    ++(e.code() == Errc::unavailable ? unavailable : other);
                }
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    BOOST_CHECK_EQUAL(unavailable.load(), 16 * 50);
    BOOST_CHECK_EQUAL(other.load(), 0);
    expect_error([&] { token->random(8); }, Errc::unavailable, "is unavailable");
    BOOST_CHECK_EQUAL(faulty.calls(), calls_before);
}

BOOST_AUTO_TEST_CASE(closing_dead_sessions_that_hang_does_not_hold_up_the_fail_fast_answer) {
    // On a network HSM gone away each C_CloseSession can wait for the module's timeout. The pool
    // closes the dead sessions after a loss; meanwhile every other caller must still get its
    // quick "unavailable", not wait behind those closes.
    FaultyModule faulty;
    TokenConfig config = faulty_token("slowclose");
    config.retry_interval = std::chrono::hours(1);
    auto token = Token::open(config);
    auto signer = token->generate_key(KeyType::ec_p256, "tsa");
    // Several sessions in the pool, idle: signers at once.
    std::vector<std::thread> warm;
    for (int t = 0; t < 8; ++t)
        warm.emplace_back([&] {
            for (int i = 0; i < 100; ++i)
                signs(*signer, "warm");
        });
    for (auto& thread : warm)
        thread.join();

    faulty.hold_close(true);
    faulty.set_fault(CKR_DEVICE_REMOVED);
    const auto closes_before = faulty.closes();
    auto finder = std::async(std::launch::async, [&] {
        try {
            signs(*signer, "finds the loss");
        } catch (const Error&) {
        }
    });
    BOOST_REQUIRE(eventually([&] { return faulty.closes_waiting() > 0; }, 10s));
    auto other = std::async(std::launch::async, [&]() -> std::string {
        try {
            signs(*signer, "meanwhile");
            return "signed";
        } catch (const Error& e) {
            return e.what();
        }
    });
    // The bound tells an answer from a caller stuck behind the held close.
    const bool answered = other.wait_for(10s) == std::future_status::ready;
    faulty.hold_close(false);
    BOOST_REQUIRE_MESSAGE(answered, "a caller waited behind the closing of dead sessions");
    BOOST_CHECK_MESSAGE(other.get().find("unavailable") != std::string::npos, "not unavailable");
    finder.get();
    // More than the failed session itself was closed: idle ones were there to close.
    BOOST_CHECK_GT(faulty.closes() - closes_before, 1u);
}

BOOST_AUTO_TEST_CASE(signing_resumes_by_itself_when_the_token_is_back) {
    FaultyModule faulty;
    TokenConfig config = faulty_token("back");
    config.retry_interval = 20ms;
    auto token = Token::open(config);
    auto signer = token->generate_key(KeyType::ec_p256, "tsa");
    BOOST_REQUIRE(signs(*signer, "before"));

    // The token goes away; when it comes back, its old sessions and handles are gone.
    faulty.restart();
    faulty.set_fault(CKR_TOKEN_NOT_PRESENT);
    expect_error([&] { signs(*signer, "away"); }, Errc::unavailable, "CKR_TOKEN_NOT_PRESENT");
    BOOST_CHECK(!token->state().up);
    faulty.set_fault(CKR_OK);

    // Nothing is done to the token: a later request finds the HSM back.
    BOOST_REQUIRE(eventually([&] {
        try {
            return signs(*signer, "back");
        } catch (const Error& e) {
            BOOST_CHECK(e.code() == Errc::unavailable);
            return false;
        }
    }));
    BOOST_CHECK(token->state().up);
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 20; ++i) {
                try {
                    if (!signs(*signer, std::to_string(t) + "/" + std::to_string(i)))
                        ++failed;
                } catch (const std::exception&) {
                    ++failed;
                }
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    BOOST_CHECK_EQUAL(failed.load(), 0);
}

BOOST_AUTO_TEST_CASE(after_a_restart_keys_and_the_kek_are_found_again_never_used_stale) {
    FaultyModule faulty;
    auto token = Token::open(faulty_token("restart"));
    auto tsa = token->generate_key(KeyType::ec_p256, "tsa");
    auto found = token->find_key("tsa");
    token->generate_kek("kek");
    auto user = token->wrapped_signer(token->generate_wrapped_key(KeyType::ec_p256, "kek"), "kek");
    BOOST_REQUIRE(signs(*tsa, "before") && signs(*found, "before") && signs(*user, "before"));

    const auto stale_before = faulty.stale_handles();
    faulty.restart();
    // Every cached handle is looked up again before use: none reaches the module stale.
    BOOST_CHECK(signs(*tsa, "after"));
    BOOST_CHECK(signs(*found, "after"));
    BOOST_CHECK(signs(*user, "after"));
    BOOST_CHECK_EQUAL(faulty.stale_handles(), stale_before);
}

BOOST_AUTO_TEST_CASE(a_pool_held_busy_answers_unavailable_after_its_deadline) {
    FaultyModule faulty;
    TokenConfig config = faulty_token("busy");
    config.pool_size = 1;  // session_wait: its default, 5000 ms
    auto token = Token::open(config);
    std::promise<void> holding;
    std::promise<void> let_go;
    std::thread holder([&] {
        token->run([&](CK_SESSION_HANDLE) {
            holding.set_value();
            let_go.get_future().wait();
        });
    });
    holding.get_future().wait();
    auto waiting = std::async(std::launch::async, [&] { token->random(8); });
    // Bounds a hang: the waiter must give up by itself.
    const bool answered = waiting.wait_for(60s) == std::future_status::ready;
    let_go.set_value();
    holder.join();
    BOOST_REQUIRE(answered);
    expect_error([&] { waiting.get(); }, Errc::unavailable, "no HSM session free within 5000 ms");
    // The session is free again.
    BOOST_CHECK_EQUAL(token->random(8).size(), 8u);
}

// Signer::sign_digests for a wrapped user key (a CSC signHash of several hashes): the key is
// unwrapped once for all the digests, so each digest after the first costs exactly its
// C_SignInit and C_Sign, and the unwrapped object is gone after.
BOOST_AUTO_TEST_CASE(a_wrapped_key_signs_several_digests_with_one_unwrap) {
    FaultyModule faulty;
    auto token = Token::open(faulty_token("batch"));
    token->generate_kek("kek");
    auto user = token->wrapped_signer(token->generate_wrapped_key(KeyType::ec_p256, "kek"), "kek");
    const std::vector<Bytes> hashes{sha256("one"), sha256("two"), sha256("three"),
                                    sha256("four")};
    const std::vector<ByteView> views(hashes.begin(), hashes.end());
    BOOST_REQUIRE(signs(*user, "warm"));  // handles found, sessions open

    const auto before_one = faulty.calls();
    (void)user->sign_digests(Digest::sha256, Padding::ecdsa, std::span(views).first(1));
    const auto one = faulty.calls() - before_one;
    const auto before_four = faulty.calls();
    const auto signatures = user->sign_digests(Digest::sha256, Padding::ecdsa, views);
    const auto four = faulty.calls() - before_four;
    BOOST_CHECK_EQUAL(four, one + 3 * 2);  // C_SignInit + C_Sign per further digest, no unwrap

    BOOST_REQUIRE_EQUAL(signatures.size(), hashes.size());
    for (std::size_t i = 0; i < hashes.size(); ++i) {
        BOOST_CHECK(verifies(*user, signatures[i], hashes[i]));
        BOOST_CHECK(!verifies(*user, signatures[i], hashes[(i + 1) % hashes.size()]));
    }
    // A digest of the wrong size refuses the whole batch before anything is unwrapped.
    const Bytes short_hash(31, 0x01);
    std::vector<ByteView> bad = views;
    bad.push_back(short_hash);
    const auto before_bad = faulty.calls();
    expect_error([&] { (void)user->sign_digests(Digest::sha256, Padding::ecdsa, bad); },
                 Errc::invalid_argument, "31 bytes");
    BOOST_CHECK_EQUAL(faulty.calls(), before_bad);
}

BOOST_AUTO_TEST_SUITE_END()
