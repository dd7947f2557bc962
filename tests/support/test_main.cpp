// The Boost.Test entry point of every test executable.
#define BOOST_TEST_MODULE signet
#include <boost/test/unit_test.hpp>

#include "common/secret.hpp"

namespace {
// As signetd and signetctl do at start: secrets live in OpenSSL's secure heap.
struct SecureHeap {
    SecureHeap() { signet::init_secure_heap(); }
};
}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(SecureHeap);
