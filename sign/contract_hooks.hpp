#pragma once

// What the contract service needs from outside, each a narrow interface the lead wires in
// signetd: the time-stamps of events, what to notify, and the check of a document's format.
#include <functional>
#include <memory>
#include <string_view>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "store/contracts.hpp"
#include "store/database.hpp"

namespace signet::tsa {
class Responder;
}

namespace signet::sign {

// An RFC 3161 TimeStampToken (DER, the ContentInfo) over the SHA-256 of an event's canonical
// bytes, from our own TSA. Throws when the TSA cannot give one: the transition is then refused
// with Errc::unavailable and nothing changes.
using EventStamper = std::function<Bytes(ByteView sha256_of_event)>;

// An in-process stamper over the TSA's responder: a TimeStampReq for the digest (SHA-256, a
// nonce, certReq so the token carries the TSA's certificate) answered by `responder`, and the
// token taken out of a granted answer.
EventStamper responder_stamper(std::shared_ptr<tsa::Responder> responder);

// The genTime of a TimeStampToken (DER), as stored with an event; Errc::invalid_argument when
// the bytes are not a time-stamp token.
Clock::time_point token_time(ByteView token);

// Who must be told what (issue 13 "Telling the next party"). Called INSIDE the transition's
// transaction, after its rows are written and before COMMIT, with that transaction: an
// implementation writes its outbox rows on `tx` (the notify work's webhook and e-mail queue),
// so a notification is recorded exactly when the transition commits, and a deliverer sends it
// after. An implementation must not send from here (the transaction may still roll back); if it
// throws, the transition is refused and nothing changes.
class ContractNotifier {
  public:
    virtual ~ContractNotifier() = default;
    // It is `position`'s turn (after send, and after each signature but the last).
    virtual void signer_due(store::Connection& tx, const store::ContractRecord& contract,
                            const store::ContractSignerRecord& signer) = 0;
    virtual void contract_completed(store::Connection& tx,
                                    const store::ContractRecord& contract) = 0;
    virtual void contract_cancelled(store::Connection& tx,
                                    const store::ContractRecord& contract) = 0;
    virtual void contract_expired(store::Connection& tx, const store::ContractRecord& contract) = 0;
};

// Checks a document of a format as it streams in ("validate the document"): write() each piece,
// then finish(). Either throws Errc::invalid_argument naming what is wrong. The PDF intake
// (parsing with a library, refusing encrypted or malformed files) plugs in here.
class DocumentInspector {
  public:
    virtual ~DocumentInspector() = default;
    virtual void write(ByteView piece) = 0;
    virtual void finish() = 0;
};
using DocumentInspectorFactory =
    std::function<std::unique_ptr<DocumentInspector>(std::string_view format)>;

// The default until the PDF intake is plugged in: "bytes" accepts anything; "pdf" requires the
// header "%PDF-" (ISO 32000-1 §7.5.2: the first line of a PDF file is a header of "%PDF-" and
// the version).
std::unique_ptr<DocumentInspector> default_document_inspector(std::string_view format);

}  // namespace signet::sign
