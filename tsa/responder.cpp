#include "tsa/responder.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdio>
#include <ctime>

#include "common/error.hpp"

namespace signet::tsa {

namespace {

using std::chrono::microseconds;

std::size_t digest_index(Digest digest) {
    switch (digest) {
        case Digest::sha256:
            return 0;
        case Digest::sha384:
            return 1;
        case Digest::sha512:
            return 2;
    }
    return 0;
}

// A certificate as decoded from DER keeps its encoding, so later encodings (the ESSCertIDv2
// hash, the certificates field) only read it: one object can then serve many threads.
X509Ptr decoded_copy(const X509* certificate) {
    if (certificate == nullptr)
        throw Error(Errc::invalid_argument, "the TSA needs its certificate");
    const Bytes der = to_der(i2d_X509, certificate);
    const unsigned char* p = der.data();
    X509Ptr copy(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!copy)
        throw_openssl_error("cannot decode the TSA certificate");
    return copy;
}

Clock::time_point to_time_point(const ASN1_TIME* time) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(time, &tm) != 1)
        throw_openssl_error("cannot read a certificate's validity");
    // Beyond 2262 (e.g. RFC 5280's 99991231235959Z) is later than any token's genTime: the end
    // of time; before 1678, the beginning.
    const std::time_t seconds = timegm(&tm);
    if (const auto instant = from_unix_seconds(seconds))
        return *instant;
    return seconds > 0 ? Clock::time_point::max() : Clock::time_point::min();
}

// genTime cut (not rounded: the datum existed at the earlier instant too) to `digits`
// fractional digits.
Clock::time_point cut_to_precision(Clock::time_point t, unsigned digits) {
    const long long step = policy::precision_step(digits).count();
    const auto us = std::chrono::floor<microseconds>(t.time_since_epoch()).count();
    const long long cut = us - (((us % step) + step) % step);
    return Clock::time_point(
        std::chrono::duration_cast<Clock::time_point::duration>(microseconds(cut)));
}

// The GeneralizedTime genTime must carry (RFC 3161 §2.4.2: UTC, "Z", the fraction without
// trailing zeros, no fraction when it is zero): the responder checks OpenSSL's text against it.
std::string generalized_time(Clock::time_point t, unsigned digits) {
    const auto us = std::chrono::floor<microseconds>(t.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(us / 1'000'000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[40];
    std::snprintf(text, sizeof text, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    std::string out = text;
    if (digits > 0) {
        char fraction[8];
        std::snprintf(fraction, sizeof fraction, "%06lld", static_cast<long long>(us % 1'000'000));
        std::string f(fraction, digits);
        while (!f.empty() && f.back() == '0')
            f.pop_back();
        if (!f.empty())
            out += "." + f;
    }
    return out + "Z";
}

// What the TS_RESP_CTX callbacks hand to OpenSSL for one request.
struct CallData {
    const ASN1_INTEGER* serial;
    long seconds;
    long microseconds;
};

ASN1_INTEGER* serial_callback(TS_RESP_CTX*, void* data) {
    return ASN1_INTEGER_dup(static_cast<CallData*>(data)->serial);
}

int time_callback(TS_RESP_CTX*, void* data, long* seconds, long* micros) {
    const auto* call = static_cast<CallData*>(data);
    *seconds = call->seconds;
    *micros = call->microseconds;
    return 1;
}

// tsa_tokens.imprint_algorithm: "sha256", "sha384", "sha512".
std::string algorithm_column(Digest digest) {
    switch (digest) {
        case Digest::sha256:
            return "sha256";
        case Digest::sha384:
            return "sha384";
        case Digest::sha512:
            return "sha512";
    }
    return "";
}

// A throwaway key of the TSA key's type and size, for the template's sample (token_template.hpp):
// the sample's structure depends on the key's algorithm, never on the key itself.
EvpPkeyPtr stand_in_key(const EVP_PKEY* tsa_public_key) {
    EVP_PKEY* made = nullptr;
    if (EVP_PKEY_is_a(tsa_public_key, "EC")) {
        char group[80] = {};
        std::size_t length = 0;
        if (EVP_PKEY_get_group_name(tsa_public_key, group, sizeof group, &length) != 1)
            throw_openssl_error("cannot read the TSA key's curve");
        made = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group);
    } else if (EVP_PKEY_is_a(tsa_public_key, "RSA")) {
        made = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA",
                                 static_cast<std::size_t>(EVP_PKEY_get_bits(tsa_public_key)));
    } else {
        throw Error(Errc::invalid_argument, "the TSA key is neither EC nor RSA");
    }
    if (made == nullptr)
        throw_openssl_error("cannot make the template's stand-in key");
    return EvpPkeyPtr(made);
}

// The results counted in signet_tsa_responses_total, in a fixed order.
constexpr std::array<std::string_view, 9> kResults{
    "granted",          "badAlg",           "badRequest",          "badDataFormat",
    "timeNotAvailable", "unacceptedPolicy", "unacceptedExtension", "addInfoNotAvailable",
    "systemFailure"};

const char* const kSystemFailureText = "the TSA cannot issue a time-stamp now (system failure)";

}  // namespace

