// libFuzzer target: the audit checkpoint body parser (audit/checkpoint.hpp) and the RFC 9162
// proof verifiers (audit/merkle.hpp) on arbitrary bytes. A body either parses and is then
// exactly what checkpoint_body writes for it (one text per checkpoint: what was signed is what
// is read), or is refused with one signet::Error, Errc::invalid_argument. The verifiers, given
// sizes, hashes and a proof cut from the same bytes, answer true or false and never throw.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "audit/checkpoint.hpp"
#include "audit/merkle.hpp"
#include "common/error.hpp"

namespace {

std::uint64_t read_u64(const std::uint8_t* data) {
    std::uint64_t value = 0;
    std::memcpy(&value, data, sizeof value);
    return value;
}

void fuzz_verifiers(const std::uint8_t* data, std::size_t size) {
    using signet::audit::Hash;
    if (size < 16 + 64)
        return;
    // Small sizes most of the time, so that proofs of the right length occur.
    const std::uint64_t a = read_u64(data) % 4096;
    const std::uint64_t b = read_u64(data + 8) % 8192;
    Hash first{}, second{};
    std::memcpy(first.data(), data + 16, 32);
    std::memcpy(second.data(), data + 48, 32);
    std::vector<Hash> proof;
    for (std::size_t at = 80; at + 32 <= size && proof.size() < 70; at += 32) {
        Hash h{};
        std::memcpy(h.data(), data + at, 32);
        proof.push_back(h);
    }
    (void)signet::audit::verify_inclusion(a, b, first, proof, second);
    (void)signet::audit::verify_consistency(a, b, first, second, proof);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    try {
        const signet::audit::Checkpoint checkpoint = signet::audit::parse_checkpoint_body(body);
        if (signet::audit::checkpoint_body(checkpoint) != body)
            std::abort();
    } catch (const signet::Error& e) {
        if (e.code() != signet::Errc::invalid_argument)
            std::abort();
    }
    fuzz_verifiers(data, size);
    return 0;
}
