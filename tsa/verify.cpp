#include "tsa/verify.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "common/error.hpp"
#include "tsa/protocol.hpp"

namespace signet::tsa {

namespace {

// The names of the failInfo bits set, for a rejection's message.
std::string failure_names(const ASN1_BIT_STRING* bits) {
    std::string names;
    if (bits == nullptr)
        return names;
    for (Failure f :
         {Failure::bad_alg, Failure::bad_request, Failure::bad_data_format,
          Failure::time_not_available, Failure::unaccepted_policy, Failure::unaccepted_extension,
          Failure::add_info_not_available, Failure::system_failure}) {
        if (ASN1_BIT_STRING_get_bit(bits, static_cast<int>(f)) == 1)
            names += (names.empty() ? "" : ", ") + std::string(to_string(f));
    }
    return names;
}

std::string status_text(const TS_STATUS_INFO* status) {
    std::string text;
    const STACK_OF(ASN1_UTF8STRING)* strings = TS_STATUS_INFO_get0_text(status);
    for (int i = 0; i < sk_ASN1_UTF8STRING_num(strings); ++i) {
        const ASN1_UTF8STRING* s = sk_ASN1_UTF8STRING_value(strings, i);
        text += (text.empty() ? "" : " ") +
                std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                            static_cast<std::size_t>(ASN1_STRING_length(s)));
    }
    return text;
}

// GeneralizedTime "YYYYMMDDHHMMSS[.f+]Z" to a time point, keeping microseconds.
Clock::time_point generalized_time_point(const ASN1_GENERALIZEDTIME* time) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(time, &tm) != 1)
        throw Error(Errc::invalid_argument, "the token's genTime is not a GeneralizedTime");
    const auto whole = from_unix_seconds(timegm(&tm));
    if (!whole)
        throw Error(Errc::invalid_argument,
                    "the token's genTime is outside the years 1678 to 2261");
    auto t = *whole;
    const std::string_view text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(time)),
                                static_cast<std::size_t>(ASN1_STRING_length(time)));
    if (const auto dot = text.find('.'); dot != std::string_view::npos) {
        long long micros = 0;
        int digits = 0;
        for (std::size_t i = dot + 1; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
            if (digits < 6) {
                micros = micros * 10 + (text[i] - '0');
                ++digits;
            }
        }
        for (; digits < 6; ++digits)
            micros *= 10;
        t += std::chrono::microseconds(micros);
    }
    return t;
}

std::string name_text(const X509_NAME* name) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0)
        throw_openssl_error("cannot print a name");
    BUF_MEM* memory = nullptr;
    BIO_get_mem_ptr(bio.get(), &memory);
    return std::string(memory->data, memory->length);
}

std::string algorithm_text(const ASN1_OBJECT* oid) {
    switch (OBJ_obj2nid(oid)) {
        case NID_sha256:
            return "sha256";
        case NID_sha384:
            return "sha384";
        case NID_sha512:
            return "sha512";
        default:
            return oid_text(oid);
    }
}

}  // namespace

