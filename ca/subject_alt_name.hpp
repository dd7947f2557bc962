#pragma once

#include <openssl/x509.h>

#include <string>
#include <vector>

#include "common/handle.hpp"

namespace signet::ca {

// A certificate's subjectAltName (RFC 5280 §4.2.1.6) for the hosts a TLS server certificate
// names (RFC 6125 §6: a client matches the host it connected to against these entries, not the
// subject's CN). Written in this order: every dNSName, then every iPAddress.

// One entry as it reads: "DNS:localhost", "IP:127.0.0.1", "IP:::1"; another kind of
// GeneralName as "other:N" (its GEN_* type).
using SubjectAltNameEntries = std::vector<std::string>;

// The GeneralNames of `dns_names` (each in preferred name syntax: common/host_names.hpp
// dns_name_problem) and `ip_addresses` (IPv4 or IPv6 literals: ip_address_octets), in that
// order. Errc::invalid_argument naming the first bad entry; both lists empty is an error too.
GeneralNamesPtr make_subject_alt_names(const std::vector<std::string>& dns_names,
                                       const std::vector<std::string>& ip_addresses);

// The entries the template's lists make, in the order make_subject_alt_names writes them
// (IP addresses in their canonical text: "0:0::1" reads "::1").
SubjectAltNameEntries subject_alt_name_entries(const std::vector<std::string>& dns_names,
                                               const std::vector<std::string>& ip_addresses);

// The entries of `cert`'s subjectAltName as it is encoded, in order; empty when it has none.
// Also the problems of each entry (a dNSName not in preferred name syntax, an iPAddress that is
// neither 4 nor 16 octets), one message each, into `problems`.
SubjectAltNameEntries read_subject_alt_names(const X509* cert, std::vector<std::string>& problems);

}  // namespace signet::ca
