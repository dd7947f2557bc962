// libFuzzer target: the YAML loaders of policy/ — parse_config (signet.yaml, what signetd and
// `signetctl config check` read) and parse_ceremony (the key ceremony file) — on arbitrary
// text. Every input gives a validated result or one signet::Error with FILE:LINE:COLUMN
// messages; never a crash, a hang, a leak or another exception (DESIGN.md invariant 7).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.hpp"
#include "policy/ceremony.hpp"
#include "policy/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // A source in a directory that does not exist: relative paths resolve against it, and the
    // files they name are looked for but never found.
    try {
        (void)signet::policy::parse_config(text, "/nonexistent-signet-fuzz/signet.yaml");
    } catch (const signet::Error&) {
    }
    try {
        (void)signet::policy::parse_ceremony(text, "/nonexistent-signet-fuzz/ceremony.yaml");
    } catch (const signet::Error&) {
    }
    return 0;
}
