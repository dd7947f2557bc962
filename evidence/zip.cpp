#include "evidence/zip.hpp"

#include <zlib.h>

#include <algorithm>
#include <set>
#include <utility>

#include "common/error.hpp"

namespace signet::evidence {

namespace {

constexpr std::size_t kReadPiece = 64 * 1024;

[[noreturn]] void invalid(const std::string& message) {
    throw Error(Errc::invalid_argument, "evidence package: " + message);
}

std::string archive_message(archive* a) {
    const char* text = archive_error_string(a);
    return text != nullptr ? text : "unknown libarchive error";
}

// A path as the package writes them: relative, '/'-separated, each segment a plain name. ZIP
// paths are the extractor's problem too (APPNOTE §4.4.17.1: "MUST NOT contain a drive or device
// letter, or a leading slash"); refusing them here keeps a verifier's report honest about which
// file failed.
void check_path(const std::string& path, std::size_t max_bytes) {
    if (path.empty())
        invalid("an entry has an empty path");
    if (path.size() > max_bytes)
        invalid("an entry's path is longer than " + std::to_string(max_bytes) + " bytes");
    for (const char c : path) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            invalid("an entry's path holds a control character");
        if (c == '\\')
            invalid("entry '" + path + "': a backslash in its path");
    }
    if (path.front() == '/')
        invalid("entry '" + path + "': an absolute path");
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        const std::string_view segment(path.data() + start, end - start);
        if (segment.empty())
            invalid("entry '" + path + "': an empty path segment");
        if (segment == ".." || segment == ".")
            invalid("entry '" + path + "': a '" + std::string(segment) + "' segment");
        start = end + 1;
    }
}

// zlib's deflate stream, ended once (zlib's z_stream is a struct the caller owns, not a
// pointer handle.hpp's pattern fits).
struct DeflateStream {
    z_stream stream{};
    DeflateStream() {
        // Raw deflate (no zlib header, windowBits -15) at the default level, as libarchive's ZIP
        // writer sets it up: the count is what the entry's data would be.
        if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
            Z_OK)
            throw Error(Errc::internal, "zlib: cannot start deflate");
    }
    DeflateStream(const DeflateStream&) = delete;
    DeflateStream& operator=(const DeflateStream&) = delete;
    ~DeflateStream() { deflateEnd(&stream); }
};

}  // namespace

bool deflate_pays(ByteView sample) {
    sample = sample.first(std::min(sample.size(), kMethodSampleBytes));
    if (sample.empty())
        return false;
    DeflateStream d;
    // Counted, not kept: the output goes through one small buffer (on the heap: the builder may
    // run on a coroutine's small stack).
    Bytes out(64 * 1024);
    // zlib's next_in is not const in its interface; it only reads.
    d.stream.next_in = const_cast<Bytef*>(sample.data());
    d.stream.avail_in = static_cast<uInt>(sample.size());
    int status = Z_OK;
    while (status != Z_STREAM_END) {
        d.stream.next_out = out.data();
        d.stream.avail_out = static_cast<uInt>(out.size());
        status = deflate(&d.stream, Z_FINISH);
        if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR)
            throw Error(Errc::internal, "zlib: deflate failed");
    }
    return d.stream.total_out * 100 <= sample.size() * (100 - kMinimumSavingPercent);
}

ZipWriter::ZipWriter(ZipSink sink, Clock::time_point modified)
    : sink_(std::move(sink)), modified_(modified), archive_(archive_write_new()) {
    if (!archive_)
        throw Error(Errc::internal, "libarchive: cannot make a writer");
    // No blocking: each piece goes to the sink as libarchive makes it, and the archive ends at
    // its last byte (no padding of a last block). The method is set per entry (start_data).
    if (archive_write_set_format_zip(archive_.get()) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(archive_.get(), 0) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(archive_.get(), 1) != ARCHIVE_OK)
        fail("cannot set up the ZIP writer");
    if (archive_write_open(archive_.get(), this, nullptr, &ZipWriter::on_write, nullptr) !=
        ARCHIVE_OK)
        fail("cannot open the ZIP writer");
}

ZipWriter::~ZipWriter() = default;

la_ssize_t ZipWriter::on_write(archive*, void* self, const void* data, size_t size) {
    auto& writer = *static_cast<ZipWriter*>(self);
    try {
        writer.sink_(ByteView(static_cast<const std::uint8_t*>(data), size));
        return static_cast<la_ssize_t>(size);
    } catch (...) {
        // No exception may cross libarchive's C frames: kept, rethrown by fail().
        writer.sink_error_ = std::current_exception();
        return -1;
    }
}

void ZipWriter::fail(const std::string& what) {
    if (sink_error_)
        std::rethrow_exception(std::exchange(sink_error_, nullptr));
    throw Error(Errc::internal,
                "evidence package: " + what + ": " + archive_message(archive_.get()));
}

void ZipWriter::begin_entry(const std::string& path, std::uint64_t size) {
    if (in_entry_)
        throw Error(Errc::failed_precondition, "evidence package: an entry is still open");
    path_ = path;
    expected_ = size;
    written_ = 0;
    sample_.clear();
    started_ = false;
    in_entry_ = true;
}

