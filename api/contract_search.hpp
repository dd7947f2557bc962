#pragma once

// GET /v1/contracts's query string (api/contract_routes.hpp): the search and its cursor, pure
// functions the fuzz target `contract_request` shares.
#include <string>
#include <string_view>

#include "store/contracts.hpp"

namespace signet::api {

// The largest page GET /v1/contracts gives, and the default.
inline constexpr std::size_t kMaxContractPage = 100;
inline constexpr std::size_t kDefaultContractPage = 50;

// "state=sent&party=7&title=lease%20office&metadata.reference=R-118&created_after=2026-01-01T00:00:00Z
//  &created_before=...&cursor=...&limit=20" into a query (its client is the caller's, set by the
// service). Values are percent-decoded once (RFC 3986 §2.1; '+' is a space, as HTML forms send
// it) and must be UTF-8 without control characters. Each parameter at most once; every
// `metadata.KEY` adds KEY: "VALUE" (a JSON string) to the object the metadata must contain (at
// most 10). `before` (a contract id: the previous page's last) is the deprecated paging, not
// together with `cursor`. Errc::invalid_argument naming the parameter.
store::ContractQuery decode_contract_search(std::string_view query);

// The opaque cursor of the page after `key`: base64url (RFC 4648 §5, no padding) of
// "<created_at in microseconds since 1970>.<id>"; decode_contract_search takes it back.
std::string contract_cursor(const store::ContractKey& key);

}  // namespace signet::api
