// libFuzzer target: the HTTP request-head parser, exactly as a session drives it
// (api/request_head.hpp: RequestReader over Beast's request_parser, with the server's limits),
// fed the input in two pieces at a point the input chooses, over as many pipelined requests as
// it holds. Checks that nothing throws, that a failure always names a problem type, and that
// the bytes left unparsed stay within what a session's bounded buffer holds.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/request_head.hpp"

namespace {

using signet::api::detail::RequestReader;

constexpr std::size_t kMaxHeaderBytes = 4096;  // small, so the limits are reached
constexpr std::uint64_t kMaxBodyBytes = 16 * 1024;

void require(bool condition) {
    if (!condition)
        std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    // The first byte chooses where the bytes arrive split, as two reads would deliver them.
    const std::size_t split = size > 1 ? data[0] % size : 0;
    const std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
    RequestReader reader(kMaxHeaderBytes);
    std::size_t offset = 0;  // consumed so far
    std::size_t received = std::min(split, all.size());
    for (int request = 0; request < 64; ++request) {
        reader.start();
        for (;;) {
            std::size_t consumed = 0;
            const auto step = reader.feed(all.substr(offset, received - offset), consumed);
            require(consumed <= received - offset);
            offset += consumed;
            if (step == RequestReader::Step::failed) {
                require(reader.problem().type != nullptr);
                return 0;
            }
            if (step == RequestReader::Step::head) {
                require(!reader.path().empty() && reader.path().front() == '/');
                if (!reader.set_body_limit(kMaxBodyBytes)) {
                    require(reader.problem().type->status ==
                            signet::api::http::status::payload_too_large);
                    return 0;
                }
                if (reader.parser().is_done())
                    break;  // no body: as the session, answer without feeding on
                continue;
            }
            if (step == RequestReader::Step::complete)
                break;
            // need_more: what a session keeps unparsed fits its buffer.
            require(received - offset <=
                    kMaxHeaderBytes + RequestReader::kChunkLineAllowance + 16 * 1024);
            if (received == all.size())
                return 0;  // the client has sent everything
            received = all.size();
        }
        if (offset == all.size())
            return 0;
    }
    return 0;
}
