#include "ops/signetctl_ocsp.hpp"

#include <openssl/bio.h>
#include <openssl/ocsp.h>

#include <iostream>

#include "common/error.hpp"
#include "common/handle.hpp"
#include "ocsp/response_summary.hpp"
#include "ops/configured_store.hpp"
#include "store/certificates.hpp"
#include "store/ocsp_responses.hpp"

namespace signet::ops {

const char* const kOcspUsage =
    R"(OCSP commands (option --config FILE, or SIGNET_CONFIG; default signet.yaml: its database and
state_dir are used):
  ocsp show SERIAL [--hash sha1|sha256]  what the responder serves for a certificate (hex
                                         serial; CertID hash, default sha1): the pre-signed
                                         response every node loads from the database, its
                                         status, thisUpdate, nextUpdate and producedAt, then
                                         the response as openssl ocsp -resp_text prints it
)";

namespace {

std::string reason_text(const std::optional<int>& reason) {
    if (!reason)
        return "no reason given";
    return OCSP_crl_reason_str(*reason) + std::string(" (") + std::to_string(*reason) + ")";
}

// OpenSSL's own text of the response, the one `openssl ocsp -resp_text` prints.
std::string openssl_text(const Bytes& der) {
    const unsigned char* p = der.data();
    OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!response || !bio || OCSP_RESPONSE_print(bio.get(), response.get(), 0) != 1)
        throw_openssl_error("cannot print the stored OCSP response");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

int ocsp_show(const Arguments& args) {
    args.allow({"config", "hash"});
    const Bytes serial = serial_argument(args, 2);
    const std::string hash = args.option("hash", nullptr, "sha1");
    if (hash != "sha1" && hash != "sha256")
        throw UsageError("--hash is sha1 or sha256");
    ConfiguredDatabase db(args);
    store::PostgresCertificates certificates(*db.database);
    store::PostgresOcspResponses responses(*db.database);
    const auto certificate = certificates.find(serial);
    const bool is_certificate =
        certificate && (certificate->status == "issued" || certificate->status == "revoked");
    std::cout << "serial:           " << to_hex(serial) << "\n"
              << "certificate:      "
              << (certificate ? certificate->status + " (CA " + certificate->issuer_ca + ")"
                              : std::string("none"))
              << "\n"
              << "CertID hash:      " << hash << "\n";
    if (!is_certificate) {
        // RFC 6960 §2.2: a serial this CA never issued (reserved and abandoned rows included).
        std::cout << "source:           none: the responder answers unknown (signed live)\n";
        return 0;
    }
    const auto stored = responses.find(serial, hash);
    if (!stored) {
        std::cout << "source:           none pre-signed yet: the responder signs one live on the "
                     "first request (and the refresher pre-signs it shortly)\n";
        return 0;
    }
    const auto s = ocsp::summarize_response(stored->der);
    std::cout << "source:           pre-signed, stored in PostgreSQL (ocsp_responses, change "
              << stored->change << "), loaded into every node's memory\n"
              << "status:           " << ocsp::to_string(s.status);
    if (s.revocation_time)
        std::cout << " at " << format_utc(*s.revocation_time) << ", "
                  << reason_text(s.revocation_reason);
    std::cout << "\n"
              << "thisUpdate:       " << format_utc(s.this_update) << "\n"
              << "nextUpdate:       " << (s.next_update ? format_utc(*s.next_update) : "absent")
              << "\n"
              << "producedAt:       " << format_utc(s.produced_at) << "\n"
              << "size:             " << stored->der.size() << " bytes\n";
    const auto now = std::chrono::system_clock::now();
    if (s.next_update && *s.next_update <= now)
        std::cout << "fresh:            no: past its nextUpdate, not served (the responder signs "
                     "live until the refresher catches up)\n";
    if ((s.status == ocsp::ResponseSummary::Status::revoked) != (certificate->status == "revoked"))
        std::cout << "pending:          the certificate's status changed since: being re-signed\n";
    std::cout << "\n" << openssl_text(stored->der);
    return 0;
}

}  // namespace

std::optional<int> run_ocsp_command(const Arguments& args) {
    const auto& w = args.words;
    if (w.size() < 2 || w[0] != "ocsp")
        return std::nullopt;
    if (w[1] == "show")
        return ocsp_show(args);
    return std::nullopt;
}

}  // namespace signet::ops
