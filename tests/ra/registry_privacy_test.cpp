// No document number in the clear anywhere (DESIGN.md invariant 6): after the registry's flows,
// every table of every database of the test cluster (the other tests' too) and the audit log
// are dumped and searched for every number the suite uses, as given and as normalized; every
// error message met on the way is searched too.
#include <boost/test/unit_test.hpp>

#include "ra/evidence_error.hpp"
#include "tests/ra/registry_fixture.hpp"

using namespace signet;
using namespace signet::testing;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> forms_of_every_number() {
    std::vector<std::string> forms;
    for (const auto& number : numbers_used()) {
        forms.push_back(number);
        std::string lower = number;
        for (char& c : lower)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        forms.push_back(lower);
    }
    forms.push_back("11010519491231002Y");  // a refused one
    return forms;
}

// Every row of every table in the public schema of `dsn`, as JSON lines.
std::string dump(const std::string& dsn) {
    store::Database database({.dsn = dsn, .pool_size = 1});
    return database.with_connection([](store::Connection& c) {
        std::string all;
        const auto tables = c.exec(
            "SELECT quote_ident(table_name) FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1");
        for (std::size_t i = 0; i < tables.size(); ++i) {
            const std::string table(tables[i][0].text());
            const auto rows = c.exec("SELECT row_to_json(t)::text FROM " + table + " t");
            for (std::size_t r = 0; r < rows.size(); ++r)
                all += table + ": " + std::string(rows[r][0].text()) + "\n";
        }
        return all;
    });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_privacy)

BOOST_AUTO_TEST_CASE(no_document_number_is_stored_audited_or_echoed_anywhere) {
    RegistryFixture f("registry_privacy");
    std::vector<std::string> messages;
    const auto attempt = [&](auto&& operation) {
        try {
            operation();
            BOOST_ERROR("expected a refusal");
        } catch (const Error& e) {
            messages.emplace_back(e.what());
        }
    };

    // The flows, with numbers given in every form a client might use.
    const auto wang = f.registry->create_person(f.person("王芳", " 11010519491231002x "), "c:t");
    const auto li = f.add_verified_person("李雷", kLiLeiId, 3);
    const auto traveller = f.add_person("John Smith", "e12345678", "passport", "gb");
    attempt([&] { f.add_person("王芳", "11010519491231002Y"); });
    attempt([&] { f.add_person("王 芳", kWangFangId); });
    attempt([&] { f.add_person("J. Smith", kPassport, "passport", "XX"); });
    const auto organization = f.add_organization("腾讯科技", kTencentUscc, li.id);
    attempt([&] { f.add_organization("华为", "914403001922038217", li.id); });
    attempt([&] { f.add_organization("腾讯", kTencentUscc, li.id); });

    const std::string good = f.statement(f.claims("王芳", kWangFangId, "privacy-1"));
    f.registry->attach_evidence(wang.id, {good, kWangFangId, "personal", std::nullopt}, "c:t");
    attempt([&] { f.registry->attach_evidence(wang.id, {good, kWangFangId, {}, {}}, "c:t"); });
    attempt([&] { f.registry->attach_evidence(wang.id, {good, kLiLeiId, {}, {}}, "c:t"); });
    attempt([&] {
        f.registry->attach_evidence(traveller.id,
                                    {f.statement(f.claims("John Smith", kOtherPassport, "privacy-2",
                                                          ra::DocumentKind::passport, "GB")),
                                     kPassport,
                                     {},
                                     {}},
                                    "c:t");
    });
    f.registry->verify_manually(traveller.id, {2, "passport seen at the counter", "E12345678"},
                                "client:officer");
    f.issue(wang.id);
    ra::SubjectUpdate change;
    change.document = ra::DocumentInput{"cn_resident_id", kChenJingId, ""};
    f.registry->update(wang.id, change, "c:t");
    change.document = ra::DocumentInput{"cn_resident_id", kLiLeiId, ""};
    attempt([&] { f.registry->update(wang.id, change, "c:t"); });
    ra::SubjectUpdate code;
    code.credit_code = kHuaweiUscc;
    f.registry->update(organization.id, code, "c:t");
    ra::SubjectFilter filter;
    filter.document = ra::DocumentInput{"passport", kPassport, "GB"};
    BOOST_CHECK_EQUAL(f.registry->list(filter).size(), 1u);
    f.registry->verify_manually(organization.id, {2, "licence seen", kHuaweiUscc}, "c:officer");
    f.registry->grant_agent(
        organization.id, {li.id, {"apply_seal"}, f.clock.now() + 1h, "LOA-7", std::nullopt}, "c:t");
    f.registry->deactivate(wang.id, "closed", "c:t");
    f.audit.drain();

    BOOST_CHECK_GE(messages.size(), 8u);
    const auto forms = forms_of_every_number();
    for (const auto& message : messages)
        for (const auto& number : forms)
            BOOST_CHECK_MESSAGE(message.find(number) == std::string::npos,
                                "a message holds a document number: " << message);

    // Every database of the cluster: this test's and those of the suite's other tests.
    store::Database admin(
        {.dsn = TestCluster::instance().server().dsn("postgres"), .pool_size = 1});
    const auto names = admin.with_connection([](store::Connection& c) {
        const auto rows = c.exec(
            "SELECT datname FROM pg_database WHERE NOT datistemplate AND "
            "datname <> 'postgres' ORDER BY 1");
        std::vector<std::string> out;
        for (std::size_t i = 0; i < rows.size(); ++i)
            out.emplace_back(rows[i][0].text());
        return out;
    });
    BOOST_CHECK(std::ranges::find(names, "registry_privacy") != names.end());
    for (const auto& name : names) {
        const std::string text = dump(TestCluster::instance().server().dsn(name));
        BOOST_TEST_MESSAGE(name << ": " << text.size() << " bytes of rows searched");
        for (const auto& number : forms)
            BOOST_CHECK_MESSAGE(text.find(number) == std::string::npos,
                                "database " << name << " holds a document number");
    }
    // The masked forms are there: the search would have found a number.
    const std::string mine = dump(TestCluster::instance().server().dsn("registry_privacy"));
    BOOST_CHECK(mine.find("1101XXXXXXXXXX002X") != std::string::npos);
    BOOST_CHECK(mine.find("E1XXXXX78") != std::string::npos);
    BOOST_CHECK(mine.find("organization_agents") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
