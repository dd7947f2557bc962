#pragma once

// The wiring of the audit log's checkpoints (audit/checkpoints.hpp) for signetd and signetctl:
// the ceremony's checkpoint key and certificate, and our own TSA in process as the time-stamper
// (audit/ may not depend on tsa/; this sits where both are known).

#include <optional>
#include <string>

#include "audit/checkpoints.hpp"
#include "hsm/token.hpp"
#include "store/certificates.hpp"
#include "tsa/responder.hpp"

namespace signet::sign {

// The signing half of a checkpointer: the key of the "audit-checkpoint" certificate record
// (audit::kCheckpointServiceRole) from the token, the certificate, and a time-stamper over
// `tsa` (tsa_time_stamper, SHA-256, requester `requester`). nullopt when the ceremony made no
// such certificate; Errc::not_found when the record names a key the token does not hold.
// `tsa` must outlive the result.
std::optional<audit::CheckpointSigning> checkpoint_signing(store::CertificateReader& certificates,
                                                           hsm::Token& token,
                                                           tsa::Responder& tsa,
                                                           std::string origin,
                                                           std::string made_by);

}  // namespace signet::sign
