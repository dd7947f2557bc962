#pragma once

// What api/csc_requests.cpp, csc_algorithms.cpp and csc_forms.cpp share (internal): the CSC
// API's refusal and its wordings (CSC API v2.0.0.2 §11's error tables), and the bounds on what a
// request may carry.
#include <cstddef>
#include <string>
#include <string_view>

#include "csc/remote_signing.hpp"

namespace signet::api::csc_detail {

// Bounds on what the service stores or compares: a credential ID is a certificate serial in hex
// (at most 20 octets, RFC 5280 §4.1.2.2), a SAD or token 43 base64url characters; the margins
// only keep a hostile body from being carried further.
inline constexpr std::size_t kMaxIdLength = 128;
inline constexpr std::size_t kMaxTokenLength = 512;
inline constexpr std::size_t kMaxHashes = 1000;  // csc.multisign's bound
// signDoc's documents per call: each is held in memory with its signed copy, and signed and
// time-stamped while the SAD's rows are locked (the service bounds their bytes together,
// csc::Settings::max_document_bytes).
inline constexpr std::size_t kMaxDocuments = 10;

[[noreturn]] inline void invalid(const std::string& description) {
    throw csc::CscError(csc::CscFailure::invalid_request, description);
}

inline std::string missing(std::string_view type, std::string_view name) {
    return "Missing (or invalid type) " + std::string(type) + " parameter " + std::string(name);
}

inline std::string invalid_parameter(std::string_view name) {
    return "Invalid parameter " + std::string(name);
}

}  // namespace signet::api::csc_detail
