#pragma once

// Readers of a ZIP that nobody here wrote, for the evidence tests: Python's zipfile (through
// tests/evidence/zip_entries.py, which also reads each entry's local header) and Debian's
// `unzip -t`.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace signet::testing {

struct ZipListing {
    struct Entry {
        int method = -1;  // APPNOTE 4.4.5: 0 stored, 8 deflated
        unsigned flags = 0;
        std::uint64_t size = 0;
        std::uint64_t compressed_size = 0;
        std::string sha256;  // hex, of the content zipfile read
        std::uint64_t local_crc32 = 0, local_compressed_size = 0, local_size = 0;
    };
    bool test_passed = false;  // zipfile's testzip(): every CRC-32 checks
    std::map<std::string, Entry> entries;
    const Entry& at(const std::string& path) const;
};

ZipListing python_zip_listing(const std::filesystem::path& archive);

// `unzip -t`: true when it exits 0 and says "No errors detected"; `output` gets what it said.
bool unzip_tests_clean(const std::filesystem::path& archive, std::string& output);

}  // namespace signet::testing
