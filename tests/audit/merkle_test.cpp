// RFC 9162 §2.1 tree arithmetic (audit/merkle.hpp), in memory: against a naive implementation
// of the RFC's recursive definitions written here, and against Certificate Transparency's
// published known-answer vectors.
#include "audit/merkle.hpp"

#include <openssl/evp.h>

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/error.hpp"

using namespace signet;
using namespace signet::audit;

namespace {

// SHA-256 apart from audit/ and common/digest: OpenSSL's one-shot, over prefix || data.
Hash naive_sha256(std::uint8_t prefix, const Bytes& data) {
    Bytes input{prefix};
    input.insert(input.end(), data.begin(), data.end());
    Hash out{};
    unsigned int size = 0;
    BOOST_REQUIRE(EVP_Digest(input.data(), input.size(), out.data(), &size, EVP_sha256(), nullptr));
    return out;
}

Hash naive_node(const Hash& l, const Hash& r) {
    Bytes both(l.begin(), l.end());
    both.insert(both.end(), r.begin(), r.end());
    return naive_sha256(0x01, both);
}

using Leaves = std::vector<Hash>;

Leaves slice(const Leaves& d, std::size_t from, std::size_t to) {
    return Leaves(d.begin() + static_cast<std::ptrdiff_t>(from),
                  d.begin() + static_cast<std::ptrdiff_t>(to));
}

// "k is the largest power of two smaller than n" — by counting, not by bit tricks.
std::size_t naive_k(std::size_t n) {
    std::size_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

// RFC 9162 §2.1.1 MTH, literally (leaves already hashed).
Hash naive_mth(const Leaves& d) {
    if (d.size() == 1)
        return d[0];
    const std::size_t k = naive_k(d.size());
    return naive_node(naive_mth(slice(d, 0, k)), naive_mth(slice(d, k, d.size())));
}

// §2.1.3.1 PATH(m, D[n]).
Leaves naive_path(std::size_t m, const Leaves& d) {
    if (d.size() == 1)
        return {};
    const std::size_t k = naive_k(d.size());
    Leaves out;
    if (m < k) {
        out = naive_path(m, slice(d, 0, k));
        out.push_back(naive_mth(slice(d, k, d.size())));
    } else {
        out = naive_path(m - k, slice(d, k, d.size()));
        out.push_back(naive_mth(slice(d, 0, k)));
    }
    return out;
}

// §2.1.4.1 SUBPROOF(m, D[n], b).
Leaves naive_subproof(std::size_t m, const Leaves& d, bool b) {
    if (m == d.size())
        return b ? Leaves{} : Leaves{naive_mth(d)};
    const std::size_t k = naive_k(d.size());
    Leaves out;
    if (m <= k) {
        out = naive_subproof(m, slice(d, 0, k), b);
        out.push_back(naive_mth(slice(d, k, d.size())));
    } else {
        out = naive_subproof(m - k, slice(d, k, d.size()), false);
        out.push_back(naive_mth(slice(d, 0, k)));
    }
    return out;
}

// The SubtreeHash a caller holding the leaves in memory gives; it checks the contract of
// audit/merkle.hpp: a power-of-two aligned range or the right edge of the tree of `tree_size`.
SubtreeHash in_memory(const Leaves& d, std::uint64_t tree_size) {
    return [&d, tree_size](std::uint64_t start, std::uint64_t size) {
        BOOST_REQUIRE(size > 0 && start + size <= tree_size);
        const bool aligned = (size & (size - 1)) == 0 && start % size == 0;
        BOOST_REQUIRE(aligned || start + size == tree_size);
        return naive_mth(slice(d, start, start + size));
    };
}

Hash from_hex_hash(std::string_view hex) {
    const Bytes bytes = from_hex(hex);
    BOOST_REQUIRE_EQUAL(bytes.size(), 32u);
    Hash out{};
    std::copy(bytes.begin(), bytes.end(), out.begin());
    return out;
}

std::vector<Hash> hashes(std::initializer_list<std::string_view> hex) {
    std::vector<Hash> out;
    for (auto h : hex)
        out.push_back(from_hex_hash(h));
    return out;
}

Leaves numbered_leaves(std::size_t n) {
    Leaves d;
    for (std::size_t i = 0; i < n; ++i)
        d.push_back(naive_sha256(0x00, Bytes{std::uint8_t(i), std::uint8_t(i * 7), 0x42}));
    return d;
}

// The 8 leaf inputs of Certificate Transparency's reference tree, hashed as RFC 6962 leaves.
Leaves ct_leaves() {
    Leaves d;
    for (auto hex : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                     "606162636465666768696a6b6c6d6e6f"})
        d.push_back(naive_sha256(0x00, from_hex(hex)));
    return d;
}

// Every mutation of a good inclusion proof that verify_inclusion must refuse.
void check_inclusion_tampering(std::uint64_t index, std::uint64_t size, const Hash& leaf,
                               const std::vector<Hash>& proof, const Hash& root) {
    BOOST_TEST_CONTEXT("leaf " << index << " of " << size) {
        BOOST_CHECK(verify_inclusion(index, size, leaf, proof, root));
        for (std::size_t i = 0; i < proof.size(); ++i)
            for (int bit : {0, 3, 255}) {
                auto bad = proof;
                bad[i][static_cast<std::size_t>(bit / 8)] ^= std::uint8_t(1u << (bit % 8));
                BOOST_CHECK(!verify_inclusion(index, size, leaf, bad, root));
            }
        Hash bad_leaf = leaf;
        bad_leaf[31] ^= 1;
        BOOST_CHECK(!verify_inclusion(index, size, bad_leaf, proof, root));
        Hash bad_root = root;
        bad_root[0] ^= 0x80;
        BOOST_CHECK(!verify_inclusion(index, size, leaf, proof, bad_root));
        for (std::uint64_t other : {index + 1, index - 1, index ^ 2})
            if (other != index && other < size + 2)
                BOOST_CHECK(!verify_inclusion(other, size, leaf, proof, root));
        // As for consistency: a size of another height, not one off (the root does not commit
        // to the size; the signed checkpoint does).
        BOOST_CHECK(!verify_inclusion(index, size * 2, leaf, proof, root));
        if (size > 1)
            BOOST_CHECK(!verify_inclusion(index, size / 2, leaf, proof, root));
        auto longer = proof;
        longer.push_back(root);
        BOOST_CHECK(!verify_inclusion(index, size, leaf, longer, root));
        auto front = proof;
        front.insert(front.begin(), leaf);
        BOOST_CHECK(!verify_inclusion(index, size, leaf, front, root));
        if (!proof.empty()) {
            auto shorter = proof;
            shorter.pop_back();
            BOOST_CHECK(!verify_inclusion(index, size, leaf, shorter, root));
        }
    }
}

void check_consistency_tampering(std::uint64_t m, std::uint64_t n, const Hash& root_m,
                                 const Hash& root_n, const std::vector<Hash>& proof) {
    BOOST_TEST_CONTEXT("consistency " << m << " -> " << n) {
        BOOST_CHECK(verify_consistency(m, n, root_m, root_n, proof));
        for (std::size_t i = 0; i < proof.size(); ++i)
            for (int bit : {0, 4, 255}) {
                auto bad = proof;
                bad[i][static_cast<std::size_t>(bit / 8)] ^= std::uint8_t(1u << (bit % 8));
                BOOST_CHECK(!verify_consistency(m, n, root_m, root_n, bad));
            }
        Hash bad = root_m;
        bad[5] ^= 4;
        BOOST_CHECK(!verify_consistency(m, n, bad, root_n, proof));
        bad = root_n;
        bad[5] ^= 4;
        BOOST_CHECK(!verify_consistency(m, n, root_m, bad, proof));
        if (m == n)
            return;
        BOOST_CHECK(!verify_consistency(m, n, root_n, root_m, proof));
        BOOST_CHECK(!verify_consistency(m - 1, n, root_m, root_n, proof));
        BOOST_CHECK(!verify_consistency(m + 1, n, root_m, root_n, proof));
        // A second size one off may share the proof's shape: a root does not commit to its
        // tree's size (the signed checkpoint body does). A size of another height never does.
        BOOST_CHECK(!verify_consistency(m, n * 2, root_m, root_n, proof));
        if (n / 2 >= m && n > 1)
            BOOST_CHECK(!verify_consistency(m, n / 2, root_m, root_n, proof));
        BOOST_CHECK(!verify_consistency(m, n, root_m, root_n, {}));
        auto longer = proof;
        longer.push_back(root_n);
        BOOST_CHECK(!verify_consistency(m, n, root_m, root_n, longer));
        auto front = proof;
        front.insert(front.begin(), proof.front());
        BOOST_CHECK(!verify_consistency(m, n, root_m, root_n, front));
        auto shorter = proof;
        shorter.pop_back();
        BOOST_CHECK(!verify_consistency(m, n, root_m, root_n, shorter));
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(merkle)

BOOST_AUTO_TEST_CASE(empty_tree_is_sha256_of_nothing) {
    BOOST_CHECK_EQUAL(to_hex(empty_tree_hash()),
                      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    BOOST_CHECK(tree_root({}) == empty_tree_hash());
}

// Known answers from a second implementation: transparency-dev/merkle proof/verify_test.go
// (the tree of Certificate Transparency's merkle_tree_test: `roots`, `inclusionProofs` with
// 1-based leaves, `consistencyProofs`), typed in here.
BOOST_AUTO_TEST_CASE(certificate_transparency_reference_tree) {
    const Leaves d = ct_leaves();
    const auto roots = hashes({
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    });
    for (std::size_t n = 1; n <= 8; ++n)
        BOOST_CHECK_EQUAL(to_hex(tree_root(slice(d, 0, n))), to_hex(roots[n - 1]));

    struct Inclusion {
        std::uint64_t leaf;  // 1-based, as in the source
        std::uint64_t size;
        std::vector<Hash> proof;
    };
    const std::vector<Inclusion> inclusions = {
        {1, 1, {}},
        {1, 8, hashes({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                       "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                       "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"})},
        {6, 8, hashes({"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                       "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                       "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
        {3, 3, hashes({"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"})},
        {2, 5, hashes({"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                       "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                       "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"})},
    };
    for (const auto& v : inclusions) {
        const Leaves tree = slice(d, 0, v.size);
        const auto proof = inclusion_proof(v.leaf - 1, v.size, in_memory(tree, v.size));
        BOOST_CHECK(proof == v.proof);
        check_inclusion_tampering(v.leaf - 1, v.size, d[v.leaf - 1], v.proof, roots[v.size - 1]);
    }

    struct Consistency {
        std::uint64_t first;
        std::uint64_t second;
        std::vector<Hash> proof;
    };
    const std::vector<Consistency> consistencies = {
        {1, 1, {}},
        {1, 8, hashes({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                       "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                       "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"})},
        {6, 8, hashes({"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                       "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                       "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
        {2, 5, hashes({"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                       "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"})},
        {6, 7, hashes({"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                       "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                       "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
    };
    for (const auto& v : consistencies) {
        const Leaves tree = slice(d, 0, v.second);
        BOOST_CHECK(consistency_proof(v.first, v.second, in_memory(tree, v.second)) == v.proof);
        check_consistency_tampering(v.first, v.second, roots[v.first - 1], roots[v.second - 1],
                                    v.proof);
    }
}

// Every tree of 1..64 leaves: the root, every leaf's PATH and every PROOF(m, n) equal the
// naive recursive definitions, verify, and refuse every tampering.
BOOST_AUTO_TEST_CASE(every_tree_up_to_64_leaves_matches_the_definitions) {
    const Leaves all = numbered_leaves(64);
    for (std::uint64_t n = 1; n <= 64; ++n) {
        const Leaves d = slice(all, 0, n);
        const Hash root = tree_root(d);
        BOOST_REQUIRE(root == naive_mth(d));
        for (std::uint64_t m = 0; m < n; ++m) {
            const auto proof = inclusion_proof(m, n, in_memory(d, n));
            BOOST_REQUIRE(proof == naive_path(m, d));
            if (n <= 20 || m % 7 == 0)
                check_inclusion_tampering(m, n, d[m], proof, root);
            else
                BOOST_CHECK(verify_inclusion(m, n, d[m], proof, root));
        }
        for (std::uint64_t m = 1; m <= n; ++m) {
            const auto proof = consistency_proof(m, n, in_memory(d, n));
            BOOST_REQUIRE(proof == naive_subproof(m, d, true));
            const Hash root_m = naive_mth(slice(d, 0, m));
            if (n <= 20 || m % 7 == 0)
                check_consistency_tampering(m, n, root_m, root, proof);
            else
                BOOST_CHECK(verify_consistency(m, n, root_m, root, proof));
        }
    }
}

BOOST_AUTO_TEST_CASE(bad_arguments) {
    const Leaves d = numbered_leaves(4);
    const auto subtree = in_memory(d, 4);
    BOOST_CHECK_EXCEPTION(inclusion_proof(4, 4, subtree), Error,
                          [](const Error& e) { return e.code() == Errc::invalid_argument; });
    BOOST_CHECK_EXCEPTION(inclusion_proof(0, 0, subtree), Error,
                          [](const Error& e) { return e.code() == Errc::invalid_argument; });
    BOOST_CHECK_EXCEPTION(consistency_proof(0, 4, subtree), Error,
                          [](const Error& e) { return e.code() == Errc::invalid_argument; });
    BOOST_CHECK_EXCEPTION(consistency_proof(5, 4, subtree), Error,
                          [](const Error& e) { return e.code() == Errc::invalid_argument; });
    const Hash root = tree_root(d);
    BOOST_CHECK(!verify_inclusion(0, 0, d[0], {}, root));
    BOOST_CHECK(!verify_consistency(0, 4, empty_tree_hash(), root, {}));
    BOOST_CHECK(!verify_consistency(4, 2, root, root, {}));
    // A one-leaf tree: its root is the leaf and the proof is empty.
    BOOST_CHECK(verify_inclusion(0, 1, d[0], {}, d[0]));
    BOOST_CHECK(!verify_inclusion(0, 1, d[0], {}, d[1]));
    BOOST_CHECK(!verify_inclusion(0, 1, d[0], std::vector<Hash>{d[1]}, d[0]));
}

BOOST_AUTO_TEST_SUITE_END()
