#include "web/assets.hpp"

#include <algorithm>

namespace signet::web {

const Asset* find_asset(std::string_view path) noexcept {
    const auto assets = embedded_assets();
    const auto found = std::ranges::find(assets, path, &Asset::path);
    return found == assets.end() ? nullptr : &*found;
}

}  // namespace signet::web
