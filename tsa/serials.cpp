#include "tsa/serials.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include "common/error.hpp"

namespace signet::tsa {

RandomSerials::RandomSerials(std::function<Bytes(std::size_t)> random, std::size_t per_draw)
    : random_(std::move(random)), per_draw_(std::max<std::size_t>(1, per_draw)) {
    if (!random_)
        throw Error(Errc::invalid_argument, "RandomSerials needs a source of random bytes");
}

Bytes RandomSerials::next() {
    for (;;) {
        Bytes serial(kSerialBytes);
        {
            std::lock_guard lock(mutex_);
            if (used_ + kSerialBytes > pool_.size()) {
                OPENSSL_cleanse(pool_.data(), pool_.size());
                pool_ = random_(kSerialBytes * per_draw_);
                used_ = 0;
                if (pool_.size() < kSerialBytes)
                    throw Error(Errc::internal, "the random source returned too few bytes");
            }
            std::copy_n(pool_.begin() + static_cast<std::ptrdiff_t>(used_), kSerialBytes,
                        serial.begin());
            // Bytes handed out are not kept: a later reader of the pool learns nothing of them.
            std::fill_n(pool_.begin() + static_cast<std::ptrdiff_t>(used_), kSerialBytes, 0);
            used_ += kSerialBytes;
        }
        serial[0] &= 0x7f;
        const auto first = std::ranges::find_if(serial, [](std::uint8_t b) { return b != 0; });
        if (first == serial.end())
            continue;  // zero is not a serial; 2^-159 likely
        return Bytes(first, serial.end());
    }
}

}  // namespace signet::tsa
