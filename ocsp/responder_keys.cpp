#include "ocsp/responder_keys.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>

#include "common/der.hpp"
#include "common/digest.hpp"
#include "common/error.hpp"
#include "ocsp/signing_key.hpp"

namespace signet::ocsp {

namespace {

X509Ptr certificate(ByteView der, const std::string& what) {
    const unsigned char* p = der.data();
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert || p != der.data() + der.size())
        throw_openssl_error("the store's " + what + " is not a certificate");
    return cert;
}

// RFC 6960 §4.1.1: issuerNameHash is the hash of the issuer's DN (its DER), issuerKeyHash that of
// the value of the BIT STRING subjectPublicKey (tag, length and unused-bits octet excluded).
void set_hashes(ResponderKeys::Identity& identity) {
    const Bytes name = to_der(i2d_X509_NAME,
                              static_cast<const X509_NAME*>(
                                  X509_get_subject_name(identity.ca_certificate.get())));
    const ASN1_BIT_STRING* key = X509_get0_pubkey_bitstr(identity.ca_certificate.get());
    if (key == nullptr)
        throw_openssl_error("a CA certificate has no public key");
    const ByteView key_bits(ASN1_STRING_get0_data(key),
                            static_cast<std::size_t>(ASN1_STRING_length(key)));
    identity.name_hash_sha1 = digest_of(EVP_sha1(), name);
    identity.key_hash_sha1 = digest_of(EVP_sha1(), key_bits);
    identity.name_hash_sha256 = digest_of(EVP_sha256(), name);
    identity.key_hash_sha256 = digest_of(EVP_sha256(), key_bits);
}

}  // namespace

ResponderState responder_state(const ResponderKeys::Identity& identity, Clock::time_point now) {
    if (!identity.responder_certificate || !identity.key)
        return ResponderState::missing;
    if ((identity.responder_not_before && now < *identity.responder_not_before) ||
        (identity.responder_not_after && now > *identity.responder_not_after))
        return ResponderState::not_valid_now;
    return ResponderState::ready;
}

const Bytes& issuer_name_hash(const ResponderKeys::Identity& identity, CertIdHash hash) {
    return hash == CertIdHash::sha1 ? identity.name_hash_sha1 : identity.name_hash_sha256;
}

const Bytes& issuer_key_hash(const ResponderKeys::Identity& identity, CertIdHash hash) {
    return hash == CertIdHash::sha1 ? identity.key_hash_sha1 : identity.key_hash_sha256;
}

ResponderKeys::ResponderKeys(std::shared_ptr<hsm::Token> token,
                             store::CertificateReader& certificates, const Clock& clock)
    : token_(std::move(token)), certificates_(certificates), clock_(clock) {
    if (!token_)
        throw Error(Errc::invalid_argument, "the OCSP responder keys need an HSM token");
}

std::shared_ptr<const ResponderKeys::Identity> ResponderKeys::load(const store::CaRecord& ca,
                                                                   const Table& previous) {
    const auto service = certificates_.find_service("ocsp:" + ca.name);
    // Unchanged since the last read (same CA certificate, same responder): kept as it is, its
    // HSM key already found.
    if (const auto it = previous.find(ca.name); it != previous.end()) {
        const Identity& old = *it->second;
        const bool same_responder =
            service ? (old.responder_certificate && old.responder_serial == service->serial)
                    : !old.responder_certificate;
        if (same_responder && to_der(i2d_X509, static_cast<const X509*>(
                                                   old.ca_certificate.get())) == ca.certificate)
            return it->second;
    }
    auto identity = std::make_shared<Identity>();
    identity->ca = ca.name;
    identity->ca_certificate = certificate(ca.certificate, "CA '" + ca.name + "'");
    set_hashes(*identity);
    // Without a certificate that is signed and not revoked, or without a key label, there is no
    // responder (its CertIDs are answered unauthorized) rather than an error for every CA.
    if (service && service->der && service->key_label && service->status == "issued") {
        // A key the token does not hold (deleted, or a ceremony on another token) leaves this CA
        // without a responder; the token itself failing is an error for every CA (tryLater).
        std::shared_ptr<const hsm::Signer> key;
        try {
            key = token_->find_key(*service->key_label);
        } catch (const Error& e) {
            if (e.code() != Errc::not_found)
                throw;
        }
        if (key) {
            identity->responder_certificate =
                certificate(*service->der, "responder certificate of '" + ca.name + "'");
            identity->key = responder_bridge_key(key);
            identity->responder_not_before = service->not_before;
            identity->responder_not_after = service->not_after;
            identity->responder_serial = service->serial;
        }
    }
    return identity;
}

