#pragma once

// PAdES documents signed with Signet's own parts, for the verifier's tests: a person's wrapped
// HSM key (sign::sign_detached, B-T through the fixture's TSA in process), /DSS revisions with
// the fixture's validation data (B-LT), and document time-stamps from the same TSA (B-LTA).
// The library version of this (sign/pades_signing) is the lead's; this one stays a test helper.
#include <string>

#include "common/bytes.hpp"
#include "sign/validation_data.hpp"
#include "tests/sign/sign_fixture.hpp"

namespace signet::testing {

// A new signature revision on `pdf` by `person`, an invisible field named `field` (empty: the
// first free SignatureN): the whole new file.
Bytes pades_sign(SignFixture& f, const Person& person, const Bytes& pdf,
                 const std::string& field = "");
// A /DSS revision adding `data`.
Bytes pades_add_dss(const Bytes& pdf, const sign::ValidationData& data);
// A /DocTimeStamp revision, its token from the fixture's TSA.
Bytes pades_add_document_timestamp(SignFixture& f, const Bytes& pdf);
// A revision that replaces page 1's content stream: a change no signature permits.
Bytes pades_change_page_content(const Bytes& pdf);

}  // namespace signet::testing
