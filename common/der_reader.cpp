#include "common/der_reader.hpp"

#include <algorithm>
#include <string>

#include "common/error.hpp"

namespace signet::der {

namespace {

[[noreturn]] void malformed(std::string_view what, std::string_view why) {
    throw Error(Errc::invalid_argument, std::string(what) + " is not DER: " + std::string(why));
}

}  // namespace

Element read(ByteView& in, std::string_view what) {
    if (in.size() < 2)
        malformed(what, "it ends inside an element");
    const std::uint8_t tag = in[0];
    // X.690 §8.1.2.4: tag number 31 announces further identifier octets; nothing Signet reads
    // needs one.
    if ((tag & 0x1f) == 0x1f)
        malformed(what, "a multi-octet tag");
    std::size_t at = 1;
    std::size_t length = in[at++];
    if (length == 0x80)
        malformed(what, "an indefinite length (X.690 §10.1 allows definite lengths only)");
    if ((length & 0x80) != 0) {
        const std::size_t octets = length & 0x7f;
        if (octets > 4)
            malformed(what, "a length of more than 4 octets");
        if (in.size() - at < octets)
            malformed(what, "it ends inside a length");
        if (in[at] == 0)
            malformed(what, "a length with a leading zero octet");
        length = 0;
        for (std::size_t i = 0; i < octets; ++i)
            length = (length << 8) | in[at++];
        // X.690 §10.1: the long form only where the short one cannot say it.
        if (length < 0x80)
            malformed(what, "a long-form length under 128");
    }
    if (in.size() - at < length)
        malformed(what, "a length past the end of the input");
    Element element{tag, in.subspan(at, length), in.subspan(0, at + length)};
    in = in.subspan(at + length);
    return element;
}

Element read(ByteView& in, std::uint8_t tag, std::string_view what) {
    Element element = read(in, what);
    if (element.tag != tag)
        malformed(what, "an element of the wrong type");
    return element;
}

std::vector<Element> read_all(ByteView content, std::size_t max, std::string_view what) {
    std::vector<Element> elements;
    while (!content.empty()) {
        if (elements.size() == max) {
            throw Error(Errc::invalid_argument,
                        std::string(what) + " has more than " + std::to_string(max) + " elements");
        }
        elements.push_back(read(content, what));
    }
    return elements;
}

Element read_only(ByteView in, std::uint8_t tag, std::string_view what) {
    Element element = read(in, tag, what);
    if (!in.empty())
        malformed(what, "data after its end");
    return element;
}

bool is(const Element& element, ByteView encoding) {
    return std::ranges::equal(element.encoding, encoding);
}

}  // namespace signet::der