ClockVerdict assess_clock(const Clock::Health& health, const policy::TsaSettings& settings) {
    const auto accuracy = std::chrono::duration_cast<microseconds>(settings.accuracy);
    const auto step = policy::precision_step(settings.precision);
    const auto bound = health.maximum_error + step;
    const std::string sum = "maximum error " + std::to_string(health.maximum_error.count()) +
                            " us + precision step " + std::to_string(step.count()) + " us";
    std::string problem;
    if (!health.synchronized) {
        problem = health.detail.empty() ? "the clock is not synchronised" : health.detail;
    } else if (bound > accuracy) {
        problem = "the clock's " + sum + " exceed the accuracy of the tokens (" +
                  std::to_string(accuracy.count()) + " us)";
    }
    if (problem.empty())
        return {true, false,
                "synchronised, " + sum + " within " + std::to_string(accuracy.count()) + " us"};
    if (settings.allow_unsynchronized_clock)
        return {true, true,
                problem + "; issuing anyway (tsa.allow_unsynchronized_clock: development only)"};
    return {false, false, problem};
}

Responder::Responder(ResponderOptions options) : options_(std::move(options)) {
    if (!options_.clock || !options_.serials || !options_.journal)
        throw Error(Errc::invalid_argument, "the TSA needs a clock, a serial source and a journal");
    if (!options_.identity.key)
        throw Error(Errc::invalid_argument, "the TSA needs its key");
    identity_.certificate = decoded_copy(options_.identity.certificate.get());
    for (const auto& ca : options_.identity.chain)
        identity_.chain.push_back(decoded_copy(ca.get()));
    identity_.key = std::move(options_.identity.key);
    options_.identity = {};
    // Fetched once: given EVP_sha256() (no provider), OpenSSL's TS signing would fetch the
    // digest again for every token.
    for (Digest d : {Digest::sha256, Digest::sha384, Digest::sha512}) {
        digests_[digest_index(d)].reset(
            EVP_MD_fetch(nullptr, std::string(to_string(d)).c_str(), nullptr));
        if (!digests_[digest_index(d)])
            throw_openssl_error("cannot fetch " + std::string(to_string(d)));
    }

    X509* certificate = identity_.certificate.get();
    // RFC 3161 §2.3: "The corresponding certificate MUST contain only one instance of the
    // extended key usage field extension ... with KeyPurposeID having value: id-kp-timeStamping.
    // This extension MUST be critical." OpenSSL's time-stamping purpose checks exactly that
    // (and that a key usage, if present, allows digitalSignature or nonRepudiation only).
    if (X509_check_purpose(certificate, X509_PURPOSE_TIMESTAMP_SIGN, 0) != 1) {
        clear_openssl_errors();
        throw Error(Errc::invalid_argument,
                    "the TSA certificate is not a time-stamping certificate (RFC 3161 section 2.3: "
                    "extended key usage id-kp-timeStamping only, critical)");
    }
    if (X509_check_private_key(certificate, identity_.key.get()) != 1) {
        clear_openssl_errors();
        throw Error(Errc::invalid_argument, "the TSA key is not the TSA certificate's key");
    }
    const Bytes der = to_der(i2d_X509, static_cast<const X509*>(certificate));
    certificate_sha256_.resize(32);
    unsigned int size = 0;
    check_openssl(EVP_Digest(der.data(), der.size(), certificate_sha256_.data(), &size,
                             EVP_sha256(), nullptr),
                  "cannot hash the TSA certificate");
    not_before_ = to_time_point(X509_get0_notBefore(certificate));
    not_after_ = to_time_point(X509_get0_notAfter(certificate));
    // Now, so that a setting OpenSSL refuses, or a template that does not reproduce OpenSSL's
    // token, shows at start and not at the first request.
    make_template();

    if (options_.metrics) {
        // Children looked up once: counting a response is then one atomic add.
        auto& family = options_.metrics->counter(
            "signet_tsa_responses_total", "TimeStampResp answers, by result (granted or failInfo)",
            {"result"});
        for (std::size_t i = 0; i < kResults.size(); ++i)
            responses_[i] = &family.with({kResults[i]});
        options_.metrics->gauge_callback(
            "signet_tsa_clock_usable",
            "1 when the TSA may read genTime from the clock (synchronised within the accuracy, "
            "or allowed unsynchronised), else 0: timeNotAvailable",
            [this] { return clock_verdict().usable ? 1.0 : 0.0; });
        options_.metrics->gauge_callback(
            "signet_tsa_certificate_not_after_seconds",
            "The TSA certificate's notAfter, as a Unix time", [this] {
                return static_cast<double>(
                    std::chrono::duration_cast<std::chrono::seconds>(not_after_.time_since_epoch())
                        .count());
            });
    }
}

