// Who owns the embedded cluster's state directory (store/embedded_postgres.hpp): the exclusive
// lock one owner holds, the user PostgreSQL runs as when this process is root, and the
// directories and log that user needs, reachable from the root down.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>

#include "store/embedded_postgres.hpp"
#include "store/postgres_programs.hpp"

namespace fs = std::filesystem;

namespace signet::store {

namespace {

bool searchable_by(const struct stat& st, uid_t uid, gid_t gid, const std::vector<gid_t>& groups) {
    if (st.st_uid == uid)
        return (st.st_mode & S_IXUSR) != 0;
    if (st.st_gid == gid || std::find(groups.begin(), groups.end(), st.st_gid) != groups.end()) {
        return (st.st_mode & S_IXGRP) != 0;
    }
    return (st.st_mode & S_IXOTH) != 0;
}

}  // namespace

void EmbeddedPostgres::lock_state_dir() {
    const fs::path lock_path = state_dir_ / "signet.lock";
    // O_CLOEXEC: the lock must not be inherited by pg_ctl and the server, or it would outlive us.
    const int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        throw_system(Errc::io, "cannot open " + lock_path.string(), errno);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        std::array<char, 32> holder{};
        const ssize_t n = pread(fd, holder.data(), holder.size() - 1, 0);
        close(fd);
        if (error != EWOULDBLOCK)
            throw_system(Errc::io, "cannot lock " + lock_path.string(), error);
        std::string pid =
            n > 0 ? one_line(std::string_view(holder.data(), static_cast<std::size_t>(n))) : "";
        throw Error(Errc::failed_precondition, "the state directory " + state_dir_.string() +
                                                   " is in use by another Signet process" +
                                                   (pid.empty() ? "" : " (pid " + pid + ")") +
                                                   ", which holds " + lock_path.string() +
                                                   "; stop it first or use another state_dir");
    }
    const std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd, 0) != 0 ||
        pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        const int error = errno;
        close(fd);
        throw_system(Errc::io, "cannot write " + lock_path.string(), error);
    }
    lock_fd_ = fd;
}

void EmbeddedPostgres::choose_server_user() {
    if (geteuid() != 0) {
        struct stat st {};
        if (stat(data_dir().c_str(), &st) == 0 && st.st_uid != geteuid()) {
            throw Error(Errc::failed_precondition,
                        "the cluster in " + data_dir().string() + " belongs to uid " +
                            std::to_string(st.st_uid) + "; run Signet as that user (or as root)");
        }
        return;
    }
    // PostgreSQL refuses to run as root ("root execution of the PostgreSQL server is not
    // permitted"): run it as the owner of an existing cluster, or as the postgres system user.
    std::optional<uid_t> owner;
    struct stat st {};
    if (stat(data_dir().c_str(), &st) == 0) {
        if (st.st_uid == 0) {
            throw Error(
                Errc::failed_precondition,
                "the cluster in " + data_dir().string() +
                    " belongs to root, and PostgreSQL cannot run as root: chown -R postgres: it");
        }
        owner = st.st_uid;
    }
    std::vector<char> buffer(16384);
    struct passwd entry {};
    struct passwd* found = nullptr;
    if (owner) {
        getpwuid_r(*owner, &entry, buffer.data(), buffer.size(), &found);
        run_uid_ = *owner;
        run_gid_ = found != nullptr ? found->pw_gid : st.st_gid;
        run_user_ = found != nullptr ? found->pw_name : "uid " + std::to_string(*owner);
    } else {
        getpwnam_r("postgres", &entry, buffer.data(), buffer.size(), &found);
        if (found == nullptr) {
            throw Error(
                Errc::failed_precondition,
                "running as root, the embedded PostgreSQL needs an unprivileged user to run as "
                "(PostgreSQL refuses root), and there is no 'postgres' user: install Debian's "
                "postgresql package, or run Signet as a normal user");
        }
        run_uid_ = found->pw_uid;
        run_gid_ = found->pw_gid;
        run_user_ = found->pw_name;
    }
    run_groups_.clear();
    if (found != nullptr) {
        int count = 64;
        std::vector<gid_t> groups(static_cast<std::size_t>(count));
        if (getgrouplist(found->pw_name, found->pw_gid, groups.data(), &count) < 0) {
            groups.resize(static_cast<std::size_t>(count));
            getgrouplist(found->pw_name, found->pw_gid, groups.data(), &count);
        }
        groups.resize(static_cast<std::size_t>(std::max(count, 0)));
        run_groups_.assign(groups.begin(), groups.end());
    } else {
        run_groups_.push_back(run_gid_);
    }
    if (run_uid_ == 0)
        throw Error(Errc::failed_precondition, "the PostgreSQL user must not be root");
    drop_privileges_ = true;
}

