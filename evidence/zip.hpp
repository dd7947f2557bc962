#pragma once

// The ZIP container of an evidence package (APPNOTE.TXT, PKWARE's .ZIP File Format
// Specification), through libarchive: written as a stream (each entry's local header, its data,
// then a data descriptor, §4.3.9), so a 100 MiB document passes through a bounded buffer and
// never lands in a file; read back from memory with every bound a hostile archive could abuse.
// Each entry is deflated (method 8) or stored (method 0), whichever its first MiB says pays.
#include <archive.h>
#include <archive_entry.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/handle.hpp"

namespace signet {
// libarchive's owners, after common/handle.hpp's pattern (a writer and a reader are both
// `archive`, each freed by its own function). Kept here rather than in common/handle.hpp so that
// libarchive's headers reach only the code that uses them: handle.hpp is included by nearly
// every file, and a change there rebuilds the tree.
using ArchiveEntryPtr = handle<archive_entry, archive_entry_free>;
using ArchiveReadPtr = handle<archive, archive_read_free>;
using ArchiveWritePtr = handle<archive, archive_write_free>;
}  // namespace signet

namespace signet::evidence {

// Where the archive's bytes go, in order, as they are made (an HTTP response, a file, memory).
// May throw; the writer then fails and the error goes on.
using ZipSink = std::function<void(ByteView)>;

// How an entry's method is chosen: its first kMethodSampleBytes (or all of it, if smaller) are
// deflated into a counter; when that saves under kMinimumSavingPercent, the entry is stored.
// Deflate gains nothing on a scanned page's JPEG or on a PDF whose streams are already Flate
// and costs ~60 % of a package's CPU there (docs/evidence.md "Measured (packages)"); a PDF of
// uncompressed text deflates ~20:1.
inline constexpr std::size_t kMethodSampleBytes = 1024 * 1024;
inline constexpr std::size_t kMinimumSavingPercent = 5;

// True when deflate (zlib's default level, as libarchive's writer uses) makes `sample`'s first
// kMethodSampleBytes at least kMinimumSavingPercent smaller.
bool deflate_pays(ByteView sample);

class ZipWriter {
  public:
    // `modified`: every entry's modification time (the package's creation time).
    ZipWriter(ZipSink sink, Clock::time_point modified);
    ZipWriter(const ZipWriter&) = delete;
    ZipWriter& operator=(const ZipWriter&) = delete;
    ~ZipWriter();

    // Starts entry `path` of `size` bytes; then write() exactly that many, then end_entry().
    // The local header names the method, so it waits for the entry's first kMethodSampleBytes
    // (held here, at most that much); the sizes go in it too (libarchive, a known size), the
    // CRC-32 in the data descriptor after the data (general purpose bit 3).
    void begin_entry(const std::string& path, std::uint64_t size);
    void write(ByteView piece);
    void end_entry();
    // A whole entry at once.
    void add(const std::string& path, ByteView content);
    // The central directory; the archive is complete when it returns.
    void finish();

  private:
    [[noreturn]] void fail(const std::string& what);
    static la_ssize_t on_write(archive*, void* self, const void* data, size_t size);
    // The method chosen from sample_, the local header written, the sample passed on.
    void start_data();
    void put(ByteView piece);

    ZipSink sink_;
    Clock::time_point modified_;
    ArchiveWritePtr archive_;
    std::exception_ptr sink_error_;
    std::uint64_t expected_ = 0;
    std::uint64_t written_ = 0;
    bool in_entry_ = false;
    std::string path_;
    Bytes sample_;  // the entry's first bytes, until its header is written
    bool started_ = false;
};

// What a reader accepts (DESIGN.md invariant 7: every parser bounds its input).
struct ZipLimits {
    std::size_t max_archive_bytes = 512u * 1024 * 1024;
    std::size_t max_entries = 4096;
    std::size_t max_entry_bytes = 256u * 1024 * 1024;  // above the largest signed document
    std::size_t max_total_bytes = 512u * 1024 * 1024;  // all entries, uncompressed
    // A compression bomb: more than this many bytes out per byte of archive in, once the
    // output passes bomb_floor_bytes (JSON deflates ~10:1, a PDF ~1:1; 100:1 is no package).
    std::size_t max_ratio = 100;
    std::size_t bomb_floor_bytes = 16u * 1024 * 1024;
    std::size_t max_path_bytes = 255;
};

struct ZipEntry {
    std::string path;
    Bytes content;
};

// The archive's regular files, in archive order. Errc::invalid_argument naming the entry and
// the fault: not a ZIP, damaged or truncated, encrypted, over a limit above, a path that is
// empty, absolute, holds "..", ".", a backslash, an empty segment or a control character, the
// same path twice, or an entry that is not a regular file.
std::vector<ZipEntry> read_zip(ByteView archive, const ZipLimits& limits = {});

}  // namespace signet::evidence