ParsedToken parse_token(ByteView der) {
    if (der.empty() || der.size() > 1024 * 1024)
        throw Error(Errc::invalid_argument, "a time-stamp token is between 1 byte and 1 MiB");
    ParsedToken parsed;
    const unsigned char* cursor = der.data();
    TsRespPtr response(d2i_TS_RESP(nullptr, &cursor, static_cast<long>(der.size())));
    if (response && cursor == der.data() + der.size()) {
        const TS_STATUS_INFO* status = TS_RESP_get_status_info(response.get());
        const long value = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(status));
        if (value != TS_STATUS_GRANTED && value != TS_STATUS_GRANTED_WITH_MODS) {
            throw Error(Errc::failed_precondition,
                        "the response carries no token: status " + std::to_string(value) +
                            ", failInfo " +
                            failure_names(TS_STATUS_INFO_get0_failure_info(status)) + ": " +
                            status_text(status));
        }
        if (TS_RESP_get_token(response.get()) == nullptr)
            throw Error(Errc::invalid_argument, "the response is granted but holds no token");
        parsed.token.reset(PKCS7_dup(TS_RESP_get_token(response.get())));
        parsed.from_response = true;
    } else {
        clear_openssl_errors();
        cursor = der.data();
        parsed.token.reset(d2i_PKCS7(nullptr, &cursor, static_cast<long>(der.size())));
        if (!parsed.token || cursor != der.data() + der.size()) {
            clear_openssl_errors();
            throw Error(
                Errc::invalid_argument,
                "neither a TimeStampResp nor a TimeStampToken (RFC 3161 section 2.4.2), DER");
        }
    }
    if (!parsed.token)
        throw_openssl_error("cannot copy the token");
    parsed.info.reset(PKCS7_to_TS_TST_INFO(parsed.token.get()));
    if (!parsed.info) {
        clear_openssl_errors();
        throw Error(Errc::invalid_argument, "the token's content is not a TSTInfo");
    }
    return parsed;
}

TokenSummary summarize(const ParsedToken& token) {
    const TS_TST_INFO* info = token.info.get();
    TokenSummary s;
    s.serial = integer_magnitude(TS_TST_INFO_get_serial(info));
    const ASN1_GENERALIZEDTIME* gen_time = TS_TST_INFO_get_time(info);
    s.gen_time.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gen_time)),
                      static_cast<std::size_t>(ASN1_STRING_length(gen_time)));
    s.gen_time_utc = generalized_time_point(gen_time);
    s.policy = oid_text(TS_TST_INFO_get_policy_id(const_cast<TS_TST_INFO*>(info)));
    TS_MSG_IMPRINT* imprint = TS_TST_INFO_get_msg_imprint(const_cast<TS_TST_INFO*>(info));
    s.imprint_algorithm = algorithm_text(TS_MSG_IMPRINT_get_algo(imprint)->algorithm);
    const ASN1_OCTET_STRING* hashed = TS_MSG_IMPRINT_get_msg(imprint);
    s.imprint.assign(ASN1_STRING_get0_data(hashed),
                     ASN1_STRING_get0_data(hashed) + ASN1_STRING_length(hashed));
    if (const ASN1_INTEGER* nonce = TS_TST_INFO_get_nonce(info); nonce != nullptr)
        s.nonce = integer_content(nonce);
    s.accuracy = "none";
    if (TS_ACCURACY* accuracy = TS_TST_INFO_get_accuracy(const_cast<TS_TST_INFO*>(info))) {
        std::string text;
        auto part = [&](const ASN1_INTEGER* value, const char* unit) {
            if (value != nullptr)
                text += (text.empty() ? "" : " ") + std::to_string(ASN1_INTEGER_get(value)) + " " +
                        unit;
        };
        part(TS_ACCURACY_get_seconds(accuracy), "s");
        part(TS_ACCURACY_get_millis(accuracy), "ms");
        part(TS_ACCURACY_get_micros(accuracy), "us");
        s.accuracy = text.empty() ? "0" : text;
    }
    s.ordering = TS_TST_INFO_get_ordering(info) != 0;
    if (GENERAL_NAME* tsa = TS_TST_INFO_get_tsa(const_cast<TS_TST_INFO*>(info))) {
        s.tsa_name = tsa->type == GEN_DIRNAME ? name_text(tsa->d.directoryName)
                                              : std::string("(a name other than a directoryName)");
    }
    if (PKCS7_type_is_signed(token.token.get())) {
        s.certificates = static_cast<std::size_t>(sk_X509_num(token.token->d.sign->cert));
        s.signer_infos =
            static_cast<std::size_t>(sk_PKCS7_SIGNER_INFO_num(token.token->d.sign->signer_info));
    }
    return s;
}

