// signet.yaml's web section (policy/config.hpp WebSettings): the public verification page's
// limits and the operator console's sessions. Its POST /verify/report is anonymous, so what one
// visitor may send and how often is bounded here rather than by an API client's scopes.
#include "policy/config_sections.hpp"

namespace signet::policy::sections {

using namespace yaml;

void read_web(Map& map, WebSettings& out) {
    Map verify = map.section("verify");
    read_unsigned(verify, "max_document_bytes", out.verify.max_document_bytes, 1,
                  1024ull * 1024 * 1024, "a size");
    read_unsigned(verify, "requests_per_minute", out.verify.requests_per_minute, 1, 10000,
                  "a number of requests");
    verify.finish();
    Map console = map.section("console");
    read_unsigned(console, "idle_minutes", out.console.idle_minutes, 1, 1440,
                  "a number of minutes");
    read_unsigned(console, "absolute_hours", out.console.absolute_hours, 1, 168,
                  "a number of hours");
    read_unsigned(console, "max_sessions", out.console.max_sessions, 1, 100000,
                  "a number of sessions");
    console.finish();
}

}  // namespace signet::policy::sections
