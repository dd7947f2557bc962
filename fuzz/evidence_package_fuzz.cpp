// The evidence package reader and verifier behind `signetctl evidence verify`
// (evidence::verify_package): the ZIP reader's bounds (entries, sizes, paths, duplicates,
// compression bombs), manifest.json, manifest.p7s, the documents, the checkpoint, every audit
// event and proof, the contract events' tokens; and both renderings of the report. Seeds: a
// small real package (tests/evidence with SIGNET_EVIDENCE_CORPUS_DIR set), garbage.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "common/error.hpp"
#include "evidence/verify_package.hpp"

namespace {

// A root nobody's package chains to: the inputs are checked against it and fail their chains,
// but every parser on the way runs.
signet::X509Ptr make_root() {
    signet::EvpPkeyPtr key(EVP_EC_gen("P-256"));
    signet::X509Ptr root(X509_new());
    X509_set_version(root.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(root.get()), 1);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(root.get()), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("Fuzz Root"), -1, -1, 0);
    X509_set_issuer_name(root.get(), X509_get_subject_name(root.get()));
    X509_gmtime_adj(X509_getm_notBefore(root.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(root.get()), 86400);
    X509_set_pubkey(root.get(), key.get());
    X509_sign(root.get(), key.get(), EVP_sha256());
    return root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const signet::X509Ptr root = make_root();
    signet::evidence::PackageVerifyOptions options;
    options.roots.emplace_back(X509_dup(root.get()));
    // A fixed validation time: inputs must behave the same on every run.
    options.now = std::chrono::system_clock::time_point(std::chrono::seconds(1'796'600'000));
    // The fuzzer's memory limit, not the verifier's: large inputs teach nothing more.
    options.limits.max_archive_bytes = 4 * 1024 * 1024;
    options.limits.max_entry_bytes = 8 * 1024 * 1024;
    options.limits.max_total_bytes = 16 * 1024 * 1024;
    options.limits.bomb_floor_bytes = 1024 * 1024;
    try {
        const auto report = signet::evidence::verify_package(signet::ByteView(data, size), options);
        (void)signet::evidence::report_json(report).dump();
        (void)signet::evidence::report_text(report);
    } catch (const signet::Error&) {
        // A clear refusal is the expected outcome for most inputs.
    }
    return 0;
}
