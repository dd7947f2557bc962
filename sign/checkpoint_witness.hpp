#pragma once

// Where signetd sends each new audit checkpoint (policy audit.witness): a file it appends one
// JSON line to, or a URL it POSTs the JSON to (libcurl, like the webhooks). A witness keeps the
// checkpoints out of the operator's reach: a log rewritten later would no longer be consistent
// with what the witness holds (docs/evidence.md).

#include <cstdint>
#include <filesystem>
#include <string>

#include "audit/checkpoint.hpp"

namespace signet::sign {

class CheckpointWitness {
  public:
    // Exactly one of `file` and `url` is given (policy/config.hpp AuditSettings).
    CheckpointWitness(std::filesystem::path file, std::string url);

    // Sends `checkpoint` unless one at least as large was delivered already. Throws the reason
    // when it cannot (Errc::io for the file, Errc::unavailable for the URL, with curl's text or
    // the HTTP status, never the URL); the caller logs it and offers the next checkpoint later,
    // which delivers the newest then. Never blocks longer than the HTTP timeout (10 s).
    void offer(const audit::SignedCheckpoint& checkpoint);

    std::uint64_t delivered_size() const noexcept { return delivered_; }

  private:
    void post(const std::string& body);

    std::filesystem::path file_;
    std::string url_;
    std::uint64_t delivered_ = 0;
    bool delivered_any_ = false;
};

// One JSON line per checkpoint to `file`, appended (signetctl audit export, the file witness).
void append_checkpoint_line(const std::filesystem::path& file,
                            const audit::SignedCheckpoint& checkpoint);

}  // namespace signet::sign
