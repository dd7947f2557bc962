#include "evidence/package.hpp"

#include <map>
#include <nlohmann/json.hpp>

#include "common/der.hpp"
#include "common/digest.hpp"
#include "common/error.hpp"
#include "evidence/certificate_pdf.hpp"
#include "evidence/manifest.hpp"
#include "evidence/package_parts.hpp"
#include "evidence/signature_parts.hpp"
#include "sign/cms_signature.hpp"

namespace signet::evidence {

namespace {

constexpr std::size_t kMaxDrainRounds = 100;

Bytes text_bytes(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

// The archive and the manifest's list, kept in step: each file written is listed with its size
// and SHA-256.
class PackageWriter {
  public:
    PackageWriter(const ZipSink& sink, Manifest& manifest)
        : zip_(sink, manifest.created_at), manifest_(manifest) {}

    void add(const std::string& path, ByteView content) {
        zip_.add(path, content);
        manifest_.files.push_back({path, content.size(), to_hex(sha256_of(content))});
    }
    // A document from the vault, a chunk at a time; `keep_from`: the bytes from that offset on
    // are also returned (a PDF's signature revisions), at most kMaxSignatureRevisionBytes.
    Bytes stream(const std::string& path, std::uint64_t size, sign::VaultReader reader,
                 std::uint64_t keep_from) {
        zip_.begin_entry(path, size);
        Sha256Stream hash;
        Bytes kept;
        std::uint64_t at = 0;
        while (const auto chunk = reader.next()) {
            const ByteView piece(*chunk);
            zip_.write(piece);
            hash.update(piece);
            if (at + piece.size() > keep_from) {
                const std::size_t skip = at >= keep_from ? 0 : keep_from - at;
                if (kept.size() + piece.size() - skip > kMaxSignatureRevisionBytes)
                    throw Error(Errc::failed_precondition,
                                "the signers' revisions of " + path + " are over " +
                                    std::to_string(kMaxSignatureRevisionBytes) + " bytes");
                kept.insert(kept.end(), piece.begin() + static_cast<std::ptrdiff_t>(skip),
                            piece.end());
            }
            at += piece.size();
        }
        zip_.end_entry();
        manifest_.files.push_back({path, at, to_hex(hash.finish())});
        return kept;
    }
    ZipWriter& zip() { return zip_; }

  private:
    ZipWriter zip_;
    Manifest& manifest_;
};

// Every certificate of the given CMS structures (tokens, signatures) and of the CA records,
// but self-signed ones (the verifier is given the roots), each once.
void add_certificate(std::map<std::string, Bytes>& into, ByteView der) {
    const X509Ptr certificate = parse_certificate(der);
    if (certificate && !self_signed(certificate.get()))
        into.emplace(layout::certificate(der), Bytes(der.begin(), der.end()));
}

void add_certificates_of_cms(std::map<std::string, Bytes>& into, ByteView cms) {
    for (const Bytes& der : cms_validation_data(cms).certificates)
        add_certificate(into, der);
}

std::string proof_json(std::int64_t seq, std::uint64_t tree_size, const audit::LeafHash& leaf,
                       const std::vector<audit::Hash>& path) {
    nlohmann::ordered_json hashes = nlohmann::ordered_json::array();
    for (const audit::Hash& h : path)
        hashes.push_back(to_hex(h));
    return nlohmann::ordered_json{{"seq", seq},
                                  {"leaf_index", seq - 1},
                                  {"tree_size", tree_size},
                                  {"leaf_hash", to_hex(leaf)},
                                  {"path", std::move(hashes)}}
               .dump(2) +
           "\n";
}

// The validation data of each signer, as files: validation/signer-N/KIND-K.der.
void add_validation(std::vector<PackageFile>& files, int position,
                    const sign::ValidationData& data) {
    const auto each = [&](const std::vector<Bytes>& items, const std::string& kind) {
        for (std::size_t i = 0; i < items.size(); ++i)
            files.push_back({layout::validation(position, kind, i), items[i]});
    };
    each(data.certificates, "certificate");
    each(data.ocsp_responses, "ocsp");
    each(data.crls, "crl");
}

}  // namespace

ContractShredded::ContractShredded(const std::string& contract_id, Clock::time_point shredded_at)
    : Error(Errc::failed_precondition,
            "the documents of contract " + contract_id + " were crypto-shredded at " +
                format_utc(shredded_at) +
                " after their retention period: no evidence package can hold them"),
      shredded_at_(shredded_at) {}

PackageBuilder::PackageBuilder(PackageDependencies dependencies) : deps_(std::move(dependencies)) {}

void PackageBuilder::build(std::string_view contract_id, const sign::ContractCaller& caller,
                           const ZipSink& sink) {
    const sign::Contract contract = deps_.contracts.find(contract_id, caller);
    const std::string id = contract.record.id;
    // Before the checkpoint and the seal: the vault would refuse the document only once the
    // archive had started, and the client would get a cut-short transfer instead of a refusal.
    if (contract.record.shredded_at)
        throw ContractShredded(id, *contract.record.shredded_at);
    const Clock::time_point now = deps_.clock.now();

    // The contract's audit events and its signers' certificate issuances, all in the log (the
    // contracts defer theirs through the outbox), under one checkpoint that covers them.
    for (std::size_t round = 0; round < kMaxDrainRounds && deps_.audit_log.drain() > 0; ++round) {
    }
    std::vector<std::string> objects{"contract:" + id};
    for (const auto& signer : contract.signers)
        if (signer.certificate_serial)
            objects.push_back("certificate:" + *signer.certificate_serial);
    const std::vector<audit::RecordedEvent> events =
        events_about(deps_.database, deps_.audit_reader, objects);
    const std::uint64_t needed = events.empty() ? 1 : static_cast<std::uint64_t>(events.back().seq);
    std::optional<audit::SignedCheckpoint> checkpoint = deps_.checkpoints.latest();
    if (!checkpoint || checkpoint->checkpoint.size < needed)
        checkpoint = deps_.checkpointer.checkpoint_now();
    const std::uint64_t tree_size = checkpoint->checkpoint.size;

    std::vector<PackageFile> small;
    std::map<std::string, Bytes> certificates;
    for (const audit::RecordedEvent& e : events) {
        small.push_back({layout::audit_event(e.seq),
                         text_bytes(audit::canonical_encoding(e.seq, e.time, e.event))});
        small.push_back({layout::audit_proof(e.seq),
                         text_bytes(proof_json(e.seq, tree_size, e.leaf_hash,
                                               deps_.checkpoints.inclusion(e.seq, tree_size)))});
    }
    small.push_back({layout::kCheckpointBody, text_bytes(checkpoint->body)});
    small.push_back({layout::kCheckpointSignature, checkpoint->signature});
    small.push_back({layout::kCheckpointCertificate, checkpoint->certificate_der});
    small.push_back({layout::kCheckpointTimeStamp, checkpoint->time_stamp_token});
    add_certificate(certificates, checkpoint->certificate_der);
    add_certificates_of_cms(certificates, checkpoint->time_stamp_token);

    for (const store::ContractEventRecord& event : contract.events) {
        small.push_back({layout::contract_event(event, ".json"), text_bytes(event.canonical)});
        small.push_back({layout::contract_event(event, ".tst"), event.timestamp_token});
        add_certificates_of_cms(certificates, event.timestamp_token);
    }
    for (PackageFile& f : identity_files(contract, deps_.subjects, deps_.database))
        small.push_back(std::move(f));
    for (const store::CaRecord& ca : deps_.certificates.list_cas())
        add_certificate(certificates, ca.certificate);
    for (const X509* c : deps_.seal.tsa_chain)
        add_certificate(certificates, to_der(i2d_X509, c));
    add_certificate(certificates, to_der(i2d_X509, deps_.seal.signer.certificate.get()));
    for (const X509Ptr& c : deps_.seal.signer.chain)
        add_certificate(certificates, to_der(i2d_X509, c.get()));

    // The page for people, sealed now: the HSM and the TSA refuse before the archive starts.
    const store::ContractRevisionRecord& final_revision = contract.revisions.back();
    const bool pdf = contract.record.format == "pdf";
    CertificateContent content;
    content.contract_id = id;
    content.title = contract.record.title;
    content.format = contract.record.format;
    content.state = contract.record.state;
    content.document_sha256 =
        to_hex(pdf ? final_revision.sha256 : contract.revisions.front().sha256);
    content.signers = certificate_signers(contract, deps_.subjects, deps_.certificates);
    content.checkpoint_origin = checkpoint->checkpoint.origin;
    content.checkpoint_size = tree_size;
    content.checkpoint_root = to_hex(checkpoint->checkpoint.root);
    content.checkpoint_time = checkpoint->checkpoint.time;
    content.made_at = now;
    const Bytes sealed = sealed_certificate(content, deps_.seal, now);

    // From here on bytes reach the sink.
    Manifest manifest;
    manifest.contract_id = id;
    manifest.created_at = now;
    PackageWriter out(sink, manifest);
    std::vector<PackageFile> validation;
    if (pdf) {
        const std::uint64_t original = static_cast<std::uint64_t>(contract.revisions.front().size);
        const Bytes appended =
            out.stream(layout::kSignedPdf, static_cast<std::uint64_t>(final_revision.size),
                       deps_.contracts.document(id, final_revision.number, caller), original);
        // Signer N's revisions: from the end of the revision before its own to the end of it.
        std::uint64_t start = original;
        for (const store::ContractRevisionRecord& r : contract.revisions) {
            if (r.number == 0 || !r.signer_position)
                continue;
            const auto end = static_cast<std::uint64_t>(r.size);
            if (end < start || end - original > appended.size())
                throw Error(Errc::internal, "revision " + std::to_string(r.number) +
                                                " does not extend the one before it");
            const ByteView update = ByteView(appended).subspan(start - original, end - start);
            sign::ValidationData data = stream_validation_data(update);
            for (const Bytes& cms : byte_range_contents(update, start))
                merge(data, cms_validation_data(cms));
            add_validation(validation, *r.signer_position, data);
            start = end;
        }
    } else {
        out.stream(layout::kData, static_cast<std::uint64_t>(contract.revisions.front().size),
                   deps_.contracts.document(id, 0, caller), UINT64_MAX);
        for (const store::ContractRevisionRecord& r : contract.revisions) {
            if (r.number == 0 || !r.signer_position)
                continue;
            Bytes cms;
            sign::VaultReader reader = deps_.contracts.document(id, r.number, caller);
            while (const auto chunk = reader.next())
                cms.insert(cms.end(), chunk->begin(), chunk->end());
            add_validation(validation, *r.signer_position, cms_validation_data(cms));
            validation.push_back({layout::cades_signature(*r.signer_position), std::move(cms)});
        }
    }
    for (const PackageFile& f : validation) {
        out.add(f.path, f.content);
        add_certificate(certificates, f.content);
    }
    out.add(layout::kEvidenceCertificate, sealed);
    for (const PackageFile& f : small)
        out.add(f.path, f.content);
    for (const auto& [path, der] : certificates)
        out.add(path, der);

    const std::string manifest_text = manifest_json(manifest);
    const Bytes signature =
        sign::sign_detached(sign::digest_content(Digest::sha256, as_bytes(manifest_text)),
                            deps_.seal.signer, deps_.seal.time_stamper);
    out.zip().add(std::string(kManifestPath), as_bytes(manifest_text));
    out.zip().add(std::string(kManifestSignaturePath), signature);
    out.zip().finish();
}

}  // namespace signet::evidence
