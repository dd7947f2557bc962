#pragma once

// A ResponseSigner with a software key (or any EVP_PKEY), for the tests of the pre-signed response
// source (the real one signs in the HSM, ocsp/hsm_signer.*): the CA signs its own responses (RFC
// 6960 §4.2.2.2 allows it), ResponderID byKey, and it can be told to fail as an HSM that is away.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "common/handle.hpp"
#include "ocsp/signer.hpp"
#include "store/database.hpp"

namespace signet::testing {

class TestSigner final : public ocsp::ResponseSigner {
  public:
    explicit TestSigner(std::chrono::seconds validity);
    // Signing with `key` (the benchmark passes an HSM key through the OpenSSL bridge), under a
    // self-signed certificate made with it.
    TestSigner(std::chrono::seconds validity, EvpPkeyPtr key);

    // Errc::unavailable while `available` is false (an HSM that is away); Errc::not_found for a
    // certificate of CA "no-responder".
    ocsp::SignedResponse sign(const store::CertificateRecord& certificate, ocsp::CertIdHash hash,
                              Clock::time_point now) override;

    void set_available(bool available) noexcept { available_.store(available); }
    std::uint64_t signatures() const noexcept { return signatures_.load(); }
    X509* ca_certificate() const noexcept { return ca_.get(); }

  private:
    std::chrono::seconds validity_;
    EvpPkeyPtr key_;
    X509Ptr ca_;
    std::atomic<bool> available_{true};
    std::atomic<std::uint64_t> signatures_{0};
};

// A random 16-octet serial, positive and with no leading zero octet.
Bytes random_serial();

// Inserts `count` issued certificate rows of `issuer_ca` straight into the certificates table
// (random 16-octet serials, placeholder TBS and DER: the responses need only the serial and the
// status) and returns their serials.
std::vector<Bytes> insert_issued(store::Database& database, int count,
                                 const std::string& issuer_ca = "issuing");

// Revokes as ca::Authority::revoke does in the database: the row, then the NOTIFY, one commit.
void revoke_row(store::Database& database, ByteView serial, Clock::time_point at);

}  // namespace signet::testing
