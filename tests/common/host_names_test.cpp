// How hosts are named in a subjectAltName: DNS names in preferred name syntax, IP address literals.
#include "common/host_names.hpp"

#include <boost/test/unit_test.hpp>

using namespace signet;

BOOST_AUTO_TEST_SUITE(host_names)

BOOST_AUTO_TEST_CASE(dns_names_are_ldh_labels_without_trailing_dot_or_wildcard) {
    const std::string label63(63, 'a');
    // 4 labels of 63 and 61 characters with 3 dots: 253 characters, the most a name has.
    const std::string longest =
        label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
    BOOST_REQUIRE_EQUAL(longest.size(), 253u);
    for (const std::string& fine :
         {std::string("localhost"), std::string("signet.example.com"), std::string("a-b.c"),
          std::string("3com.com") /* RFC 1123 §2.1: a label may start with a digit */,
          std::string("xn--bcher-kva.example") /* an A-label */, std::string("EXAMPLE.Com"),
          label63 + ".example", longest}) {
        BOOST_CHECK_MESSAGE(!dns_name_problem(fine), fine << ": " << *dns_name_problem(fine));
    }
    const std::pair<std::string, std::string> refused[] = {
        {"", "a DNS name is empty"},
        {"example.com.", "ends with a dot"},
        {".", "ends with a dot"},
        {"*.example.com", "is a wildcard"},
        {"*", "is a wildcard"},
        {"a*.example.com", "a character other than"},
        {"under_score.example", "a character other than"},
        {"sp ace.example", "a character other than"},
        {"b\xC3\xBC"
         "cher.example",
         "a character other than"},  // a U-label: write its A-label
        {"-lead.example", "starts or ends with '-'"},
        {"trail-.example", "starts or ends with '-'"},
        {"a..b", "an empty label"},
        {".example", "an empty label"},
        {label63 + "a.example", "a label of 64 characters; at most 63"},
        {longest + "b", "has 254 characters; at most 253"},
        {"127.0.0.1", "all-digit label"},
        {"example.123", "all-digit label"},
        {"evil\xE2\x80\xAE"
         "moc.example",
         "a character other than"},
    };
    for (const auto& [name, needle] : refused) {
        const auto problem = dns_name_problem(name);
        BOOST_REQUIRE_MESSAGE(problem, "accepted: " << name);
        BOOST_CHECK_MESSAGE(problem->find(needle) != std::string::npos,
                            "'" << *problem << "' does not say '" << needle << "'");
    }
    // The name is quoted with its hidden characters escaped.
    BOOST_CHECK(dns_name_problem("evil\xE2\x80\xAE"
                                 "moc.example")
                    ->find("\\u{202E}") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(ip_addresses_are_literals_in_network_byte_order) {
    BOOST_CHECK((ip_address_octets("127.0.0.1") == Bytes{127, 0, 0, 1}));
    BOOST_CHECK((ip_address_octets("255.255.255.255") == Bytes{255, 255, 255, 255}));
    Bytes loopback6(16, 0);
    loopback6[15] = 1;
    BOOST_CHECK(ip_address_octets("::1") == loopback6);
    BOOST_CHECK(ip_address_octets("0:0:0:0:0:0:0:1") == loopback6);
    const auto documentation = ip_address_octets("2001:DB8::1");
    BOOST_REQUIRE(documentation);
    BOOST_CHECK_EQUAL(to_hex(*documentation), "20010db8000000000000000000000001");
    for (const char* refused : {"", "localhost", "127.0.0.1.", "1.2.3", "256.1.1.1", "1.2.3.4.5",
                                "127.000.000.001", "fe80::1%eth0", "10.0.0.0/8", "::1/128",
                                " 127.0.0.1", "127.0.0.1 ", "1::2::3", "[::1]"}) {
        BOOST_CHECK_MESSAGE(!ip_address_octets(refused), "accepted: '" << refused << "'");
    }
    BOOST_CHECK(!ip_address_octets(std::string(46, '1')));

    // Back to text in RFC 5952's canonical form.
    BOOST_CHECK_EQUAL(ip_address_text(*ip_address_octets("0:0::1")), "::1");
    BOOST_CHECK_EQUAL(ip_address_text(*ip_address_octets("2001:DB8:0:0:0:0:0:1")), "2001:db8::1");
    BOOST_CHECK_EQUAL(ip_address_text(Bytes{10, 0, 0, 1}), "10.0.0.1");
    BOOST_CHECK_EQUAL(ip_address_text(Bytes{1, 2, 3}), "invalid(010203)");
}

BOOST_AUTO_TEST_SUITE_END()
