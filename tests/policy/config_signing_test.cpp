// signet.yaml's signing section: contracts' deadlines and the seal approval rules (issue 13),
// read into plain structs; each mistake reported at its FILE:LINE:COLUMN.
#include <boost/test/unit_test.hpp>

#include "tests/policy/config_fixture.hpp"

using namespace signet;
using namespace signet::policy;
using namespace signet::policy::testing;

BOOST_AUTO_TEST_SUITE(config_signing)

BOOST_AUTO_TEST_CASE(defaults_hold_when_the_section_is_absent) {
    Fixture f;
    const Config c = f.load(Fixture::base());
    BOOST_CHECK_EQUAL(c.signing.contract_validity_days, 30u);
    BOOST_CHECK_EQUAL(c.signing.max_contract_validity_days, 366u);
    BOOST_CHECK_EQUAL(c.signing.retention_years, 10u);
    BOOST_CHECK(c.signing.seal_approvals.empty());
}

BOOST_AUTO_TEST_CASE(seal_approval_rules_by_type_amount_or_always) {
    Fixture f;
    const Config c = f.load(Fixture::base() +
                            "signing:\n"
                            "  contract_validity_days: 14\n"
                            "  max_contract_validity_days: 60\n"
                            "  retention_years: 30\n"
                            "  seal_approvals:\n"
                            "    - {contract_type: loan, approvals: 1}\n"
                            "    - {min_amount: {minor_units: 100000000, currency: CNY}, "
                            "approvals: 2}\n"
                            "    - {approvals: 1}\n");
    BOOST_CHECK_EQUAL(c.signing.contract_validity_days, 14u);
    BOOST_CHECK_EQUAL(c.signing.max_contract_validity_days, 60u);
    BOOST_CHECK_EQUAL(c.signing.retention_years, 30u);
    const auto& rules = c.signing.seal_approvals;
    BOOST_REQUIRE_EQUAL(rules.size(), 3u);
    BOOST_CHECK_EQUAL(*rules[0].contract_type, "loan");
    BOOST_CHECK(!rules[0].min_amount_minor);
    BOOST_CHECK_EQUAL(rules[0].approvals, 1u);
    BOOST_CHECK(!rules[1].contract_type);
    BOOST_CHECK_EQUAL(*rules[1].min_amount_minor, 100000000);
    BOOST_CHECK_EQUAL(rules[1].min_amount_currency, "CNY");
    BOOST_CHECK_EQUAL(rules[1].approvals, 2u);
    BOOST_CHECK(!rules[2].contract_type && !rules[2].min_amount_minor);
}

BOOST_AUTO_TEST_CASE(mistakes_are_reported_where_they_are) {
    Fixture f;
    const std::string yaml = Fixture::base() +
                             "signing:\n"
                             "  contract_validity_days: 400\n"
                             "  max_contract_validity_days: 365\n"
                             "  retention_years: 0\n"
                             "  seal_approvals:\n"
                             "    - {contract_type: Loan!, approvals: 0}\n"
                             "    - {min_amount: {minor_units: 5, currency: yuan}}\n"
                             "    - {aprovals: 1}\n";
    const std::string message = f.error(yaml);
    check_line(message, place(f, yaml, "contract_validity_days: 400", "400") +
                            "signing.contract_validity_days: must be at most "
                            "max_contract_validity_days (365)");
    check_line(message, place(f, yaml, "retention_years: 0", "0") +
                            "signing.retention_years: 0 is not a number of years (1-100)");
    check_line(message, place(f, yaml, "Loan!", "Loan!") +
                            "signing.seal_approvals[0].contract_type: must be 1-64 of a-z, 0-9, "
                            "'_', '.', '-'");
    check_line(message, place(f, yaml, "approvals: 0", "0") +
                            "signing.seal_approvals[0].approvals: 0 is not a number of approvals "
                            "(1-10)");
    check_line(message, place(f, yaml, "currency: yuan", "yuan") +
                            "signing.seal_approvals[1].min_amount.currency: must be an ISO 4217 "
                            "alphabetic code (three capitals, e.g. CNY)");
    check_line(message, place(f, yaml, "{min_amount", "{") +
                            "signing.seal_approvals[1].approvals: is required");
    check_line(message, place(f, yaml, "aprovals", "aprovals") +
                            "signing.seal_approvals[2].aprovals: unknown key (did you mean "
                            "'approvals'?)");
}

BOOST_AUTO_TEST_SUITE_END()
