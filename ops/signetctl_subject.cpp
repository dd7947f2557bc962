#include "ops/signetctl_subject.hpp"

#include <unistd.h>

#include <iomanip>
#include <iostream>

#include "common/error.hpp"
#include "ops/appliance.hpp"
#include "ra/otp_limits.hpp"
#include "ra/registry.hpp"
#include "ra/settings.hpp"
#include "store/otp.hpp"

namespace signet::ops {

const char* const kSubjectUsage =
    R"(RA officer commands (option --config FILE, or SIGNET_CONFIG). A document number or credit
code is read from standard input, one line, never from the command line (ps shows that to
every user of the machine):
  subject add --kind person --name NAME --document-kind cn_resident_id|passport
              [--country CC] --mobile +E164 [--email E] [--organization O]
  subject add --kind organization --name NAME --legal-representative ID
                                         create a subject, at assurance level 0
  subject verify ID --level L --reason TEXT
                                         record your verification in person (the document
                                         number is checked against the stored keyed hash)
  subject update ID [--name N] [--mobile M] [--email E] [--organization O]
              [--document-kind K [--country CC]] [--legal-representative ID]
                                         change attributes; a name or document change revokes
                                         the subject's certificates (superseded)
  subject deactivate ID --reason TEXT    deactivate; revokes every certificate
  subject show ID                        one subject
  subject list [--kind K] [--status S] [--min-level L]
  subject unlock-otp ID                  lift a subject's one-time-password lockout
)";

namespace {

// The subject id: the word after the command pair.
std::int64_t subject_id_argument(const Arguments& args) {
    if (args.words.size() != 3)
        throw UsageError("'" + args.words[0] + " " + args.words[1] + "' needs exactly one ID");
    const std::string& text = args.words[2];
    std::size_t end = 0;
    long long id = 0;
    try {
        id = std::stoll(text, &end);
    } catch (const std::exception&) {
        end = 0;
    }
    if (end != text.size() || id < 1)
        throw UsageError("the subject ID is a positive integer, not '" + text + "'");
    return id;
}

// One line of standard input: the number, never echoed back.
std::string number_from_stdin(const std::string& what) {
    if (isatty(STDIN_FILENO) != 0)
        std::cerr << what << ": " << std::flush;
    std::string line;
    if (!std::getline(std::cin, line) || line.empty())
        throw UsageError("the " + what + " is read from standard input (one line); none was given");
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return line;
}

// The RA over the appliance: the registry revokes through the appliance's CA.
struct Ra {
    Appliance appliance;
    ca::Authority authority;
    ra::Registry registry;

