#pragma once

#include <memory>

#include "common/handle.hpp"
#include "hsm/signer.hpp"

// A responder key as OpenSSL sees it, with the HSM's own error kept.
namespace signet::ocsp {

// The bridge key (hsm/bridge.hpp) of `signer`. The bridge turns a signer's exception into an
// OpenSSL error string, which loses its Errc: the HSM being away (Errc::unavailable, answered
// tryLater) would look like a crypto failure. This key remembers the exception, on the signing
// thread, for rethrow_signer_failure().
EvpPkeyPtr responder_bridge_key(std::shared_ptr<const hsm::Signer> signer);

// Forgets any failure remembered on this thread (before a signature).
void clear_signer_failure() noexcept;

// Rethrows the exception the last signature through a responder_bridge_key on this thread
// threw, if any (and forgets it); returns otherwise.
void rethrow_signer_failure();

}  // namespace signet::ocsp