void EmbeddedPostgres::prepare_directories() {
    auto make_private_dir = [&](const fs::path& dir) {
        std::error_code ec;
        fs::create_directory(dir, ec);
        if (ec)
            throw Error(Errc::io, "cannot create " + dir.string() + ": " + ec.message());
        if (drop_privileges_ && chown(dir.c_str(), run_uid_, run_gid_) != 0) {
            throw_system(Errc::io, "cannot chown " + dir.string(), errno);
        }
        if (chmod(dir.c_str(), 0700) != 0)
            throw_system(Errc::io, "cannot chmod " + dir.string(), errno);
    };
    make_private_dir(socket_dir());

    const int log_fd = open(log_file().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0)
        throw_system(Errc::io, "cannot open " + log_file().string(), errno);
    const bool owned = !drop_privileges_ || fchown(log_fd, run_uid_, run_gid_) == 0;
    const int error = errno;
    close(log_fd);
    if (!owned)
        throw_system(Errc::io, "cannot chown " + log_file().string(), error);

    if (!drop_privileges_)
        return;
    // The server's user must be able to walk down to its directories.
    const std::vector<gid_t> groups(run_groups_.begin(), run_groups_.end());
    struct stat st {};
    if (stat(state_dir_.c_str(), &st) != 0)
        throw_system(Errc::io, "cannot stat " + state_dir_.string(), errno);
    if (!searchable_by(st, run_uid_, run_gid_, groups)) {
        // Search only (o+x), not read: others can reach a name they know, not list the directory.
        if (chmod(state_dir_.c_str(), (st.st_mode & 07777) | S_IXOTH) != 0) {
            throw_system(Errc::io, "cannot chmod o+x " + state_dir_.string(), errno);
        }
    }
    for (fs::path dir = state_dir_.parent_path();; dir = dir.parent_path()) {
        if (stat(dir.c_str(), &st) == 0 && !searchable_by(st, run_uid_, run_gid_, groups)) {
            throw Error(
                Errc::failed_precondition,
                "PostgreSQL runs as '" + run_user_ +
                    "' (it refuses to run as root) and cannot reach " + state_dir_.string() + ": " +
                    dir.string() +
                    " is not searchable by that user; choose a state_dir under a searchable path "
                    "(e.g. /var/lib/signet) or chmod o+x " +
                    dir.string());
        }
        if (dir == dir.root_path() || dir.empty())
            break;
    }
}

std::optional<Identity> EmbeddedPostgres::server_identity() const {
    if (!drop_privileges_)
        return std::nullopt;
    return Identity{run_uid_, run_gid_, std::vector<gid_t>(run_groups_.begin(), run_groups_.end())};
}

namespace {

Identity identity_of(const struct passwd& user) {
    int count = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    if (getgrouplist(user.pw_name, user.pw_gid, groups.data(), &count) < 0) {
        groups.resize(static_cast<std::size_t>(count));
        getgrouplist(user.pw_name, user.pw_gid, groups.data(), &count);
    }
    groups.resize(static_cast<std::size_t>(std::max(count, 0)));
    return Identity{user.pw_uid, user.pw_gid, groups};
}

}  // namespace

std::optional<Identity> cluster_user(const fs::path& data_dir) {
    if (geteuid() != 0)
        return std::nullopt;
    std::vector<char> buffer(16384);
    struct passwd entry {};
    struct passwd* found = nullptr;
    struct stat st {};
    if (stat(data_dir.c_str(), &st) == 0) {
        if (st.st_uid == 0)
            throw Error(Errc::failed_precondition,
                        data_dir.string() + " belongs to root, and PostgreSQL cannot run as root");
        getpwuid_r(st.st_uid, &entry, buffer.data(), buffer.size(), &found);
        if (found == nullptr)
            return Identity{st.st_uid, st.st_gid, {st.st_gid}};
    } else {
        getpwnam_r("postgres", &entry, buffer.data(), buffer.size(), &found);
        if (found == nullptr)
            throw Error(Errc::failed_precondition,
                        "running as root, PostgreSQL's tools need an unprivileged user and there "
                        "is no 'postgres' user: install Debian's postgresql package");
    }
    return identity_of(*found);
}

void make_directory_for(const fs::path& dir, const std::optional<Identity>& as) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        throw Error(Errc::io, "cannot create " + dir.string() + ": " + ec.message());
    if (as && chown(dir.c_str(), as->uid, as->gid) != 0)
        throw_system(Errc::io, "cannot chown " + dir.string(), errno);
    if (chmod(dir.c_str(), 0700) != 0)
        throw_system(Errc::io, "cannot chmod " + dir.string(), errno);
    if (!as)
        return;
    const fs::path absolute = fs::absolute(dir).lexically_normal();
    for (fs::path parent = absolute.parent_path();; parent = parent.parent_path()) {
        struct stat st {};
        if (stat(parent.c_str(), &st) == 0 && !searchable_by(st, as->uid, as->gid, as->groups)) {
            throw Error(Errc::failed_precondition,
                        "PostgreSQL's tools run as uid " + std::to_string(as->uid) +
                            " and cannot reach " + absolute.string() + ": " + parent.string() +
                            " is not searchable by that user; chmod o+x it or choose another "
                            "directory");
        }
        if (parent == parent.root_path() || parent.empty())
            break;
    }
}

}  // namespace signet::store
