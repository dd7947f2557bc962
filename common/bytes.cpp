#include "common/bytes.hpp"

#include <openssl/evp.h>

#include <array>

#include "common/error.hpp"

namespace signet {

std::string to_hex(ByteView bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (std::uint8_t b : bytes) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 0x0f]);
    }
    return out;
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

namespace {

// Each character's value as a hex digit, 0xff for any other. One table read a digit and one
// check for the whole string, no branch a byte: the document vault's chunks come out of
// PostgreSQL as bytea hex text, megabytes each, and decoding them was half the CPU of reading a
// document (docs/evidence.md, the package benchmark).
constexpr std::array<std::uint8_t, 256> kHexDigitValues = [] {
    std::array<std::uint8_t, 256> values{};
    values.fill(0xff);
    for (std::uint8_t d = 0; d < 10; ++d)
        values['0' + d] = d;
    for (std::uint8_t d = 0; d < 6; ++d) {
        values['a' + d] = static_cast<std::uint8_t>(10 + d);
        values['A' + d] = static_cast<std::uint8_t>(10 + d);
    }
    return values;
}();

}  // namespace

Bytes from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0)
        throw Error(Errc::invalid_argument, "hex string has odd length");
    Bytes out(hex.size() / 2);
    const auto* in = reinterpret_cast<const unsigned char*>(hex.data());
    std::uint8_t seen = 0;  // every digit's value or-ed: above 0x0f when one was not a digit
    for (std::size_t i = 0; i < out.size(); ++i) {
        const std::uint8_t high = kHexDigitValues[in[2 * i]];
        const std::uint8_t low = kHexDigitValues[in[2 * i + 1]];
        seen |= high | low;
        out[i] = static_cast<std::uint8_t>(high << 4 | (low & 0x0f));
    }
    if (seen > 0x0f)
        throw Error(Errc::invalid_argument, "not a hex string");
    return out;
}

std::string to_base64(ByteView bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

Bytes from_base64(std::string_view text) {
    const auto fail = [] {
        return Error(Errc::invalid_argument, "not base64 (RFC 4648, with padding)");
    };
    if (text.size() % 4 != 0)
        throw fail();
    std::size_t padding = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                              (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (c == '=' && i + 2 >= text.size())
            ++padding;
        else if (!alphabet || padding > 0)
            throw fail();
    }
    if (padding == 1 && text[text.size() - 1] != '=')
        throw fail();
    Bytes out(text.size() / 4 * 3);
    const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    if (n < 0)
        throw fail();
    // EVP_DecodeBlock counts the padding as zero bytes.
    out.resize(static_cast<std::size_t>(n) - padding);
    return out;
}

}  // namespace signet
