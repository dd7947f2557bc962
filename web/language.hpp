#pragma once

#include <string_view>

// The pages' languages (issue 15: Chinese and English) and the first choice among them.
namespace signet::web {

inline constexpr std::string_view kEnglish = "en";
inline constexpr std::string_view kChinese = "zh-CN";

// The language to show first, from an Accept-Language field (RFC 9110 §12.5.4): the range with
// the highest weight that one of ours matches ("zh", "zh-CN", "zh-Hans-CN"... → zh-CN; "en",
// "en-GB"... → en; "*" → English); on a tie the earlier range wins; q=0 means "not this one".
// English when nothing matches, when the field is absent, or when it is malformed: a header
// only chooses a language, so a bad one is not worth refusing the page for. Bounded: at most
// the first 4 KiB and 64 ranges are read.
std::string_view preferred_language(std::string_view accept_language) noexcept;

}  // namespace signet::web
