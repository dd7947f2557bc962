#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/handle.hpp"
#include "hsm/token.hpp"
#include "ocsp/request.hpp"
#include "store/certificates.hpp"

namespace signet::ocsp {

// The issuing CAs the responder answers for, each with its delegated responder (RFC 6960
// §4.2.2.2): the certificate the key ceremony recorded as service "ocsp:{ca}" and its key in the
// HSM (the token key named by that record's key_label), through the OpenSSL bridge. Loaded on
// first use, not in the constructor, so a responder made while the database or the HSM is away
// starts and answers tryLater until they are back. Thread-safe.
class ResponderKeys {
  public:
    // How often, at most, the store is read again by itself when something is asked that the
    // table does not know (a CA added, or a responder certificate renewed on another node).
    static constexpr std::chrono::seconds kRereadInterval{60};
    // Until the table was loaded once, a failed read is tried again this soon.
    static constexpr std::chrono::seconds kRetryInterval{1};

    ResponderKeys(std::shared_ptr<hsm::Token> token, store::CertificateReader& certificates,
                  const Clock& clock);

    // One issuing CA. Without a responder (`responder_certificate` and `key` null) its CertIDs
    // are answered unauthorized; with one outside its validity, tryLater (responder_state).
    struct Identity {
        std::string ca;
        X509Ptr ca_certificate;
        X509Ptr responder_certificate;
        EvpPkeyPtr key;  // the responder's, a bridge key: it signs in the HSM
        // CertID hashes (RFC 6960 §4.1.1): of the CA's subject DN (DER) and of the value of its
        // subjectPublicKey BIT STRING.
        Bytes name_hash_sha1, key_hash_sha1, name_hash_sha256, key_hash_sha256;
        std::optional<Clock::time_point> responder_not_before, responder_not_after;
        Bytes responder_serial;  // to know a renewed responder certificate on reload
    };

    // The CA whose name and key hashes the CertID carries (in its own hash algorithm), or
    // nullptr. Reads the store again first (at most once per kRereadInterval) when none matches,
    // or the match has no responder valid now. The store's or the HSM's error when a read that
    // was due failed; Errc::unavailable when the table was never loaded and the next try is not
    // due yet.
    std::shared_ptr<const Identity> find(const CertIdQuery& id);
    // The same by CA name.
    std::shared_ptr<const Identity> for_ca(const std::string& ca_name);
    // The CA the CertID names in the table as loaded, with a responder valid at `now`; nullptr
    // otherwise. Never reads the store or the HSM (for StatusResponder::answer_from_memory,
    // which runs on an I/O thread).
    std::shared_ptr<const Identity> find_loaded(const CertIdQuery& id, Clock::time_point now) const;
    // Reads the CAs and their ocsp:{ca} certificates again (after a renewal). Throws the store's
    // or the HSM's error and keeps the previous table.
    void reload();

  private:
    using Table = std::map<std::string, std::shared_ptr<const Identity>>;
    template <class Match>
    std::shared_ptr<const Identity> lookup(Match match);
    std::shared_ptr<const Identity> load(const store::CaRecord& ca, const Table& previous);
    bool due(Clock::time_point now) const;  // with mutex_ held
    void read_all();                        // with reload_mutex_ held

    std::shared_ptr<hsm::Token> token_;
    store::CertificateReader& certificates_;
    const Clock& clock_;
    std::mutex reload_mutex_;  // one reload at a time
    mutable std::mutex mutex_;
    std::shared_ptr<const Table> table_;  // null until loaded
    std::optional<Clock::time_point> tried_at_;  // the last reload's start
};

// What a CA's responder can do at `now`.
enum class ResponderState { ready, missing, not_valid_now };
ResponderState responder_state(const ResponderKeys::Identity& identity, Clock::time_point now);

// The CertID hashes of `identity`'s CA in `hash`.
const Bytes& issuer_name_hash(const ResponderKeys::Identity& identity, CertIdHash hash);
const Bytes& issuer_key_hash(const ResponderKeys::Identity& identity, CertIdHash hash);

}  // namespace signet::ocsp
