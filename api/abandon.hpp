#pragma once

#include <memory>

// A thread stuck in a call that never returns (a handler waiting on a hung database, a health
// check on a hung HSM) cannot be joined, and what it runs on must not be destroyed under it.
// Such objects (the pool, the event loops its work posts back to) are kept until the process
// exits instead, reachable from a global so that leak checkers do not count them.
namespace signet::api::detail {

void keep_until_exit(std::shared_ptr<void> object);

template <class T>
void keep_until_exit(std::unique_ptr<T> object) {
    keep_until_exit(std::shared_ptr<void>(std::move(object)));
}

}  // namespace signet::api::detail
