// Runs a fuzz target's LLVMFuzzerTestOneInput once on every file of the given files and folders,
// without libFuzzer: the seed corpus and kept crash inputs as a regression test of the ordinary
// (gcc, and ASan) builds. Exits non-zero if an input cannot be read or no input was found; a
// crash ends the process as it would under the fuzzer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

bool run_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
        return false;
    }
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                  std::istreambuf_iterator<char>()};
    // A copy in a buffer of exactly its size, so ASan sees a read past the end as libFuzzer would.
    std::vector<std::uint8_t> input(bytes.begin(), bytes.end());
    LLVMFuzzerTestOneInput(input.empty() ? nullptr : input.data(), input.size());
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (LLVMFuzzerInitialize != nullptr)
        LLVMFuzzerInitialize(&argc, &argv);
    std::size_t runs = 0;
    bool ok = true;
    for (int i = 1; i < argc; ++i) {
        const std::filesystem::path root(argv[i]);
        if (std::filesystem::is_directory(root)) {
            std::vector<std::filesystem::path> files;
            for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
                if (entry.is_regular_file())
                    files.push_back(entry.path());
            }
            std::sort(files.begin(), files.end());
            for (const auto& file : files) {
                ok = run_file(file) && ok;
                ++runs;
            }
        } else {
            ok = run_file(root) && ok;
            ++runs;
        }
    }
    std::printf("replay: %zu inputs\n", runs);
    if (runs == 0) {
        std::fprintf(stderr, "replay: no inputs given\n");
        return 1;
    }
    return ok ? 0 : 1;
}
