#pragma once

#include <span>
#include <string_view>

// The files under web/assets/, embedded into the binary at build time (embed_assets.cmake): the
// pages need no file at run time and cannot drift from the binary that serves them.
namespace signet::web {

struct Asset {
    std::string_view path;          // relative to web/assets/, e.g. "verify.js"
    std::string_view content_type;  // from the extension, with charset for text
    std::string_view body;
    std::string_view etag;  // strong (RFC 9110 §8.8.3): "<SHA-256 of the body, hex>", quoted
};

// Every embedded asset, sorted by path (generated).
std::span<const Asset> embedded_assets() noexcept;

// The asset at `path` (relative, e.g. "strings/en.js"), or nullptr.
const Asset* find_asset(std::string_view path) noexcept;

}  // namespace signet::web