void verify_token(const ParsedToken& token, const VerifyOptions& options) {
    if (options.trusted.empty())
        throw Error(Errc::invalid_argument, "verifying a token needs at least one trust anchor");
    TsVerifyCtxPtr ctx(TS_VERIFY_CTX_new());
    if (!ctx)
        throw_openssl_error("cannot make a TS_VERIFY_CTX");
    // The query first: TS_REQ_to_TS_VERIFY_CTX resets the context (store and certificates too).
    int flags = TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_SIGNER;
    if (options.query) {
        const unsigned char* p = options.query->data();
        TsReqPtr query(d2i_TS_REQ(nullptr, &p, static_cast<long>(options.query->size())));
        if (!query) {
            clear_openssl_errors();
            throw Error(Errc::invalid_argument, "the query is not a TimeStampReq (DER)");
        }
        if (TS_REQ_to_TS_VERIFY_CTX(query.get(), ctx.get()) == nullptr)
            throw_openssl_error("cannot take the query's fields");
        // What the query asks to check (imprint; nonce and policy when it has them): adding
        // nothing returns the flags it set.
        flags |= TS_VERIFY_CTX_add_flags(ctx.get(), 0);
    } else if (options.data) {
        BIO* data = BIO_new_mem_buf(options.data->data(), static_cast<int>(options.data->size()));
        if (data == nullptr)
            throw_openssl_error("cannot read the data");
        TS_VERIFY_CTX_set_data(ctx.get(), data);  // the context owns it
        flags |= TS_VFY_DATA;
    }
    TS_VERIFY_CTX_set_flags(ctx.get(), flags);

    X509_STORE* store = X509_STORE_new();
    if (store == nullptr)
        throw_openssl_error("cannot make a certificate store");
    TS_VERIFY_CTX_set_store(ctx.get(), store);  // the context owns it
    for (const auto& anchor : options.trusted)
        check_openssl(X509_STORE_add_cert(store, anchor.get()), "cannot add a trust anchor");
    STACK_OF(X509)* untrusted = sk_X509_new_null();
    if (untrusted == nullptr)
        throw_openssl_error("cannot list certificates");
    TS_VERIFY_CTX_set_certs(ctx.get(), untrusted);  // the context owns it
    for (const auto& certificate : options.untrusted) {
        if (sk_X509_push(untrusted, certificate.get()) <= 0)
            throw_openssl_error("cannot list certificates");
        X509_up_ref(certificate.get());
    }

    ERR_clear_error();
    if (TS_RESP_verify_token(ctx.get(), token.token.get()) != 1) {
        throw Error(Errc::failed_precondition, "the time-stamp token does not verify: " +
                                                   drain_openssl_errors("no reason given"));
    }
}

std::vector<std::string> compare_with_record(const TokenSummary& token,
                                             const store::TsaTokenRecord& record) {
    std::vector<std::string> differ;
    if (token.serial != record.serial)
        differ.push_back("serial");
    if (std::chrono::floor<std::chrono::microseconds>(token.gen_time_utc) !=
        std::chrono::floor<std::chrono::microseconds>(record.gen_time))
        differ.push_back("genTime");
    if (token.policy != record.policy)
        differ.push_back("policy");
    if (token.imprint_algorithm != record.imprint_algorithm)
        differ.push_back("imprint algorithm");
    if (token.imprint != record.imprint)
        differ.push_back("imprint");
    if (token.nonce != record.nonce)
        differ.push_back("nonce");
    return differ;
}

std::vector<X509Ptr> read_pem_certificates(const std::string& path) {
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) {
        clear_openssl_errors();
        throw Error(Errc::not_found, "cannot read " + path);
    }
    std::vector<X509Ptr> certificates;
    while (X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
        certificates.emplace_back(certificate);
    clear_openssl_errors();  // the end of the file reads as an error
    if (certificates.empty())
        throw Error(Errc::invalid_argument, path + " holds no PEM certificate");
    return certificates;
}

}  // namespace signet::tsa