void ResponderKeys::reload() {
    std::lock_guard reloading(reload_mutex_);
    read_all();
}

bool ResponderKeys::due(Clock::time_point now) const {
    // Never loaded: tried again after kRetryInterval; loaded: after kRereadInterval (a clock that
    // stepped back counts as due).
    const std::chrono::seconds interval = table_ ? kRereadInterval : kRetryInterval;
    return !tried_at_ || now - *tried_at_ >= interval || now < *tried_at_;
}

void ResponderKeys::read_all() {
    std::shared_ptr<const Table> previous;
    {
        std::lock_guard lock(mutex_);
        previous = table_;
        // Counted from the try, failed or not, so a store that is down is not asked again by
        // every request that follows.
        tried_at_ = clock_.now();
    }
    const Table empty;
    auto table = std::make_shared<Table>();
    for (const store::CaRecord& ca : certificates_.list_cas()) {
        // RFC 6960 §4.2.2.2: a responder answers for the CA that delegated to it; the root's
        // only certificates are the issuing CAs', which relying parties check by CRL.
        if (ca.role != "issuing")
            continue;
        table->emplace(ca.name, load(ca, previous ? *previous : empty));
    }
    std::lock_guard lock(mutex_);
    table_ = std::move(table);
}

template <class Match>
std::shared_ptr<const ResponderKeys::Identity> ResponderKeys::lookup(Match match) {
    const auto find_in = [&](const std::shared_ptr<const Table>& table) {
        std::shared_ptr<const Identity> found;
        if (table) {
            for (const auto& [name, identity] : *table) {
                if (match(*identity))
                    found = identity;
            }
        }
        return found;
    };
    const Clock::time_point now = clock_.now();
    std::shared_ptr<const Table> table;
    bool read_due = false;
    {
        std::lock_guard lock(mutex_);
        table = table_;
        read_due = due(now);
    }
    auto found = find_in(table);
    if (found && responder_state(*found, now) == ResponderState::ready)
        return found;
    if (read_due) {
        // One reader at a time; whoever waited here finds the read done and not due again.
        std::lock_guard reloading(reload_mutex_);
        bool read = false;
        {
            std::lock_guard lock(mutex_);
            read = due(now);
        }
        if (read)
            read_all();
        std::lock_guard lock(mutex_);
        table = table_;
    }
    if (!table) {
        throw Error(Errc::unavailable, "the OCSP responders are not loaded yet (the store or "
                                       "the HSM could not be read)");
    }
    return find_in(table);
}

std::shared_ptr<const ResponderKeys::Identity> ResponderKeys::find_loaded(
    const CertIdQuery& id, Clock::time_point now) const {
    std::shared_ptr<const Table> table;
    {
        std::lock_guard lock(mutex_);
        table = table_;
    }
    if (!table)
        return nullptr;
    for (const auto& [name, identity] : *table) {
        if (issuer_name_hash(*identity, id.hash) == id.issuer_name_hash &&
            issuer_key_hash(*identity, id.hash) == id.issuer_key_hash)
            return responder_state(*identity, now) == ResponderState::ready ? identity : nullptr;
    }
    return nullptr;
}

std::shared_ptr<const ResponderKeys::Identity> ResponderKeys::find(const CertIdQuery& id) {
    return lookup([&](const Identity& identity) {
        return issuer_name_hash(identity, id.hash) == id.issuer_name_hash &&
               issuer_key_hash(identity, id.hash) == id.issuer_key_hash;
    });
}

std::shared_ptr<const ResponderKeys::Identity> ResponderKeys::for_ca(const std::string& ca_name) {
    return lookup([&](const Identity& identity) { return identity.ca == ca_name; });
}

}  // namespace signet::ocsp
