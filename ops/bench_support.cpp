#include "ops/bench_support.hpp"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "hsm/pkcs11.hpp"

namespace signet::bench {

std::vector<int> parse_list(const std::string& option, const std::string& list, int max) {
    std::vector<int> values;
    std::stringstream in(list);
    std::string item;
    while (std::getline(in, item, ',')) {
        const int n = std::atoi(item.c_str());
        if (n < 1 || n > max) {
            throw Error(Errc::invalid_argument,
                        option + " '" + item + "' is not 1.." + std::to_string(max));
        }
        values.push_back(n);
    }
    if (values.empty())
        throw Error(Errc::invalid_argument, option + " needs a list like 1,2,4");
    return values;
}

using Clock = std::chrono::steady_clock;
using hsm::check_rv;
using hsm::is_ec;

double thread_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double process_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double measure(int threads, double seconds,
               const std::function<std::function<void()>()>& make_worker,
               double* cpu_seconds_per_op, const std::function<double()>& cpu_seconds) {
    const auto cpu_now = [&] { return cpu_seconds ? cpu_seconds() : process_cpu_seconds(); };
    std::vector<std::function<void()>> workers;
    for (int t = 0; t < threads; ++t)
        workers.push_back(make_worker());
    const auto warmup = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(std::min(0.5, seconds / 4)));
    const auto window =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    const auto count_from = Clock::now() + std::chrono::milliseconds(50) + warmup;
    const auto count_until = count_from + window;
    std::atomic<long> total{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            auto& work = workers[static_cast<std::size_t>(t)];
            long count = 0;
            for (auto now = Clock::now(); now < count_until; now = Clock::now()) {
                work();
                if (now >= count_from)
                    ++count;
            }
            total += count;
        });
    }
    if (cpu_seconds_per_op != nullptr) {
        // The whole process's CPU over the counting window, per operation counted.
        std::this_thread::sleep_until(count_from);
        const double cpu_from = cpu_now();
        std::this_thread::sleep_until(count_until);
        const double cpu_used = cpu_now() - cpu_from;
        for (auto& thread : pool)
            thread.join();
        *cpu_seconds_per_op = total.load() > 0 ? cpu_used / static_cast<double>(total.load()) : 0;
        return static_cast<double>(total.load()) / seconds;
    }
    for (auto& thread : pool)
        thread.join();
    return static_cast<double>(total.load()) / seconds;
}

CK_OBJECT_HANDLE find_private_key(hsm::Token& token, const std::string& label) {
    const auto& api = token.module().api();
    return token.run([&](CK_SESSION_HANDLE s) {
        CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
        CK_ATTRIBUTE query[] = {{CKA_CLASS, &cls, sizeof cls},
                                {CKA_LABEL, const_cast<char*>(label.data()), label.size()}};
        check_rv(api.C_FindObjectsInit(s, query, 2), "C_FindObjectsInit");
        CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
        CK_ULONG count = 0;
        const CK_RV rv = api.C_FindObjects(s, &key, 1, &count);
        api.C_FindObjectsFinal(s);
        check_rv(rv, "C_FindObjects");
        if (count != 1)
            throw Error(Errc::not_found, "benchmark key '" + label + "' not found");
        return key;
    });
}

std::function<std::function<void()>()> raw_sign_worker(hsm::Token& token, CK_OBJECT_HANDLE key,
                                                       hsm::KeyType type) {
    return [&token, key, type] {
        const auto& api = token.module().api();
        CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
        check_rv(api.C_OpenSession(token.info().slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr,
                                   nullptr, &session),
                 "C_OpenSession");
        // RSA signs a SHA-256 DigestInfo (51 bytes), ECDSA the bare digest: what Signet sends.
        auto input = std::make_shared<Bytes>(is_ec(type) ? 32 : 51, std::uint8_t{0x5a});
        auto signature = std::make_shared<Bytes>(512);
        auto owner =
            std::shared_ptr<void>(nullptr, [&api, session](void*) { api.C_CloseSession(session); });
        return std::function<void()>([&api, session, key, type, input, signature, owner] {
            CK_MECHANISM mechanism{is_ec(type) ? CKM_ECDSA : CKM_RSA_PKCS, nullptr, 0};
            CK_ULONG size = signature->size();
            check_rv(api.C_SignInit(session, &mechanism, key), "C_SignInit");
            check_rv(api.C_Sign(session, input->data(), input->size(), signature->data(), &size),
                     "C_Sign");
        });
    };
}

// The first line of a pid file (PostgreSQL's postmaster.pid); 0 if unreadable.
int read_pid(const std::filesystem::path& file) {
    std::ifstream in(file);
    int pid = 0;
    in >> pid;
    return pid;
}

// User + system CPU seconds of `pid` and its live children, from /proc/PID/stat (fields 14 and
// 15 after the command name, in clock ticks). 0 without such a process.
double process_tree_cpu_seconds(int pid) {
    if (pid <= 0)
        return 0;
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    double total = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0])))
            continue;
        std::ifstream in(entry.path() / "stat");
        std::string text;
        if (!std::getline(in, text))
            continue;  // gone meanwhile
        // The command name is in parentheses and may hold spaces: fields start after the last ')'.
        const auto close = text.rfind(')');
        if (close == std::string::npos)
            continue;
        std::istringstream fields(text.substr(close + 2));
        std::string state;
        long ppid = 0;
        fields >> state >> ppid;
        if (std::stoi(name) != pid && ppid != pid)
            continue;
        std::string skip;
        for (int i = 0; i < 9; ++i)  // pgrp .. cmajflt: fields 5 to 13
            fields >> skip;
        unsigned long long utime = 0, stime = 0;
        fields >> utime >> stime;
        total += static_cast<double>(utime + stime) / tick;
    }
    return total;
}

}  // namespace signet::bench
