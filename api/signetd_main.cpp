// signetd: the Signet server. Listeners, routes and services arrive with the signetd issue;
// for now it answers --help and --version.
#include <cstring>
#include <iostream>

#include "signet/version.hpp"

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--version") == 0) {
            std::cout << "signetd " << signet::kVersion << "\n";
            return 0;
        }
        if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            std::cout << "usage: signetd [--help] [--version]\n\n"
                         "The Signet server (time-stamps, OCSP, CRLs, certificates, signing).\n"
                         "It does not serve yet: the listeners arrive with the next milestone.\n";
            return 0;
        }
        std::cerr << "signetd: unknown option '" << argv[i] << "' (try --help)\n";
        return 2;
    }
    std::cerr << "signetd: nothing to serve yet (try --help)\n";
    return 1;
}
