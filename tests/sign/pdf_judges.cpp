// The judges of the PAdES tests: poppler's pdfsig over an NSS database and qpdf --check.
#include <openssl/pem.h>

#include <boost/test/unit_test.hpp>

#include "tests/sign/pdf_kit.hpp"

namespace signet::testing {

std::filesystem::path nss_database(const TempDir& dir) {
    const auto db = dir / "nssdb";
    std::filesystem::create_directories(db);
    const auto init =
        run_command({"certutil", "-N", "-d", "sql:" + db.string(), "--empty-password"});
    BOOST_REQUIRE_MESSAGE(init.exit_code == 0, init.output);
    BioPtr pem(BIO_new_file((dir / "root.pem").c_str(), "w"));
    BOOST_REQUIRE(pem);
    BOOST_REQUIRE_EQUAL(PEM_write_bio_X509(pem.get(), TestPki::instance().root.get()), 1);
    pem.reset();
    const auto add = run_command({"certutil", "-A", "-d", "sql:" + db.string(), "-n", "root", "-t",
                                  "C,C,C", "-i", (dir / "root.pem").string()});
    BOOST_REQUIRE_MESSAGE(add.exit_code == 0, add.output);
    return db;
}

PdfsigReport pdfsig(const TempDir& dir, const std::filesystem::path& db, const Bytes& pdf,
                    const std::string& name) {
    write_file(dir / name, std::string(pdf.begin(), pdf.end()));
    PdfsigReport report;
    report.result =
        run_command({"pdfsig", "-nssdir", "sql:" + db.string(), "-no-ocsp", (dir / name).string()});
    const std::string& out = report.result.output;
    for (std::size_t at = out.find("Signature #"); at != std::string::npos;) {
        const std::size_t next = out.find("Signature #", at + 1);
        PdfsigSignature sig;
        sig.text = out.substr(at, next == std::string::npos ? std::string::npos : next - at);
        sig.valid = sig.text.find("Signature Validation: Signature is Valid.") != std::string::npos;
        sig.trusted =
            sig.text.find("Certificate Validation: Certificate is Trusted.") != std::string::npos;
        sig.total_document = sig.text.find("- Total document signed") != std::string::npos;
        report.signatures.push_back(sig);
        at = next;
    }
    return report;
}

CommandResult qpdf_check(const TempDir& dir, const Bytes& pdf, const std::string& name) {
    write_file(dir / name, std::string(pdf.begin(), pdf.end()));
    return run_command({"qpdf", "--check", (dir / name).string()});
}

}  // namespace signet::testing
