// VaultWriter (sign/document_vault.hpp): a document streamed in, sealed and inserted a chunk at a
// time in one transaction.
#include <openssl/crypto.h>

#include <algorithm>

#include "common/error.hpp"
#include "sign/document_streams.hpp"

namespace signet::sign {

namespace {

void wipe(Bytes& plaintext) noexcept {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    plaintext.clear();
}

// Ends the writer: its transaction rolled back, its connection back to the pool.
void abandon(VaultWriter::State& s) noexcept {
    if (s.lease) {
        (*s.lease)->rollback();
        s.lease.reset();
    }
    wipe(s.buffer);
}

void require_open(const VaultWriter::State* s) {
    if (s == nullptr || !s->lease) {
        throw Error(Errc::failed_precondition,
                    "the document writer has finished or stopped at an earlier error");
    }
}

// Seals the buffered plaintext as chunk next_index and inserts it.
void flush(VaultWriter::State& s, bool last) {
    const Bytes sealed = s.cipher.seal(static_cast<std::uint64_t>(s.next_index), last, s.buffer);
    s.repository.insert_chunk(**s.lease, s.record.id, s.next_index, sealed);
    ++s.next_index;
    wipe(s.buffer);
}

}  // namespace

VaultWriter::VaultWriter(std::unique_ptr<State> state) : state_(std::move(state)) {
    state_->buffer.reserve(static_cast<std::size_t>(state_->record.chunk_size));
}

VaultWriter::VaultWriter(VaultWriter&&) noexcept = default;

VaultWriter& VaultWriter::operator=(VaultWriter&& other) noexcept {
    if (this != &other) {
        if (state_)
            abandon(*state_);
        state_ = std::move(other.state_);
    }
    return *this;
}

VaultWriter::~VaultWriter() {
    if (state_)
        abandon(*state_);
}

std::uint64_t VaultWriter::size() const noexcept {
    return state_ ? state_->size : 0;
}

void VaultWriter::write(ByteView piece) {
    require_open(state_.get());
    State& s = *state_;
    if (piece.size() > s.max_size - s.size) {
        abandon(s);
        throw Error(Errc::invalid_argument, "the document is larger than the limit of " +
                                                std::to_string(s.max_size) + " bytes");
    }
    const auto chunk_size = static_cast<std::size_t>(s.record.chunk_size);
    try {
        while (!piece.empty()) {
            // A full chunk is sealed only once more bytes follow: until then it may be the last.
            if (s.buffer.size() == chunk_size)
                flush(s, /*last=*/false);
            const std::size_t take = std::min(piece.size(), chunk_size - s.buffer.size());
            s.buffer.insert(s.buffer.end(), piece.begin(), piece.begin() + take);
            s.sha256.update(piece.first(take));
            s.size += take;
            piece = piece.subspan(take);
        }
    } catch (...) {
        abandon(s);
        throw;
    }
}

StoredDocument VaultWriter::finish(const BeforeCommit& before_commit) {
    require_open(state_.get());
    State& s = *state_;
    try {
        flush(s, /*last=*/true);
        StoredDocument stored{s.record.id, s.sha256.finish(), s.size};
        s.record.size = static_cast<std::int64_t>(s.size);
        s.record.sha256.assign(stored.sha256.begin(), stored.sha256.end());
        s.record.chunk_count = s.next_index;
        s.repository.insert(**s.lease, s.record);
        if (before_commit)
            before_commit(**s.lease, stored);
        (*s.lease)->commit();
        s.lease.reset();
        return stored;
    } catch (...) {
        abandon(s);
        throw;
    }
}

}  // namespace signet::sign
