#pragma once

namespace signet::bench {

// `signet-bench ocsp-presign ...` (argv[1] is "ocsp-presign"): seconds to pre-sign both CertID
// hashes' responses for N certificates (rows inserted directly) with an HSM ECDSA P-256 key
// through the OpenSSL bridge, against the raw C_Sign rate; and the resident memory per
// certificate the loaded cache costs beyond the response bytes. Returns the exit status.
int bench_ocsp_presign(int argc, char** argv);

// Its part of `signet-bench --help`.
extern const char* const kOcspUsage;

}  // namespace signet::bench