void ZipWriter::start_data() {
    // APPNOTE §4.4.5: 0 "stored (no compression)", 8 "deflated". A stored entry of known size
    // gets its sizes in the local header (libarchive writes them when the size is set), so a
    // reader that walks local headers knows where its data ends without the data descriptor;
    // the CRC-32 still follows in the descriptor (bit 3, §4.4.4), as it is known only at the end.
    const bool deflated = deflate_pays(sample_);
    if ((deflated ? archive_write_zip_set_compression_deflate(archive_.get())
                  : archive_write_zip_set_compression_store(archive_.get())) != ARCHIVE_OK)
        fail("cannot set entry '" + path_ + "''s method");
    ArchiveEntryPtr entry(archive_entry_new());
    if (!entry)
        throw Error(Errc::internal, "libarchive: cannot make an entry");
    archive_entry_set_pathname_utf8(entry.get(), path_.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(expected_));
    archive_entry_set_mtime(entry.get(), std::chrono::system_clock::to_time_t(modified_), 0);
    if (archive_write_header(archive_.get(), entry.get()) != ARCHIVE_OK)
        fail("cannot start entry '" + path_ + "'");
    started_ = true;
    put(sample_);
    sample_.clear();
}

void ZipWriter::put(ByteView piece) {
    if (piece.empty())
        return;
    const la_ssize_t n = archive_write_data(archive_.get(), piece.data(), piece.size());
    if (n < 0 || static_cast<std::size_t>(n) != piece.size())
        fail("cannot write an entry's data");
}

void ZipWriter::write(ByteView piece) {
    if (!in_entry_ || written_ + piece.size() > expected_)
        throw Error(Errc::failed_precondition,
                    "evidence package: more bytes than the entry's size");
    written_ += piece.size();
    if (!started_) {
        // The sample: the entry's first kMethodSampleBytes, or all of it when smaller.
        const std::size_t wanted = static_cast<std::size_t>(
            std::min<std::uint64_t>(expected_, kMethodSampleBytes));
        const std::size_t take = std::min(piece.size(), wanted - sample_.size());
        sample_.insert(sample_.end(), piece.begin(),
                       piece.begin() + static_cast<std::ptrdiff_t>(take));
        piece = piece.subspan(take);
        if (sample_.size() < wanted)
            return;
        start_data();
    }
    put(piece);
}

void ZipWriter::end_entry() {
    if (!in_entry_ || written_ != expected_)
        throw Error(Errc::failed_precondition,
                    "evidence package: an entry ended short of its size");
    if (!started_)
        start_data();  // an empty entry: no write() reached the sample's end
    if (archive_write_finish_entry(archive_.get()) != ARCHIVE_OK)
        fail("cannot finish an entry");
    in_entry_ = false;
}

void ZipWriter::add(const std::string& path, ByteView content) {
    begin_entry(path, content.size());
    write(content);
    end_entry();
}

void ZipWriter::finish() {
    if (in_entry_)
        throw Error(Errc::failed_precondition, "evidence package: an entry is still open");
    if (archive_write_close(archive_.get()) != ARCHIVE_OK)
        fail("cannot write the central directory");
}

std::vector<ZipEntry> read_zip(ByteView bytes, const ZipLimits& limits) {
    if (bytes.empty())
        invalid("empty: not a ZIP archive");
    if (bytes.size() > limits.max_archive_bytes)
        invalid("over " + std::to_string(limits.max_archive_bytes) + " bytes");
    ArchiveReadPtr reader(archive_read_new());
    if (!reader)
        throw Error(Errc::internal, "libarchive: cannot make a reader");
    if (archive_read_support_format_zip(reader.get()) != ARCHIVE_OK ||
        archive_read_open_memory(reader.get(), bytes.data(), bytes.size()) != ARCHIVE_OK)
        invalid("not a ZIP archive: " + archive_message(reader.get()));

    std::vector<ZipEntry> entries;
    std::set<std::string> seen;
    std::size_t total = 0;
    Bytes piece(kReadPiece);
    for (;;) {
        archive_entry* entry = nullptr;
        const int status = archive_read_next_header(reader.get(), &entry);
        if (status == ARCHIVE_EOF)
            break;
        if (status != ARCHIVE_OK)
            invalid("damaged after " + std::to_string(entries.size()) +
                    " entries: " + archive_message(reader.get()));
        if (entries.size() == limits.max_entries)
            invalid("more than " + std::to_string(limits.max_entries) + " entries");
        const char* name = archive_entry_pathname(entry);
        std::string path = name != nullptr ? name : "";
        check_path(path, limits.max_path_bytes);
        if (archive_entry_filetype(entry) != AE_IFREG)
            invalid("entry '" + path + "' is not a regular file");
        if (archive_entry_is_encrypted(entry))
            invalid("entry '" + path + "' is encrypted");
        if (!seen.insert(path).second)
            invalid("entry '" + path + "' appears twice");
        if (archive_entry_size_is_set(entry) &&
            static_cast<std::uint64_t>(archive_entry_size(entry)) > limits.max_entry_bytes)
            invalid("entry '" + path + "' is over " + std::to_string(limits.max_entry_bytes) +
                    " bytes");
        ZipEntry out{std::move(path), {}};
        for (;;) {
            const la_ssize_t n = archive_read_data(reader.get(), piece.data(), piece.size());
            if (n == 0)
                break;
            if (n < 0)
                invalid("entry '" + out.path + "' is damaged: " + archive_message(reader.get()));
            const auto got = static_cast<std::size_t>(n);
            if (out.content.size() + got > limits.max_entry_bytes)
                invalid("entry '" + out.path + "' is over " +
                        std::to_string(limits.max_entry_bytes) + " bytes");
            total += got;
            if (total > limits.max_total_bytes)
                invalid("its entries hold more than " + std::to_string(limits.max_total_bytes) +
                        " bytes");
            if (total > limits.bomb_floor_bytes && total / bytes.size() >= limits.max_ratio)
                invalid("entry '" + out.path + "' expands more than " +
                        std::to_string(limits.max_ratio) + " times (a compression bomb)");
            out.content.insert(out.content.end(), piece.begin(), piece.begin() + n);
        }
        entries.push_back(std::move(out));
    }
    return entries;
}

}  // namespace signet::evidence