Responder::~Responder() = default;

TsRespCtxPtr Responder::make_context(X509* signer, EVP_PKEY* key) const {
    const policy::TsaSettings& s = options_.settings;
    TsRespCtxPtr ctx(TS_RESP_CTX_new());
    if (!ctx)
        throw_openssl_error("cannot make a TS_RESP_CTX");
    check_openssl(TS_RESP_CTX_set_signer_cert(ctx.get(), signer), "the TSA certificate is refused");
    check_openssl(TS_RESP_CTX_set_signer_key(ctx.get(), key), "the TSA key is refused");
    check_openssl(TS_RESP_CTX_set_signer_digest(ctx.get(), digest(s.signing_digest)),
                  "the signing digest is refused");
    // RFC 5816: ESSCertIDv2 (signing-certificate-v2) with SHA-256, not SHA-1's ESSCertID.
    check_openssl(TS_RESP_CTX_set_ess_cert_id_digest(ctx.get(), digest(Digest::sha256)),
                  "the ESSCertIDv2 digest is refused");
    Asn1ObjectPtr policy(OBJ_txt2obj(s.policy_oid.c_str(), 1));
    if (!policy)
        throw Error(Errc::invalid_argument, "tsa.policy_oid '" + s.policy_oid + "' is not an OID");
    check_openssl(TS_RESP_CTX_set_def_policy(ctx.get(), policy.get()), "the policy is refused");
    for (const auto& accepted : s.accepted_policies) {
        Asn1ObjectPtr oid(OBJ_txt2obj(accepted.c_str(), 1));
        if (!oid)
            throw Error(Errc::invalid_argument, "'" + accepted + "' is not an OID");
        check_openssl(TS_RESP_CTX_add_policy(ctx.get(), oid.get()), "a policy is refused");
    }
    // The digests the sample's context accepts (its request uses the first); check_request
    // decides for a client's request.
    for (Digest d : s.digests)
        check_openssl(TS_RESP_CTX_add_md(ctx.get(), digest(d)), "a digest is refused");
    // RFC 3161 §2.4.2: accuracy as seconds, millis, micros; within 1 s by the policy.
    const auto ms = s.accuracy.count();
    check_openssl(TS_RESP_CTX_set_accuracy(ctx.get(), ms >= 1000 ? static_cast<int>(ms / 1000) : 0,
                                           static_cast<int>(ms % 1000), 0),
                  "the accuracy is refused");
    check_openssl(TS_RESP_CTX_set_clock_precision_digits(ctx.get(), s.precision),
                  "the precision is refused");
    if (s.include_tsa_name)
        TS_RESP_CTX_add_flags(ctx.get(), TS_TSA_NAME);
    if (s.include_chain && !identity_.chain.empty()) {
        X509StackPtr chain(sk_X509_new_null());
        for (const auto& ca : identity_.chain) {
            if (!chain || sk_X509_push(chain.get(), ca.get()) <= 0)
                throw_openssl_error("cannot list the chain");
            X509_up_ref(ca.get());
        }
        check_openssl(TS_RESP_CTX_set_certs(ctx.get(), chain.get()), "the chain is refused");
        // The chain's ESSCertIDv2 follow the TSA certificate's (RFC 5035 §5.4: the first
        // identifies the signing certificate).
        TS_RESP_CTX_add_flags(ctx.get(), TS_ESS_CERT_ID_CHAIN);
    }
    return ctx;
}

