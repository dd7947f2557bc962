// The evidence ZIP writer's choice of method (evidence/zip.hpp): an entry whose first MiB
// deflate cannot shrink is stored, one that deflates is deflated; both kinds read back by our
// reader (read_zip, behind signetctl evidence verify), Debian's `unzip -t` and Python's zipfile,
// which nobody here wrote.
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <cstring>
#include <map>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "evidence/zip.hpp"
#include "tests/evidence/zip_readers.hpp"
#include "tests/support/process.hpp"

using namespace signet;
using namespace signet::testing;

namespace {

// xorshift64: bytes deflate cannot shrink, as a scanned page's JPEG.
Bytes pseudo_random_bytes(std::size_t size, std::uint64_t state = 0x9e3779b97f4a7c15u) {
    Bytes out(size);
    for (std::size_t i = 0; i < size; ++i) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        out[i] = static_cast<std::uint8_t>(state);
    }
    return out;
}

// Uncompressed text, as a PDF's page content stream: deflates many times over.
Bytes text(std::size_t size) {
    std::string out;
    for (int line = 0; out.size() < size; ++line)
        out += "BT /F1 11 Tf 72 " + std::to_string(720 - line % 60 * 12) +
               " Td (Clause " + std::to_string(line) + ": the tenant pays the rent monthly) Tj ET\n";
    out.resize(size);
    return Bytes(out.begin(), out.end());
}

struct Written {
    std::string path;
    Bytes content;
};

// The entries through ZipWriter, each in pieces of `piece` bytes (so the 1 MiB sample is made
// of several writes, and one write straddles its end).
Bytes zip_of(const std::vector<Written>& entries, std::size_t piece) {
    Bytes out;
    evidence::ZipWriter zip([&](ByteView p) { out.insert(out.end(), p.begin(), p.end()); },
                            std::chrono::system_clock::now());
    for (const Written& e : entries) {
        zip.begin_entry(e.path, e.content.size());
        for (std::size_t at = 0; at < e.content.size(); at += piece)
            zip.write(ByteView(e.content).subspan(at, std::min(piece, e.content.size() - at)));
        zip.end_entry();
    }
    zip.finish();
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(evidence_zip)

BOOST_AUTO_TEST_CASE(deflate_pays_for_text_and_not_for_noise) {
    BOOST_TEST(evidence::deflate_pays(text(evidence::kMethodSampleBytes)));
    BOOST_TEST(!evidence::deflate_pays(pseudo_random_bytes(evidence::kMethodSampleBytes)));
    BOOST_TEST(!evidence::deflate_pays({}));
    // 90 % noise, 10 % zeros: deflate saves about 10 %, over the 5 % bar.
    Bytes mostly = pseudo_random_bytes(evidence::kMethodSampleBytes);
    std::memset(mostly.data(), 0, mostly.size() / 10);
    BOOST_TEST(evidence::deflate_pays(mostly));
    // 98 % noise: it saves about 2 %, under the bar.
    mostly = pseudo_random_bytes(evidence::kMethodSampleBytes);
    std::memset(mostly.data(), 0, mostly.size() / 50);
    BOOST_TEST(!evidence::deflate_pays(mostly));
}

BOOST_AUTO_TEST_CASE(noise_is_stored_text_deflated_and_unzip_python_and_read_zip_read_both) {
    const std::vector<Written> entries{
        {"document/scan.pdf", pseudo_random_bytes(3 * 1024 * 1024 + 17)},
        {"document/text.pdf", text(3 * 1024 * 1024 + 5)},
        {"small/noise.der", pseudo_random_bytes(700, 7)},
        {"small/text.json", text(900)},
        {"small/empty.txt", {}},
    };
    const Bytes zip = zip_of(entries, 300 * 1024 + 1);
    const TempDir dir("signet-evidence-zip");
    write_file(dir / "methods.zip", std::string(zip.begin(), zip.end()));

    // Our reader: every entry, byte for byte, in order.
    const auto read = evidence::read_zip(zip);
    BOOST_REQUIRE_EQUAL(read.size(), entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        BOOST_TEST(read[i].path == entries[i].path);
        BOOST_TEST((read[i].content == entries[i].content), entries[i].path);
    }

    // Python's zipfile: the methods, the CRCs, the contents; and the local headers.
    const ZipListing listing = python_zip_listing(dir / "methods.zip");
    BOOST_TEST(listing.test_passed);
    const std::map<std::string, int> methods{{"document/scan.pdf", 0},
                                             {"document/text.pdf", 8},
                                             {"small/noise.der", 0},
                                             {"small/text.json", 8},
                                             {"small/empty.txt", 0}};
    for (const Written& e : entries) {
        BOOST_TEST_CONTEXT(e.path) {
            const ZipListing::Entry& got = listing.at(e.path);
            BOOST_TEST(got.method == methods.at(e.path));
            BOOST_TEST(got.size == e.content.size());
            BOOST_TEST(got.sha256 == to_hex(sha256_of(e.content)));
            // Bit 3: the CRC-32 follows the data in a descriptor (APPNOTE 4.4.4) ...
            BOOST_TEST((got.flags & 0x08) != 0);
            BOOST_TEST(got.local_crc32 == 0u);
            // ... but a stored entry's sizes are in its local header, before its data.
            if (got.method == 0) {
                BOOST_TEST(got.local_size == e.content.size());
                BOOST_TEST(got.local_compressed_size == e.content.size());
                BOOST_TEST(got.compressed_size == e.content.size());
            } else {
                BOOST_TEST(got.compressed_size < e.content.size() / 2);
            }
        }
    }

    // Debian's unzip (Info-ZIP) tests every entry's CRC.
    std::string said;
    BOOST_TEST(unzip_tests_clean(dir / "methods.zip", said), said);
}

// A stored entry has no deflate stream to break: a changed byte in the archive itself (not
// zipped again) is found by the CRC-32, by our reader and by unzip.
BOOST_AUTO_TEST_CASE(a_changed_byte_of_a_stored_entry_is_found_by_its_crc) {
    const Bytes scan = pseudo_random_bytes(2 * 1024 * 1024);
    Bytes zip = zip_of({{"document/scan.pdf", scan}}, 64 * 1024);
    const auto at = static_cast<std::size_t>(
        std::search(zip.begin(), zip.end(), scan.begin() + 1000, scan.begin() + 1064) -
        zip.begin());
    BOOST_REQUIRE(at < zip.size());  // stored: the document's bytes are in the archive as such
    zip[at + scan.size() / 2] ^= 0x01;
    BOOST_CHECK_EXCEPTION(evidence::read_zip(zip), Error, [](const Error& e) {
        BOOST_TEST_MESSAGE(e.what());
        return e.code() == Errc::invalid_argument &&
               std::string(e.what()).find("document/scan.pdf") != std::string::npos;
    });
    const TempDir dir("signet-evidence-zip");
    write_file(dir / "changed.zip", std::string(zip.begin(), zip.end()));
    std::string said;
    BOOST_TEST(!unzip_tests_clean(dir / "changed.zip", said), said);
    BOOST_TEST(said.find("bad CRC") != std::string::npos, said);
}

BOOST_AUTO_TEST_SUITE_END()
