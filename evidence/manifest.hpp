#pragma once

// manifest.json: what a package holds, every file with its size and SHA-256, so that one
// signature (manifest.p7s, a detached CAdES signature by the platform's e-seal over these exact
// bytes) protects them all.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"

namespace signet::evidence {

inline constexpr std::string_view kPackageFormat = "signet-evidence-package/1";
inline constexpr std::string_view kManifestPath = "manifest.json";
inline constexpr std::string_view kManifestSignaturePath = "manifest.p7s";

struct ManifestFile {
    std::string path;
    std::uint64_t size = 0;
    std::string sha256;  // lowercase hex
};

struct Manifest {
    std::string format{kPackageFormat};
    std::string contract_id;
    Clock::time_point created_at;
    std::vector<ManifestFile>
        files;  // every file of the package but the manifest and its signature
};

// Compact JSON, keys in a fixed order, one line:
//   {"format":"signet-evidence-package/1","contract":"<id>","created_at":"<RFC 3339>",
//    "files":[{"path":"...","size":N,"sha256":"<hex>"},...]}
std::string manifest_json(const Manifest& manifest);

// The inverse, bounded (at most 1 MiB, 4096 files). Errc::invalid_argument naming what is wrong:
// not JSON, another format, a member missing or of the wrong type, a path listed twice, a
// SHA-256 that is not 64 lowercase hex digits.
Manifest parse_manifest(ByteView json);

}  // namespace signet::evidence
