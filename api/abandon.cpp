#include "api/abandon.hpp"

#include <mutex>
#include <vector>

namespace signet::api::detail {

void keep_until_exit(std::shared_ptr<void> object) {
    static std::mutex mutex;
    // Never destroyed: at exit, a thread may still be inside what it holds.
    static auto* kept = new std::vector<std::shared_ptr<void>>();
    std::lock_guard lock(mutex);
    kept->push_back(std::move(object));
}

}  // namespace signet::api::detail