    explicit Ra(const Arguments& args)
        : appliance(args),
          authority(appliance.authority()),
          registry(ra::registry_dependencies(
              appliance.config, appliance.token, *appliance.database, *appliance.audit,
              appliance.clock,
              ca::subject_revoker(authority))) {}
};

void print_subject(const store::Subject& s) {
    std::cout << "id:             " << s.id << "\n"
              << "kind:           " << s.kind << "\n"
              << "status:         " << s.status << "\n"
              << "name:           " << s.name << "\n";
    if (!s.organization.empty())
        std::cout << "organization:   " << s.organization << "\n";
    std::cout << "document:       " << (s.document_kind.empty() ? "-" : s.document_kind) << " "
              << s.id_masked << " (" << s.country << ")\n"
              << "assurance:      " << s.assurance_level
              << (s.verification_method.empty() ? "" : " (" + s.verification_method + ")") << "\n";
    if (!s.mobile.empty())
        std::cout << "mobile:         " << s.mobile << "\n";
    if (!s.email.empty())
        std::cout << "e-mail:         " << s.email << "\n";
    if (s.legal_representative_id)
        std::cout << "legal rep.:     subject " << *s.legal_representative_id << "\n";
    std::cout << "created:        " << format_utc(s.created_at) << "\n";
    if (s.verified_at)
        std::cout << "verified:       " << format_utc(*s.verified_at) << "\n";
    if (s.deactivated_at)
        std::cout << "deactivated:    " << format_utc(*s.deactivated_at) << "\n";
}

void print_changed(const ra::Registry::Changed& changed) {
    print_subject(changed.subject);
    for (const auto& serial : changed.revoked)
        std::cout << "revoked:        " << serial << "\n";
    if (changed.reverification_required)
        std::cout << "the subject must be verified again before the CA issues for it\n";
}

int subject_add(const Arguments& args) {
    const std::string kind = args.required("kind");
    if (kind == "person") {
        args.allow({"config", "kind", "name", "document-kind", "country", "mobile", "email",
                    "organization"});
        ra::PersonInput input;
        input.name = args.required("name");
        input.document.kind = args.required("document-kind");
        input.document.country = args.option("country", nullptr, "");
        input.mobile = args.required("mobile");
        if (args.options.contains("email"))
            input.email = args.options.at("email");
        input.organization = args.option("organization", nullptr, "");
        input.document.number = number_from_stdin("document number");
        Ra ra(args);
        print_subject(ra.registry.create_person(input, operator_actor()));
        return 0;
    }
    if (kind == "organization") {
        args.allow({"config", "kind", "name", "legal-representative"});
        ra::OrganizationInput input;
        input.name = args.required("name");
        input.legal_representative_id = integer_option(args, "legal-representative");
        input.credit_code = number_from_stdin("unified social credit code");
        Ra ra(args);
        print_subject(ra.registry.create_organization(input, operator_actor()));
        return 0;
    }
    throw UsageError("--kind is person or organization");
}

int subject_verify(const Arguments& args) {
    args.allow({"config", "level", "reason"});
    const auto id = subject_id_argument(args);
    ra::ManualVerification verification;
    const auto level = integer_option(args, "level");
    if (level < 1 || level > 10)
        throw UsageError("--level is 1 to identity.max_assurance_level");
    verification.level = static_cast<unsigned>(level);
    verification.reason = args.required("reason");
    verification.document_number = number_from_stdin("document number");
    Ra ra(args);
    print_subject(ra.registry.verify_manually(id, verification, operator_actor()));
    return 0;
}

int subject_update(const Arguments& args) {
    args.allow({"config", "name", "mobile", "email", "organization", "document-kind", "country",
                "legal-representative"});
    const auto id = subject_id_argument(args);
    ra::SubjectUpdate update;
    const auto take = [&](const char* name, std::optional<std::string>& into) {
        if (args.options.contains(name))
            into = args.options.at(name);
    };
    take("name", update.name);
    take("mobile", update.mobile);
    take("email", update.email);
    take("organization", update.organization);
    if (args.options.contains("legal-representative"))
        update.legal_representative_id = integer_option(args, "legal-representative");
    if (args.options.contains("country") && !args.options.contains("document-kind"))
        throw UsageError("--country goes with --document-kind");
    Ra ra(args);
    if (args.options.contains("document-kind")) {
        const std::string document_kind = args.options.at("document-kind");
        const std::string number = number_from_stdin("document number");
        if (document_kind == "cn_uscc")
            update.credit_code = number;
        else
            update.document = ra::DocumentInput{document_kind, number,
                                                args.option("country", nullptr, "")};
    }
    print_changed(ra.registry.update(id, update, operator_actor()));
    return 0;
}

int subject_deactivate(const Arguments& args) {
    args.allow({"config", "reason"});
    const auto id = subject_id_argument(args);
    const std::string reason = args.required("reason");
    Ra ra(args);
    print_changed(ra.registry.deactivate(id, reason, operator_actor()));
    return 0;
}

int subject_show(const Arguments& args) {
    args.allow({"config"});
    const auto id = subject_id_argument(args);
    Ra ra(args);
    const auto subject = ra.registry.find(id);
    if (!subject)
        throw Error(Errc::not_found, "no subject " + std::to_string(id));
    print_subject(*subject);
    return 0;
}

int subject_list(const Arguments& args) {
    args.allow({"config", "kind", "status", "min-level"});
    ra::SubjectFilter filter;
    if (args.options.contains("kind"))
        filter.kind = args.options.at("kind");
    if (args.options.contains("status"))
        filter.status = args.options.at("status");
    if (args.options.contains("min-level"))
        filter.min_level = static_cast<int>(integer_option(args, "min-level"));
    filter.limit = 500;
    Ra ra(args);
    std::cout << std::left << std::setw(8) << "ID" << std::setw(14) << "KIND" << std::setw(13)
              << "STATUS" << std::setw(10) << "ASSURANCE" << std::setw(20) << "DOCUMENT"
              << "NAME\n";
    for (;;) {
        const auto page = ra.registry.list(filter);
        for (const auto& s : page) {
            std::cout << std::left << std::setw(8) << s.id << std::setw(14) << s.kind
                      << std::setw(13) << s.status << std::setw(10) << s.assurance_level
                      << std::setw(20) << (s.id_masked.empty() ? "-" : s.id_masked) << s.name
                      << "\n";
        }
        if (page.size() < filter.limit)
            break;
        filter.after_id = page.back().id;
    }
    return 0;
}

int subject_unlock_otp(const Arguments& args) {
    args.allow({"config"});
    const auto id = subject_id_argument(args);
    Appliance appliance(args);
    store::PostgresOtp otp_store;
    ra::OtpLockouts lockouts(*appliance.database, otp_store, *appliance.audit, appliance.clock,
                             ra::otp_policy(appliance.config.otp));
    std::cout << (lockouts.unlock(id, operator_actor())
                      ? "subject " + std::to_string(id) + ": one-time passwords unlocked\n"
                      : "subject " + std::to_string(id) + " was not locked\n");
    return 0;
}

}  // namespace

std::optional<int> run_subject_command(const Arguments& args) {
    const auto& w = args.words;
    if (w.size() < 2 || w[0] != "subject")
        return std::nullopt;
    const std::string& action = w[1];
    if (action == "add" && w.size() == 2)
        return subject_add(args);
    if (action == "list" && w.size() == 2)
        return subject_list(args);
    if (action == "verify")
        return subject_verify(args);
    if (action == "update")
        return subject_update(args);
    if (action == "deactivate")
        return subject_deactivate(args);
    if (action == "show")
        return subject_show(args);
    if (action == "unlock-otp")
        return subject_unlock_otp(args);
    return std::nullopt;
}

}  // namespace signet::ops
