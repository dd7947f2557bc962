#pragma once

#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "audit/log.hpp"
#include "ra/otp.hpp"
#include "ra/totp.hpp"
#include "store/subjects.hpp"
#include "tests/ra/fake_otp_crypto.hpp"
#include "tests/store/test_cluster.hpp"

namespace signet::testing {

// A fresh migrated database, a fixed clock, the fake crypto and the real audit log, with the
// challenge and TOTP services over them.
struct OtpFixture {
    explicit OtpFixture(const std::string& database, ra::OtpPolicy p = {})
        : db({.dsn = TestCluster::instance().migrated_database(database), .pool_size = 8}),
          policy(std::move(p)) {}

    std::int64_t add_subject(const std::string& name = "Test Person") {
        store::PostgresSubjects subjects(db);
        return db.transaction([&](store::Connection& tx) {
            return subjects.add(tx, {.kind = "person",
                                     .name = name,
                                     .organization = "",
                                     .country = "CN",
                                     .id_masked = "",
                                     .created_at = clock.now(),
                                     .mobile = "+8613800000000"});
        });
    }

    // A transport that keeps what it was given.
    ra::OtpTransport recorder() {
        return [this](const std::string& destination, const std::string& message) {
            sent.push_back({destination, message});
        };
    }
    // The code in the last message sent.
    std::string last_code() const {
        BOOST_REQUIRE(!sent.empty());
        std::smatch m;
        BOOST_REQUIRE(std::regex_search(sent.back().second, m, std::regex("[0-9]{6,8}")));
        return m.str();
    }
    ra::IssuedChallenge issue(std::int64_t subject, const std::string& purpose = "login",
                              std::optional<std::string> client = std::nullopt) {
        return challenges.issue({.subject_id = subject,
                                 .purpose = purpose,
                                 .destination = "+8613800000000",
                                 .client = std::move(client)},
                                recorder());
    }

    std::int64_t count(const std::string& sql) {
        return db.with_connection([&](store::Connection& c) { return c.exec(sql).one()[0].int64(); });
    }
    std::vector<audit::RecordedEvent> events() { return audit.read(1, audit.size()); }

    store::Database db;
    // A round instant: the timestamps in the tables hold few digits a code could match.
    ManualClock clock{parse_utc("2026-12-06T05:00:00Z")};
    ra::OtpPolicy policy;
    store::PostgresOtp repository;
    FakeOtpCrypto crypto;
    audit::PostgresAuditLog audit{db, clock};
    ra::OtpLockouts lockouts{db, repository, audit, clock, policy};
    ra::OtpChallenges challenges{db, repository, crypto, lockouts, clock};
    ra::Totp totp{db, repository, crypto, lockouts, audit, clock};
    std::vector<std::pair<std::string, std::string>> sent;
};

// A code of the same length that is not `code`.
inline std::string other_code(const std::string& code) {
    std::string wrong = code;
    wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
    return wrong;
}

inline constexpr int kThreads = 8;

// `operation` on kThreads threads released together: how many ended how ("accepted", the
// OtpFailure's name, or "other").
template <class F>
std::map<std::string, int> run_together(F operation) {
    std::latch start(kThreads);
    std::mutex mutex;
    std::map<std::string, int> outcomes;
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&] {
            start.arrive_and_wait();
            std::string outcome = "accepted";
            try {
                operation();
            } catch (const ra::OtpError& e) {
                outcome = std::string(ra::to_string(e.failure()));
            } catch (...) {
                outcome = "other";
            }
            std::lock_guard lock(mutex);
            ++outcomes[outcome];
        });
    }
    for (auto& t : threads)
        t.join();
    return outcomes;
}

// Checks that `operation` throws ra::OtpError with `failure`; returns it for more checks.
template <class F>
ra::OtpError expect_otp_error(F&& operation, ra::OtpFailure failure) {
    try {
        operation();
    } catch (const ra::OtpError& e) {
        BOOST_TEST_MESSAGE("refused as expected: " << e.what());
        BOOST_CHECK_EQUAL(ra::to_string(e.failure()), ra::to_string(failure));
        return e;
    }
    BOOST_ERROR("expected OtpError " << ra::to_string(failure));
    return ra::OtpError(ra::OtpFailure::not_found, "none");
}

}  // namespace signet::testing
