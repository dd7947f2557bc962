#include "ops/appliance.hpp"

#include <pwd.h>
#include <unistd.h>

namespace signet::ops {

std::string operator_actor() {
    const passwd* pw = getpwuid(geteuid());
    return "operator:" + std::string(pw != nullptr ? pw->pw_name : std::to_string(geteuid()));
}

std::int64_t integer_option(const Arguments& args, const std::string& name) {
    const std::string text = args.required(name);
    try {
        std::size_t end = 0;
        const long long value = std::stoll(text, &end);
        if (end == text.size())
            return value;
    } catch (const std::exception&) {
    }
    throw UsageError("--" + name + " must be an integer");
}

Appliance::Appliance(const Arguments& args) : store(args) {
    token = hsm::Token::open({config.hsm.module, config.hsm.token, config.hsm.pin, std::size_t{2}});
    audit = std::make_unique<audit::PostgresAuditLog>(*database, clock);
    certificates = std::make_unique<store::PostgresCertificates>(*database);
    subjects = std::make_unique<store::PostgresSubjects>(*database);
}

Appliance::~Appliance() {
    try {
        while (audit && audit->drain(1000) > 0) {
        }
    } catch (const std::exception&) {
        // A running signetd (or the next command) drains what is left.
    }
}

ca::Authority Appliance::authority() {
    return ca::Authority({token, *database, *certificates, *subjects, *audit, clock, config.ca});
}

}  // namespace signet::ops
