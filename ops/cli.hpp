#pragma once

// signetctl's command line: words are the command path, options are --name VALUE (or
// --name=VALUE), each at most once; PINs are refused on the command line.
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace signet::ops {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Options of the form --name VALUE; positional words are the command path.
struct Arguments {
    std::vector<std::string> words;
    std::map<std::string, std::string> options;

    std::string option(const std::string& name, const char* env,
                       const std::string& fallback) const {
        if (auto it = options.find(name); it != options.end())
            return it->second;
        if (env != nullptr) {
            if (const char* value = std::getenv(env); value != nullptr && *value != '\0')
                return value;
        }
        return fallback;
    }
    std::string required(const std::string& name) const {
        auto it = options.find(name);
        if (it == options.end())
            throw UsageError("missing --" + name);
        return it->second;
    }
    void allow(const std::set<std::string>& allowed) const {
        for (const auto& [name, value] : options) {
            if (!allowed.contains(name))
                throw UsageError("unknown option --" + name + " for '" + command() + "'");
        }
    }
    std::string command() const {
        std::string joined;
        for (const auto& w : words)
            joined += (joined.empty() ? "" : " ") + w;
        return joined;
    }
};

// Options that are switches: they never take the next word as their value (so `cert show
// SERIAL --pem`, `tsa verify FILE --offline` and `verify FILE --json` work at the end of the
// line); present means "true".
inline const std::set<std::string> kFlagOptions{"pem", "offline", "json", "latest"};

inline Arguments parse(int argc, char** argv) {
    Arguments args;
    for (int i = 1; i < argc; ++i) {
        std::string word = argv[i];
        if (word.starts_with("--")) {
            std::string name = word.substr(2);
            std::string value;
            if (auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name.resize(eq);
            } else if (kFlagOptions.contains(name)) {
                value = "true";
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                throw UsageError("option --" + name + " needs a value");
            }
            if (name == "pin-value" || name == "user-pin" || name == "so-pin") {
                throw UsageError(
                    "PINs are never taken on the command line; use --pin file:PATH or "
                    "env:VARIABLE");
            }
            if (!args.options.emplace(name, value).second)
                throw UsageError("option --" + name + " given twice");
        } else {
            args.words.push_back(word);
        }
    }
    return args;
}

}  // namespace signet::ops