void Responder::make_template() {
    const policy::TsaSettings& s = options_.settings;
    // The sample request: the first accepted digest over zeros, the default policy, certReq
    // TRUE (so the template holds the certificates), no nonce.
    const Digest imprint_digest = s.digests.empty() ? Digest::sha256 : s.digests.front();
    Bytes algorithm = to_der(i2d_ASN1_OBJECT, static_cast<const ASN1_OBJECT*>(OBJ_nid2obj(
                                                  EVP_MD_get_type(digest(imprint_digest)))));
    algorithm.insert(algorithm.end(), {0x05, 0x00});
    Bytes imprint = der_tlv(0x30, algorithm);
    append_der_tlv(imprint, 0x04, Bytes(digest_size(imprint_digest), 0));
    const Bytes message_imprint = der_tlv(0x30, imprint);
    Bytes body = {0x02, 0x01, 0x01};
    body.insert(body.end(), message_imprint.begin(), message_imprint.end());
    body.insert(body.end(), {0x01, 0x01, 0xff});
    const Bytes request = der_tlv(0x30, body);

    // The sample is signed by a stand-in key under a copy of the TSA certificate carrying its
    // public key (same issuer, serial and subject): no token with the TSA's key exists before
    // its row does (DESIGN.md invariant 2), and the HSM is not needed to start.
    X509* certificate = identity_.certificate.get();
    const EvpPkeyPtr stand_in = stand_in_key(X509_get0_pubkey(certificate));
    X509Ptr stand_in_certificate(X509_dup(certificate));
    if (!stand_in_certificate || X509_set_pubkey(stand_in_certificate.get(), stand_in.get()) != 1)
        throw_openssl_error("cannot make the template's stand-in certificate");
    const Bytes serial = {0x01};
    Asn1IntegerPtr serial_integer = integer_from_magnitude(serial);
    const Clock::time_point now = cut_to_precision(options_.clock->now(), s.precision);
    const auto us = std::chrono::floor<microseconds>(now.time_since_epoch()).count();
    CallData call{serial_integer.get(), static_cast<long>(us / 1'000'000),
                  static_cast<long>(us % 1'000'000)};
    TsRespCtxPtr context = make_context(stand_in_certificate.get(), stand_in.get());
    TS_RESP_CTX_set_serial_cb(context.get(), serial_callback, &call);
    TS_RESP_CTX_set_time_cb(context.get(), time_callback, &call);
    BioPtr input(BIO_new_mem_buf(request.data(), static_cast<int>(request.size())));
    if (!input)
        throw_openssl_error("cannot read the sample request");
    TsRespPtr sample(TS_RESP_create_response(context.get(), input.get()));
    if (!sample || TS_RESP_get_tst_info(sample.get()) == nullptr)
        throw_openssl_error("OpenSSL cannot make the TSA's sample token");

    std::vector<std::string> policies{s.policy_oid};
    policies.insert(policies.end(), s.accepted_policies.begin(), s.accepted_policies.end());
    TemplateSigner signer;
    signer.certificate = certificate;
    // As make_context: the chain, and its ESSCertIDv2, when the policy sends it.
    if (s.include_chain) {
        for (const auto& ca : identity_.chain)
            signer.chain.push_back(ca.get());
    }
    signer.ess_chain = !signer.chain.empty();
    signer.key = identity_.key.get();
    signer.signing_digest = digest(s.signing_digest);
    signer.ess_digest = digest(Digest::sha256);
    template_ = std::make_unique<TokenTemplate>(sample.get(), signer, policies);

    // The same template over the stand-in must reproduce the sample for its own request, serial
    // and genTime: everything but the signingTime value and the signature, which must verify.
    TemplateSigner check = signer;
    check.certificate = stand_in_certificate.get();
    check.key = stand_in.get();
    const TokenTemplate check_template(sample.get(), check, policies);
    const std::string gen_time = generalized_time(now, s.precision);
    TokenFields fields;
    fields.message_imprint = message_imprint;
    fields.policy = s.policy_oid;
    fields.serial = serial;
    fields.gen_time = gen_time;
    fields.signing_time = now;
    fields.cert_req = true;
    if (const std::string differs = differences_from_sample(
            sample.get(), check_template.encode(fields), stand_in_certificate.get());
        !differs.empty())
        throw Error(Errc::internal, "the token template does not reproduce OpenSSL's token: " + differs);
}

