#pragma once

// uts-server (github.com/kakwa/uts-server: C, civetweb, OpenSSL's TS_RESP_CTX, its key in a PEM
// file) as a peer of `signet-bench tsa` (issue 16): built from a checkout of its public source
// that the operator names with --uts-server DIR, outside this repository and never vendored,
// against Debian's libcivetweb-dev; run with a key and certificate the benchmark issues, no token
// log, on a loopback port, and measured with the same load generator as Signet's TSA.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>

#include "common/handle.hpp"

namespace signet::bench {

class UtsServerPeer {
  public:
    // Builds DIR's uts-server (cmake, Release) in uts-build beside `work` unless it is there,
    // writes `certificate` and `key` as PEM and a configuration in `work`, starts it with
    // `threads` worker threads and waits until it answers. Errc::invalid_argument when DIR is not
    // its source; Errc::unavailable when it does not build (the message says what to install) or
    // start.
    UtsServerPeer(const std::filesystem::path& source, const std::filesystem::path& work,
                  const X509* certificate, const EVP_PKEY* key, int threads);
    ~UtsServerPeer();
    UtsServerPeer(const UtsServerPeer&) = delete;
    UtsServerPeer& operator=(const UtsServerPeer&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    pid_t pid() const noexcept { return pid_; }

  private:
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace signet::bench
