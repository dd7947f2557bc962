#include "tests/evidence/zip_readers.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"

namespace signet::testing {

const ZipListing::Entry& ZipListing::at(const std::string& path) const {
    const auto found = entries.find(path);
    if (found == entries.end())
        BOOST_FAIL("zipfile lists no entry " + path);
    return found->second;
}

ZipListing python_zip_listing(const std::filesystem::path& archive) {
    const auto result = run_command(
        {"python3", source_file("tests/evidence/zip_entries.py").string(), archive.string()});
    BOOST_REQUIRE_MESSAGE(result.exit_code == 0, result.output);
    const auto json = nlohmann::json::parse(result.output);
    ZipListing listing;
    listing.test_passed = json["test"].is_null();
    for (const auto& e : json["entries"]) {
        ZipListing::Entry entry;
        entry.method = e["method"].get<int>();
        entry.flags = e["flags"].get<unsigned>();
        entry.size = e["size"].get<std::uint64_t>();
        entry.compressed_size = e["compressed_size"].get<std::uint64_t>();
        entry.sha256 = e["sha256"].get<std::string>();
        entry.local_crc32 = e["local_crc32"].get<std::uint64_t>();
        entry.local_compressed_size = e["local_compressed_size"].get<std::uint64_t>();
        entry.local_size = e["local_size"].get<std::uint64_t>();
        listing.entries.emplace(e["name"].get<std::string>(), entry);
    }
    return listing;
}

bool unzip_tests_clean(const std::filesystem::path& archive, std::string& output) {
    const auto result = run_command({"unzip", "-t", archive.string()});
    output = result.output;
    return result.exit_code == 0 && output.find("No errors detected") != std::string::npos;
}

}  // namespace signet::testing
