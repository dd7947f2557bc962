#include "api/request_id.hpp"

#include <openssl/rand.h>

#include <cstdint>
#include <random>

#include "common/error.hpp"

namespace signet::api::detail {

namespace {

// xoshiro256**, seeded from the OpenSSL DRBG (std::random_device if that fails).
class RequestIdGenerator {
  public:
    RequestIdGenerator() {
        if (RAND_bytes(reinterpret_cast<unsigned char*>(state_.data()),
                       static_cast<int>(sizeof state_)) != 1) {
            clear_openssl_errors();
            std::random_device device;
            for (auto& word : state_)
                word = (std::uint64_t{device()} << 32) | device();
        }
        if (state_[0] == 0 && state_[1] == 0 && state_[2] == 0 && state_[3] == 0)
            state_[0] = 1;
    }

    void next(RequestId& out) {
        std::array<std::uint8_t, 16> bytes;
        const std::uint64_t a = step();
        const std::uint64_t b = step();
        for (int i = 0; i < 8; ++i) {
            bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(a >> (8 * i));
            bytes[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(b >> (8 * i));
        }
        bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // RFC 9562 §5.4
        bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);
        static constexpr char kHex[] = "0123456789abcdef";
        std::size_t o = 0;
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            if (i == 4 || i == 6 || i == 8 || i == 10)
                out[o++] = '-';
            out[o++] = kHex[bytes[i] >> 4];
            out[o++] = kHex[bytes[i] & 0x0F];
        }
    }

  private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t step() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }
    std::array<std::uint64_t, 4> state_{};
};

}  // namespace

void new_request_id(RequestId& out) {
    thread_local RequestIdGenerator generator;
    generator.next(out);
}

}  // namespace signet::api::detail