const EVP_MD* Responder::digest(Digest d) const {
    return digests_[digest_index(d)].get();
}

ClockVerdict Responder::clock_verdict() const {
    return assess_clock(options_.clock->health(), options_.settings);
}

Reply Responder::respond(ByteView request, const Requester& requester) noexcept {
    try {
        // Nothing on this thread's queue may be taken for a failure of this request.
        ERR_clear_error();
        auto checked = check_request(request, options_.settings);
        if (auto* rejection = std::get_if<Rejection>(&checked))
            return count(
                {rejection_response(*rejection), rejection->failure, rejection->reason, {}});
        // DESIGN.md invariant 4: no token from a clock that cannot be trusted.
        const ClockVerdict verdict = clock_verdict();
        if (!verdict.usable) {
            const Rejection rejection{Failure::time_not_available,
                                      "the TSA's time source is not available: " + verdict.detail};
            return count({rejection_response(rejection), rejection.failure, rejection.reason, {}});
        }
        return count(issue(std::get<CheckedRequest>(checked), requester));
    } catch (const std::exception& e) {
        clear_openssl_errors();
        if (options_.log)
            options_.log->error("tsa system failure", {{"error", e.what()}});
        try {
            return count({rejection_response({Failure::system_failure, kSystemFailureText}),
                          Failure::system_failure,
                          e.what(),
                          {}});
        } catch (...) {
            return {{}, Failure::system_failure, "out of memory", {}};
        }
    }
}

Reply Responder::issue(const CheckedRequest& checked, const Requester& requester) {
    const policy::TsaSettings& s = options_.settings;
    store::TsaTokenRecord record;
    record.policy = checked.policy;
    record.imprint_algorithm = algorithm_column(checked.digest);
    record.imprint = checked.imprint;
    record.nonce = checked.nonce;
    record.cert_req = checked.cert_req;
    record.client = requester.client;
    record.remote = requester.remote.substr(0, 100);
    record.node = options_.node;
    record.tsa_certificate_sha256 = certificate_sha256_;

    // Invariant 2: the token is durable before it is signed. genTime is read after the request
    // arrived and before the commit: the datum existed at that instant, so the claim holds
    // however long the commit takes.
    for (int attempt = 1;; ++attempt) {
        record.serial = options_.serials->next();
        record.gen_time = cut_to_precision(options_.clock->now(), s.precision);
        if (record.gen_time < not_before_ || record.gen_time > not_after_) {
            throw Error(Errc::failed_precondition,
                        "the TSA certificate is not valid at " + format_utc(record.gen_time));
        }
        try {
            options_.journal->record(record);
            break;
        } catch (const Error& e) {
            // A serial already recorded (by chance, 2^-159): draw again, a few times at most.
            if (e.code() != Errc::already_exists || attempt >= 3)
                throw;
        }
    }
    if (options_.after_recording)
        options_.after_recording(record);

    // Sign, with exactly the serial and time recorded: the TSTInfo is made from the record.
    const std::string gen_time = generalized_time(record.gen_time, s.precision);
    TokenFields fields;
    fields.message_imprint = checked.message_imprint_der;
    fields.policy = record.policy;
    fields.serial = record.serial;
    fields.gen_time = gen_time;
    fields.signing_time = record.gen_time;
    if (record.nonce)
        fields.nonce = ByteView(*record.nonce);
    fields.cert_req = record.cert_req;
    return {template_->encode(fields), std::nullopt, {}, record.serial};
}

Reply Responder::count(Reply reply) noexcept {
    const std::string_view result = reply.failure ? to_string(*reply.failure) : "granted";
    for (std::size_t i = 0; i < kResults.size(); ++i) {
        if (kResults[i] == result && responses_[i] != nullptr)
            responses_[i]->inc();
    }
    return reply;
}

}  // namespace signet::tsa
