#pragma once

// Running PostgreSQL's programs for the embedded cluster (internal to store/): a program without
// a shell, as another user when this process is root; where the server programs are; and the
// small helpers the cluster's messages share.

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace signet::store {

struct ProgramResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr
};

// Whom a program runs as.
struct Identity {
    uid_t uid;
    gid_t gid;
    std::vector<gid_t> groups;
};

// When this process is root, whom PostgreSQL's programs for the cluster in `data_dir` run as:
// its owner (with the owner's groups), else the `postgres` user when it does not exist yet;
// nullopt when not root. Errc::failed_precondition when it belongs to root or no user fits.
// (`signetctl backup` and `restore` run pgBackRest so; EmbeddedPostgres chooses alike.)
std::optional<Identity> cluster_user(const std::filesystem::path& data_dir);

// Makes `dir` and its missing parents, mode 0700, handed to `as` when given, which must then be
// able to reach it (Errc::failed_precondition naming the first parent it cannot search).
void make_directory_for(const std::filesystem::path& dir, const std::optional<Identity>& as);

// Runs a program without a shell and collects its output. With `identity` the child becomes
// that user first (PostgreSQL's programs refuse to run as root). The child starts with an
// empty signal mask, default dispositions, no inherited descriptors beyond 0-2, the working
// directory "/" (the caller's may not be reachable by that user) and no PG* variables (they
// would redirect initdb and pg_ctl).
ProgramResult run_program(const std::vector<std::string>& argv, const Identity* identity);

// The directory holding initdb, pg_ctl and postgres: `configured` if set (else
// Errc::failed_precondition when they are not all there), else `pg_config --bindir` if it holds
// them, else the newest /usr/lib/postgresql/*/bin.
std::filesystem::path find_bin_dir(const std::filesystem::path& configured);

// `text` on one line: each run of whitespace one space, none at the ends.
std::string one_line(std::string_view text);
// The last `lines` lines of a file (of its last 4 KiB), on one line; "(no log)" without it.
std::string tail_of(const std::filesystem::path& file, std::size_t lines);
std::string read_first_line(const std::filesystem::path& file);

[[noreturn]] void throw_system(Errc code, const std::string& what, int error);

}  // namespace signet::store
