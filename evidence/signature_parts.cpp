#include "evidence/signature_parts.hpp"

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "common/error.hpp"
#include "common/handle.hpp"
#include "sign/der_reader.hpp"

namespace signet::evidence {

namespace {

constexpr std::string_view kByteRange = "/ByteRange";
constexpr std::string_view kStreamStart = ">>\nstream\n";  // sign/pdf_update.cpp write_stream
constexpr std::string_view kLength = "/Length ";
constexpr std::size_t kMaxElements = 4 * sign::kMaxValidationItems;

[[noreturn]] void invalid(const std::string& message) {
    throw Error(Errc::invalid_argument, message);
}

std::string_view text_of(ByteView bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

void skip_space(std::string_view text, std::size_t& at) {
    while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at])))
        ++at;
}

std::uint64_t read_integer(std::string_view text, std::size_t& at, std::string_view what) {
    skip_space(text, at);
    std::uint64_t value = 0;
    std::size_t digits = 0;
    for (; at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])); ++at, ++digits) {
        if (digits == 15)
            invalid(std::string(what) + ": a number of more than 15 digits");
        value = value * 10 + static_cast<std::uint64_t>(text[at] - '0');
    }
    if (digits == 0)
        invalid(std::string(what) + ": not an integer");
    return value;
}

// The one DER element at the start of `bytes` (a /Contents is zero-padded after it).
Bytes first_element(ByteView bytes, std::string_view what) {
    ByteView rest = bytes;
    const sign::der::Element element = sign::der::read(rest, what);
    return Bytes(element.encoding.begin(), element.encoding.end());
}

template <class T, auto Decode, auto Free>
bool decodes_as(ByteView der) {
    const unsigned char* p = der.data();
    T* parsed = Decode(nullptr, &p, static_cast<long>(der.size()));
    const bool whole = parsed != nullptr && p == der.data() + der.size();
    Free(parsed);
    clear_openssl_errors();
    return whole;
}

void add_unique(std::vector<Bytes>& into, const Bytes& item, std::string_view kind) {
    if (std::ranges::find(into, item) != into.end())
        return;
    if (into.size() == sign::kMaxValidationItems)
        invalid("more than " + std::to_string(sign::kMaxValidationItems) + " " + std::string(kind));
    into.push_back(item);
}

}  // namespace

std::vector<Bytes> byte_range_contents(ByteView update, std::uint64_t offset) {
    const std::string_view text = text_of(update);
    std::vector<Bytes> out;
    for (std::size_t at = text.find(kByteRange); at != std::string_view::npos;
         at = text.find(kByteRange, at)) {
        at += kByteRange.size();
        skip_space(text, at);
        if (at >= text.size() || text[at] != '[')
            invalid("a /ByteRange that is not an array");
        ++at;
        std::uint64_t range[4];
        for (auto& value : range)
            value = read_integer(text, at, "a /ByteRange");
        // [0 a b c]: the /Contents hex string, '<' and '>' included, is [a, b) of the file.
        const std::uint64_t first = range[1] + 1, last = range[2] - 1;
        if (range[0] != 0 || range[2] < range[1] + 2 || first < offset ||
            last - offset > update.size())
            invalid("a /ByteRange whose /Contents is not in the signer's revision");
        const std::string_view hex = text.substr(first - offset, last - first);
        if (hex.size() % 2 != 0 || hex.find_first_not_of("0123456789abcdefABCDEF") != hex.npos)
            invalid("a signature's /Contents is not a hex string");
        out.push_back(first_element(from_hex(hex), "a signature's /Contents"));
        if (out.size() > 16)
            invalid("more than 16 signatures in one signer's revision");
    }
    return out;
}

sign::ValidationData stream_validation_data(ByteView update) {
    const std::string_view text = text_of(update);
    sign::ValidationData out;
    for (std::size_t end = text.find(kStreamStart); end != std::string_view::npos;
         end = text.find(kStreamStart, end + 1)) {
        const std::size_t length_at = text.rfind(kLength, end);
        const std::size_t dictionary = text.rfind("<<", end);
        if (length_at == std::string_view::npos || dictionary == std::string_view::npos ||
            length_at < dictionary)
            continue;  // not a stream this writer made
        std::size_t at = length_at + kLength.size();
        const std::uint64_t length = read_integer(text, at, "a stream's /Length");
        const std::size_t data = end + kStreamStart.size();
        if (length > update.size() - data)
            invalid("a stream runs past the end of the signer's revision");
        const Bytes blob(update.begin() + static_cast<std::ptrdiff_t>(data),
                         update.begin() + static_cast<std::ptrdiff_t>(data + length));
        if (decodes_as<X509, d2i_X509, X509_free>(blob))
            add_unique(out.certificates, blob, "certificates");
        else if (decodes_as<OCSP_RESPONSE, d2i_OCSP_RESPONSE, OCSP_RESPONSE_free>(blob))
            add_unique(out.ocsp_responses, blob, "OCSP responses");
        else if (decodes_as<X509_CRL, d2i_X509_CRL, X509_CRL_free>(blob))
            add_unique(out.crls, blob, "CRLs");
    }
    return out;
}

sign::ValidationData cms_validation_data(ByteView cms_der) {
    const sign::der::SignedDataFields fields = sign::der::split_signed_data(cms_der);
    sign::ValidationData out;
    if (fields.certificates) {
        for (const auto& e : sign::der::read_all(fields.certificates->content, kMaxElements,
                                                 "SignedData.certificates"))
            if (e.tag == sign::der::kSequence)
                add_unique(out.certificates, Bytes(e.encoding.begin(), e.encoding.end()),
                           "certificates");
    }
    if (fields.crls) {
        for (const auto& e :
             sign::der::read_all(fields.crls->content, kMaxElements, "SignedData.crls")) {
            if (e.tag == sign::der::kSequence) {
                add_unique(out.crls, Bytes(e.encoding.begin(), e.encoding.end()), "CRLs");
            } else if (e.tag == sign::der::kContext1) {
                // OtherRevocationInfoFormat { id-ri-ocsp-response, OCSPResponse } (RFC 5940).
                ByteView rest = e.content;
                const auto format = sign::der::read(rest, "otherRevInfoFormat");
                if (!std::ranges::equal(format.encoding, sign::der::kIdRiOcspResponse))
                    continue;
                const auto response = sign::der::read(rest, "an OCSP response");
                add_unique(out.ocsp_responses,
                           Bytes(response.encoding.begin(), response.encoding.end()),
                           "OCSP responses");
            }
        }
    }
    return out;
}

void merge(sign::ValidationData& into, const sign::ValidationData& more) {
    for (const Bytes& c : more.certificates)
        add_unique(into.certificates, c, "certificates");
    for (const Bytes& c : more.crls)
        add_unique(into.crls, c, "CRLs");
    for (const Bytes& c : more.ocsp_responses)
        add_unique(into.ocsp_responses, c, "OCSP responses");
}

}  // namespace signet::evidence
