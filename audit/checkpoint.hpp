#pragma once

// A checkpoint (signed tree head): the audit log's Merkle tree of the first `size` events, its
// root, and when it was made, signed in the HSM with the ceremony's audit-checkpoint key and
// time-stamped by our own TSA. Anyone holding the root CA's certificate can check it with
// plain openssl (docs/evidence.md): the signature over `body` with the key of `certificate`,
// that certificate's chain to the root, and the RFC 3161 token over SHA-256(body).

#include <openssl/x509.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/merkle.hpp"
#include "common/bytes.hpp"
#include "common/clock.hpp"

namespace signet::audit {

struct Checkpoint {
    std::string origin;      // the log's name (policy), [A-Za-z0-9._:/-]{1,128}
    std::uint64_t size = 0;  // events 1..size are in the tree (leaf index = seq - 1)
    Hash root{};             // MTH of their leaf hashes (empty_tree_hash() for size 0)
    Clock::time_point time;  // when it was made, microseconds, UTC
};

// The signed text, in the style of C2SP's tlog-checkpoint (origin, size, base64 root), with the
// time as a fourth line; every line ends with "\n", nothing follows:
//   <origin>\n<size in decimal>\n<root, standard base64 with padding>\n<RFC 3339 UTC, six
//   fractional digits, "Z">\n
std::string checkpoint_body(const Checkpoint& checkpoint);

// The inverse; Errc::invalid_argument naming the line that is wrong (extra text, a size with a
// sign or a leading zero, a root that is not 32 bytes, a time not in that exact form).
Checkpoint parse_checkpoint_body(std::string_view body);

// A checkpoint is time-stamped as soon as it is signed (checkpoints.cpp): a body that claims a
// time later than its token's genTime by more than the clocks' disagreement claims a time it
// cannot have had. signetctl audit verify and the evidence verifier both refuse it.
inline constexpr auto kCheckpointClockTolerance = std::chrono::minutes(5);

// Whether `signature` is the signature of `body` with SHA-256 by `certificate`'s key (ECDSA as a
// DER Ecdsa-Sig-Value, RSA PKCS#1 v1.5): what both verifiers check first.
bool checkpoint_signature_verifies(const X509* certificate, std::string_view body,
                                   ByteView signature);

struct SignedCheckpoint {
    Checkpoint checkpoint;
    std::string body;       // checkpoint_body(checkpoint), byte for byte what was signed
    Bytes signature;        // over body with SHA-256: ECDSA as DER Ecdsa-Sig-Value, RSA PKCS#1 v1.5
    Bytes certificate_der;  // the signing key's certificate (ceremony role "audit-checkpoint")
    Bytes time_stamp_token;  // RFC 3161 TimeStampToken (DER ContentInfo) over SHA-256(body)
};

// Reading checkpoints and proofs (the /v1/audit routes, evidence packages). Leaf `seq` of the
// log is leaf index seq - 1 of the tree.
class CheckpointReader {
  public:
    virtual ~CheckpointReader() = default;
    virtual std::optional<SignedCheckpoint> latest() = 0;
    // Errc::not_found when no checkpoint of that size was made.
    virtual SignedCheckpoint at_size(std::uint64_t size) = 0;
    // RFC 9162 PATH for event `seq` in the tree of the first `tree_size` events; invalid_argument
    // unless 1 <= seq <= tree_size <= the log's size.
    virtual std::vector<Hash> inclusion(std::int64_t seq, std::uint64_t tree_size) = 0;
    // RFC 9162 PROOF between the trees of `first` and `second` events; invalid_argument unless
    // 0 < first <= second <= the log's size.
    virtual std::vector<Hash> consistency(std::uint64_t first, std::uint64_t second) = 0;
};

// Making them (signetd on its interval and at shutdown; an evidence package that needs one).
class Checkpointer {
  public:
    virtual ~Checkpointer() = default;
    // A checkpoint of the whole log as it is now: the outbox drained first, the tree hashes
    // brought up to date, then signed and time-stamped. With several nodes one makes it (a
    // PostgreSQL advisory lock); when no event was added since the latest, that one is returned.
    virtual SignedCheckpoint checkpoint_now() = 0;
};

}  // namespace signet::audit
