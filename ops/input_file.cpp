#include "ops/input_file.hpp"

#include <fstream>

#include "common/error.hpp"

namespace signet::ops {

Bytes read_input_file(const std::string& path, std::size_t max) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(Errc::invalid_argument, "cannot read " + path);
    Bytes data;
    char buffer[64 * 1024];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        data.insert(data.end(), buffer, buffer + in.gcount());
        if (data.size() > max)
            throw Error(Errc::invalid_argument,
                        path + ": larger than " + std::to_string(max) + " bytes");
    }
    if (in.bad())
        throw Error(Errc::invalid_argument, "cannot read " + path);
    return data;
}

}  // namespace signet::ops
