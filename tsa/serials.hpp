#pragma once

#include <cstddef>
#include <functional>
#include <mutex>

#include "common/bytes.hpp"

namespace signet::tsa {

// Where TSTInfo serial numbers come from. RFC 3161 §2.4.2: "Time-Stamping users MUST be ready
// to accommodate integers up to 160 bits"; the serial must be unique for each token the TSA
// issues, across restarts and across every node sharing the TSA's certificate.
class SerialSource {
  public:
    virtual ~SerialSource() = default;
    // A positive serial as its magnitude: no leading zero octet, at most 20 octets.
    virtual Bytes next() = 0;
};

// 159 random bits per serial (the top bit of 20 octets cleared, so the INTEGER is positive and
// fits 20 content octets), drawn from `random` — the HSM's C_GenerateRandom in signetd — in
// blocks, so that an HSM round trip serves many tokens. Nothing is remembered between serials:
// uniqueness across restarts and nodes is the randomness itself (two equal serials among 2^40
// tokens have a probability below 2^-79) and, for the impossible case, the database's primary
// key, which refuses a repeat (the responder then draws again). Thread-safe.
class RandomSerials final : public SerialSource {
  public:
    static constexpr std::size_t kSerialBytes = 20;

    explicit RandomSerials(std::function<Bytes(std::size_t)> random, std::size_t per_draw = 64);
    Bytes next() override;

  private:
    std::function<Bytes(std::size_t)> random_;
    std::size_t per_draw_;
    std::mutex mutex_;
    Bytes pool_;
    std::size_t used_ = 0;
};

}  // namespace signet::tsa
