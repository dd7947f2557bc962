#include "store/migrations.hpp"

#include <algorithm>

namespace signet::store {

namespace {

// ---------------------------------------------------------------------------------------------
// The migrations. Append only: a migration that has shipped is never edited (a database that
// ran it would silently differ from one that runs the edit); fix forward with a new version.

constexpr std::string_view kInitialSchema = R"sql(
-- API clients: who may call /v1 and with which scopes. No credential is stored: a client
-- certificate is known by the SHA-256 of its DER encoding, a bearer token by its SHA-256.
CREATE TABLE api_clients (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL UNIQUE CHECK (name <> '' AND length(name) <= 200),
    scopes             text[] NOT NULL DEFAULT '{}' CHECK (array_position(scopes, NULL) IS NULL),
    certificate_sha256 bytea UNIQUE CHECK (octet_length(certificate_sha256) = 32),
    token_sha256       bytea UNIQUE CHECK (octet_length(token_sha256) = 32),
    created_at         timestamptz NOT NULL
);

-- The audit log (audit/README.md): every change of state, append-only and gapless, so that a
-- Merkle tree over leaf_hash (RFC 6962 §2.1: SHA-256(0x00 || canonical encoding)) proves that
-- nothing was removed. seq is assigned by the application under an advisory lock.
CREATE TABLE audit_events (
    seq        bigint PRIMARY KEY CHECK (seq >= 1),
    event_time timestamptz NOT NULL,
    event_type text NOT NULL CHECK (event_type <> ''),
    actor      text NOT NULL,
    object     text NOT NULL,
    details    jsonb NOT NULL CHECK (jsonb_typeof(details) = 'object'),
    leaf_hash  bytea NOT NULL CHECK (octet_length(leaf_hash) = 32)
);

-- Gapless even against a writer that bypasses the application: each row must be the next one.
CREATE FUNCTION audit_events_require_next_seq() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    expected bigint;
BEGIN
    SELECT coalesce(max(seq), 0) + 1 INTO expected FROM audit_events;
    IF NEW.seq <> expected THEN
        RAISE EXCEPTION 'audit_events is gapless: seq % inserted where % is next', NEW.seq, expected
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_gapless BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_require_next_seq();

-- Append-only: statement-level, so even an UPDATE or DELETE that matches no row is refused.
-- (A superuser can still disable triggers; the signed checkpoints of the Merkle tree are what
-- make such a change evident.)
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
)sql";

constexpr std::string_view kCaSchema = R"sql(
-- Subjects: the natural persons and organizations certificates are issued to. The RA adds the
-- identity evidence behind assurance_level; no identity number is stored in the clear
-- (DESIGN.md invariant 6): only a masked form for display and the certificate's DN.
CREATE TABLE subjects (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('person', 'organization')),
    name            text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    organization    text NOT NULL DEFAULT '' CHECK (length(organization) <= 200),
    country         text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    id_masked       text NOT NULL DEFAULT '' CHECK (length(id_masked) <= 64),
    assurance_level integer NOT NULL CHECK (assurance_level BETWEEN 0 AND 10),
    created_at      timestamptz NOT NULL
);

-- Every certificate a Signet CA signs, from the moment its serial is reserved (Boulder's
-- issuance cycle, DESIGN.md invariant 2): the row and the linted to-be-signed certificate are
-- committed before the HSM signs, so no signed certificate exists without its row. A row left
-- 'reserved' (der NULL) is a visible trace of a crash between reservation and signing;
-- 'abandoned' ones failed lint or the TBS comparison and were never signed.
CREATE TABLE certificates (
    serial            bytea PRIMARY KEY CHECK (octet_length(serial) BETWEEN 1 AND 20),
    issuer_ca         text NOT NULL,
    purpose           text NOT NULL CHECK (purpose IN ('root', 'ca', 'subject', 'tsa', 'ocsp')),
    profile           text NOT NULL,
    subject_id        bigint REFERENCES subjects (id),
    subject_dn        text NOT NULL,
    key_type          text NOT NULL,
    key_source        text NOT NULL CHECK (key_source IN ('csr', 'hsm-wrapped', 'hsm-token')),
    key_label         text,   -- hsm-token: the HSM object's label
    wrapped_key       bytea,  -- hsm-wrapped: the RFC 5649 blob (never the key in the clear)
    kek_label         text,   -- hsm-wrapped: the HSM key that wraps it
    public_key        bytea NOT NULL,  -- SubjectPublicKeyInfo DER
    tbs               bytea NOT NULL,  -- the linted tbsCertificate the HSM signs
    der               bytea,           -- the certificate; NULL until signed
    status            text NOT NULL CHECK (status IN ('reserved', 'abandoned', 'issued', 'revoked')),
    failure           text,            -- abandoned: why
    not_before        timestamptz NOT NULL,
    not_after         timestamptz NOT NULL,
    reserved_at       timestamptz NOT NULL,
    issued_at         timestamptz,
    revoked_at        timestamptz,
    revocation_reason integer CHECK (revocation_reason BETWEEN 0 AND 10 AND revocation_reason <> 7),
    invalidity_date   timestamptz,
    CHECK ((der IS NULL) = (status IN ('reserved', 'abandoned'))),
    CHECK ((revoked_at IS NULL) = (status <> 'revoked')),
    CHECK ((key_source = 'hsm-wrapped') = (wrapped_key IS NOT NULL AND kek_label IS NOT NULL))
);
CREATE INDEX certificates_subject ON certificates (subject_id);
CREATE INDEX certificates_revoked ON certificates (issuer_ca) WHERE status = 'revoked';
CREATE INDEX certificates_status ON certificates (status, reserved_at);

-- The CAs made by the key ceremony; the key stays in the HSM under key_label.
CREATE TABLE certificate_authorities (
    name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_-]{1,64}$'),
    role        text NOT NULL CHECK (role IN ('root', 'issuing')),
    parent      text REFERENCES certificate_authorities (name),
    key_label   text NOT NULL UNIQUE,
    key_type    text NOT NULL,
    serial      bytea NOT NULL UNIQUE REFERENCES certificates (serial),
    created_at  timestamptz NOT NULL,
    CHECK ((role = 'root') = (parent IS NULL))
);

-- Certificates of the services (TSA, each CA's OCSP responder), by role.
CREATE TABLE service_certificates (
    role       text PRIMARY KEY CHECK (role ~ '^(tsa|ocsp:[A-Za-z0-9_-]{1,64})$'),
    serial     bytea NOT NULL UNIQUE REFERENCES certificates (serial),
    created_at timestamptz NOT NULL
);

-- Every CRL signed (RFC 5280 §5.2.3: cRLNumber increases for each CRL of one issuer).
CREATE TABLE crls (
    issuer_ca   text NOT NULL REFERENCES certificate_authorities (name),
    number      bigint NOT NULL CHECK (number >= 1),
    this_update timestamptz NOT NULL,
    next_update timestamptz NOT NULL CHECK (next_update > this_update),
    der         bytea NOT NULL,
    entries     integer NOT NULL,
    PRIMARY KEY (issuer_ca, number)
);
)sql";

constexpr std::string_view kAuditOutbox = R"sql(
-- Events written inside a busy transaction without taking the audit log's append lock (an
-- issuance, a revocation): they commit with the change they describe, and a drainer moves them
-- into audit_events in batches, one append lock and one commit per batch (audit/README.md).
CREATE TABLE audit_outbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    event_type  text NOT NULL CHECK (event_type <> ''),
    actor       text NOT NULL,
    object      text NOT NULL,
    details     jsonb NOT NULL CHECK (jsonb_typeof(details) = 'object')
);
)sql";

constexpr std::string_view kTsaSchema = R"sql(
-- Every time-stamp token the TSA (RFC 3161) issues, committed before the HSM signs it (DESIGN.md
-- invariant 2), in groups (tsa/README.md): a token that leaves the server has its row. The
-- converse need not hold: a row whose signature then failed, or whose client went away, names a
-- token nobody received. serial is the TSTInfo serialNumber's magnitude (RFC 3161 §2.4.2: unique
-- per TSA; random, so nodes never coordinate), nonce the DER content octets of the INTEGER.
CREATE TABLE tsa_tokens (
    serial                 bytea PRIMARY KEY
                           CHECK (octet_length(serial) BETWEEN 1 AND 20 AND get_byte(serial, 0) <> 0),
    gen_time               timestamptz NOT NULL,
    policy                 text NOT NULL CHECK (policy ~ '^[0-2](\.[0-9]+)+$'),
    imprint_algorithm      text NOT NULL CHECK (imprint_algorithm IN ('sha256', 'sha384', 'sha512')),
    imprint                bytea NOT NULL CHECK (octet_length(imprint) IN (32, 48, 64)),
    nonce                  bytea CHECK (octet_length(nonce) BETWEEN 1 AND 64),
    cert_req               boolean NOT NULL,
    client                 text CHECK (client <> '' AND length(client) <= 200),
    remote                 text NOT NULL CHECK (length(remote) <= 100),
    node                   text NOT NULL CHECK (node <> '' AND length(node) <= 300),
    tsa_certificate_sha256 bytea NOT NULL CHECK (octet_length(tsa_certificate_sha256) = 32)
);
-- Rows arrive in genTime order (nearly): a BRIN index costs the inserts almost nothing.
CREATE INDEX tsa_tokens_gen_time ON tsa_tokens USING brin (gen_time);

-- Append-only, as audit_events: a token once recorded is evidence. Statement-level, so even an
-- UPDATE or DELETE that matches no row is refused.
CREATE FUNCTION tsa_tokens_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'tsa_tokens is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER tsa_tokens_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON tsa_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION tsa_tokens_refuse_change();
)sql";

constexpr std::string_view kTlsServerCertificates = R"sql(
-- The HTTPS listener's certificate, made by the key ceremony (its tls_server section): a
-- certificate of purpose 'tls-server', recorded as the service certificate of role 'tls-server'.
ALTER TABLE certificates
    DROP CONSTRAINT certificates_purpose_check,
    ADD CONSTRAINT certificates_purpose_check
        CHECK (purpose IN ('root', 'ca', 'subject', 'tsa', 'ocsp', 'tls-server'));
ALTER TABLE service_certificates
    DROP CONSTRAINT service_certificates_role_check,
    ADD CONSTRAINT service_certificates_role_check
        CHECK (role ~ '^(tsa|tls-server|ocsp:[A-Za-z0-9_-]{1,64})$');
)sql";

constexpr std::string_view kOcspResponses = R"sql(
-- Pre-signed OCSP responses (RFC 6960 §2.2, RFC 5019 §2.2: nonce-free, one certificate each),
-- one per certificate and CertID hash, so every node loads the same set at start instead of
-- signing it again. revoked: the response says revoked (a revoked one is never replaced by a
-- good one, whatever the two nodes' clocks say). No foreign key to certificates: the refresher
-- writes thousands per statement and a certificate row is never deleted.
CREATE TABLE ocsp_responses (
    serial      bytea NOT NULL CHECK (octet_length(serial) BETWEEN 1 AND 20),
    hash        text NOT NULL CHECK (hash IN ('sha1', 'sha256')),
    issuer_ca   text NOT NULL,
    der         bytea NOT NULL,
    revoked     boolean NOT NULL,
    this_update timestamptz NOT NULL,
    next_update timestamptz NOT NULL CHECK (next_update > this_update),
    produced_at timestamptz NOT NULL,
    -- Bumped by every write: each node pulls the rows written since its last pull, so a response
    -- one node re-signs reaches every node's memory.
    change      bigint NOT NULL,
    PRIMARY KEY (serial, hash)
);
CREATE SEQUENCE ocsp_response_changes;
CREATE INDEX ocsp_responses_change ON ocsp_responses (change);
-- The refresh scan (oldest first) and a reconnecting node's catch-up both range over thisUpdate,
-- the age a refresh is decided by.
CREATE INDEX ocsp_responses_this_update ON ocsp_responses (this_update);

-- Certificates whose response must be (re)signed now: every one that becomes 'issued' or
-- 'revoked' is queued by a trigger, so that the refresher never scans the certificates table
-- (a million rows of TBS and DER) to find the few without a current response. version orders
-- the queue and lets the refresher remove exactly the entry it signed for: a revocation that
-- arrives while the good response is being signed queues the certificate again.
CREATE SEQUENCE ocsp_pending_versions;
CREATE TABLE ocsp_pending (
    serial  bytea PRIMARY KEY,
    version bigint NOT NULL DEFAULT nextval('ocsp_pending_versions')
);
CREATE INDEX ocsp_pending_version ON ocsp_pending (version);
CREATE FUNCTION certificates_queue_ocsp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ocsp_pending (serial) VALUES (NEW.serial)
        ON CONFLICT (serial) DO UPDATE SET version = nextval('ocsp_pending_versions');
    RETURN NULL;
END
$$;
-- A root is its own issuer: nobody asks a responder about it.
CREATE TRIGGER certificates_queue_ocsp AFTER INSERT OR UPDATE OF status ON certificates
    FOR EACH ROW WHEN (NEW.status IN ('issued', 'revoked') AND NEW.purpose <> 'root')
    EXECUTE FUNCTION certificates_queue_ocsp();
INSERT INTO ocsp_pending (serial)
    SELECT serial FROM certificates
    WHERE status IN ('issued', 'revoked') AND purpose <> 'root' ORDER BY reserved_at;
)sql";

constexpr std::string_view kOtp = R"sql(
-- One-time passwords (ra/otp.hpp, ra/totp.hpp). No code or seed in the clear: a challenge keeps
-- only the HSM-keyed HMAC of its code (a plain hash of 6 digits is brute-forced in
-- microseconds), a TOTP enrolment only its seed wrapped by the HSM's key-encryption key.
CREATE TABLE otp_challenges (
    id            text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{32}$'),
    subject_id    bigint NOT NULL REFERENCES subjects (id),
    purpose       text NOT NULL CHECK (purpose <> '' AND length(purpose) <= 200),
    channel       text NOT NULL CHECK (channel ~ '^[a-z0-9_-]{1,32}$'),
    client        text CHECK (client <> '' AND length(client) <= 200),
    digits        integer NOT NULL CHECK (digits BETWEEN 6 AND 8),
    code_hash     bytea NOT NULL CHECK (octet_length(code_hash) BETWEEN 32 AND 64),
    expires_at    timestamptz NOT NULL,
    attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    consumed_at   timestamptz,
    voided_at     timestamptz,
    voided_reason text CHECK (voided_reason IN ('attempts', 'transport')),
    created_at    timestamptz NOT NULL,
    CHECK ((voided_at IS NULL) = (voided_reason IS NULL)),
    CHECK (consumed_at IS NULL OR voided_at IS NULL)
);
-- The sending rate limits count a subject's and a client's recent challenges.
CREATE INDEX otp_challenges_subject ON otp_challenges (subject_id, created_at);
CREATE INDEX otp_challenges_client ON otp_challenges (client, created_at) WHERE client IS NOT NULL;

-- TOTP (RFC 6238) enrolments: one per subject. last_step is the last accepted time step, so a
-- code is accepted once (replay).
CREATE TABLE otp_totp (
    subject_id   bigint PRIMARY KEY REFERENCES subjects (id),
    wrapped_seed bytea NOT NULL CHECK (octet_length(wrapped_seed) BETWEEN 24 AND 1024),
    kek_label    text NOT NULL CHECK (kek_label <> '' AND length(kek_label) <= 200),
    last_step    bigint CHECK (last_step >= 0),
    created_at   timestamptz NOT NULL
);

-- Per subject: wrong codes (of challenges and TOTP) within the current window, and the lockout.
CREATE TABLE otp_subjects (
    subject_id        bigint PRIMARY KEY REFERENCES subjects (id),
    failures          integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    window_started_at timestamptz NOT NULL,
    locked_until      timestamptz,
    lockouts          integer NOT NULL DEFAULT 0 CHECK (lockouts >= 0)
);
)sql";

constexpr std::string_view kRegistry = R"sql(
-- The registration authority (ra/registry.hpp, issue 12). A subject's identity document is kept
-- only as document_hmac, an HMAC-SHA-256 under a key that never leaves the HSM, of
-- kind || 0x00 || country || 0x00 || number (DESIGN.md invariant 6): the same document is found
-- again, and a dump of the table reveals no number. id_masked is the only readable form.
ALTER TABLE subjects
    ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
    ADD COLUMN document_kind text NOT NULL DEFAULT ''
        CHECK (document_kind IN ('', 'cn_resident_id', 'cn_uscc', 'passport')),
    ADD COLUMN document_hmac bytea CHECK (octet_length(document_hmac) = 32),
    -- ITU-T E.164: the SMS channel of one-time passwords.
    ADD COLUMN mobile text NOT NULL DEFAULT '' CHECK (mobile = '' OR mobile ~ '^\+[1-9][0-9]{7,14}$'),
    -- RFC 5321 §4.5.3.1: a path of 256 octets less its angle brackets.
    ADD COLUMN email text NOT NULL DEFAULT '' CHECK (length(email) <= 254),
    ADD COLUMN legal_representative_id bigint REFERENCES subjects (id),
    ADD COLUMN verification_method text NOT NULL DEFAULT ''
        CHECK (verification_method IN ('', 'provider', 'officer')),
    ADD COLUMN verified_at timestamptz,
    ADD COLUMN deactivated_at timestamptz,
    ADD COLUMN updated_at timestamptz,
    -- Subjects added before the RA (signetctl subject add) have no document on record.
    ADD CONSTRAINT subjects_document_check CHECK ((document_kind = '') = (document_hmac IS NULL)),
    ADD CONSTRAINT subjects_representative_check
        CHECK (legal_representative_id IS NULL OR (kind = 'organization' AND legal_representative_id <> id)),
    ADD CONSTRAINT subjects_verified_check CHECK ((verification_method = '') = (verified_at IS NULL)),
    ADD CONSTRAINT subjects_deactivated_check
        CHECK ((status = 'deactivated') = (deactivated_at IS NOT NULL));
UPDATE subjects SET updated_at = created_at;
ALTER TABLE subjects ALTER COLUMN updated_at SET NOT NULL;
-- Levels set by hand before the RA (signetctl subject add --assurance) rest on no evidence: the
-- CA issues only on a level that verification reached, so those subjects start again from 0.
UPDATE subjects SET assurance_level = 0 WHERE verification_method = '';
-- The same document cannot be two active subjects (a person registered twice would hold two
-- sets of certificates under one identity); a deactivated subject's document may come back.
CREATE UNIQUE INDEX subjects_active_document ON subjects (document_kind, document_hmac)
    WHERE status = 'active' AND document_hmac IS NOT NULL;
-- Finding a document again among deactivated subjects too (the list's document filter).
CREATE INDEX subjects_document ON subjects (document_hmac) WHERE document_hmac IS NOT NULL;

-- Identity evidence behind a subject's assurance level, minimized: never the provider's
-- statement (it may carry a photo's score, the name, the number), never the subject binding,
-- never a number. A provider's statement is known by its issuer, jti and SHA-256; an officer's
-- verification by the officer and the reason. superseded_at: the identity it attested changed.
CREATE TABLE identity_evidence (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id       bigint NOT NULL REFERENCES subjects (id),
    method           text NOT NULL CHECK (method IN ('provider', 'officer')),
    level            integer NOT NULL CHECK (level BETWEEN 1 AND 10),
    issuer           text CHECK (issuer <> '' AND length(issuer) <= 500),
    jti              text CHECK (jti <> '' AND length(jti) <= 128),
    key_id           text CHECK (length(key_id) <= 200),
    algorithm        text CHECK (algorithm IN ('ES256', 'RS256')),
    issued_at        timestamptz,
    methods          text[] NOT NULL DEFAULT '{}' CHECK (array_position(methods, NULL) IS NULL),
    face_match_score double precision CHECK (face_match_score BETWEEN 0 AND 1),
    liveness_score   double precision CHECK (liveness_score BETWEEN 0 AND 1),
    statement_sha256 bytea CHECK (octet_length(statement_sha256) = 32),
    officer          text CHECK (officer <> '' AND length(officer) <= 512),
    reason           text CHECK (reason <> '' AND length(reason) <= 500),
    recorded_at      timestamptz NOT NULL,
    superseded_at    timestamptz,
    CHECK ((method = 'provider') = (issuer IS NOT NULL AND jti IS NOT NULL AND
                                    algorithm IS NOT NULL AND issued_at IS NOT NULL AND
                                    statement_sha256 IS NOT NULL)),
    CHECK ((method = 'officer') = (officer IS NOT NULL AND reason IS NOT NULL))
);
CREATE INDEX identity_evidence_subject ON identity_evidence (subject_id, id);

-- Each provider statement is accepted once (replay): its (iss, jti) is inserted in the same
-- transaction as the evidence row, so a statement is used up only when its evidence commits.
-- After keep_until the statement is refused as stale anyway and the row may go.
CREATE TABLE evidence_replay (
    issuer     text NOT NULL CHECK (issuer <> '' AND length(issuer) <= 500),
    jti        text NOT NULL CHECK (jti <> '' AND length(jti) <= 128),
    keep_until timestamptz NOT NULL,
    PRIMARY KEY (issuer, jti)
);
CREATE INDEX evidence_replay_keep_until ON evidence_replay (keep_until);

-- Who may act for an organization (a verified person), doing what, until when, on which
-- written authorization (its reference and, when given, its SHA-256; the document itself is
-- not kept here). A grant is revoked, never deleted: it is the record of who could act when.
CREATE TABLE organization_agents (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id         bigint NOT NULL REFERENCES subjects (id),
    person_id               bigint NOT NULL REFERENCES subjects (id),
    permissions             text[] NOT NULL
                            CHECK (cardinality(permissions) >= 1 AND
                                   array_position(permissions, NULL) IS NULL AND
                                   permissions <@ ARRAY['sign', 'apply_seal', 'approve_seal']),
    valid_until             timestamptz NOT NULL,
    authorization_reference text NOT NULL
                            CHECK (authorization_reference <> '' AND
                                   length(authorization_reference) <= 200),
    authorization_sha256    bytea CHECK (octet_length(authorization_sha256) = 32),
    granted_by              text NOT NULL CHECK (granted_by <> ''),
    granted_at              timestamptz NOT NULL,
    revoked_at              timestamptz,
    revoked_by              text,
    CHECK (organization_id <> person_id),
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
CREATE INDEX organization_agents_organization ON organization_agents (organization_id, person_id);
CREATE INDEX organization_agents_person ON organization_agents (person_id);
)sql";

constexpr std::string_view kOtpSubjectLifecycle = R"sql(
-- A subject's open challenges are voided when it is deactivated ('deactivated'), when the SMS
-- number they were sent to changes ('mobile_changed': a code on its way to a number that is no
-- longer the subject's must not be usable) and when its identity changes ('identity_changed':
-- what was asked of the old identity is not asked of the new one) (issue 12, review).
ALTER TABLE otp_challenges DROP CONSTRAINT otp_challenges_voided_reason_check;
ALTER TABLE otp_challenges ADD CONSTRAINT otp_challenges_voided_reason_check
    CHECK (voided_reason IN ('attempts', 'transport', 'deactivated', 'mobile_changed',
                             'identity_changed'));
-- Subjects deactivated before this migration: as a deactivation does from now on, their open
-- challenges are void and their TOTP seeds gone.
UPDATE otp_challenges c SET voided_at = now(), voided_reason = 'deactivated'
    FROM subjects s
    WHERE s.id = c.subject_id AND s.status = 'deactivated'
      AND c.consumed_at IS NULL AND c.voided_at IS NULL AND c.expires_at > now();
DELETE FROM otp_totp t USING subjects s WHERE s.id = t.subject_id AND s.status = 'deactivated';
)sql";

constexpr std::string_view kDocuments = R"sql(
-- Contract documents, encrypted at rest (sign/document_vault.hpp, issue 13): AES-256-GCM under a
-- fresh data key per document, kept here only wrapped (RFC 5649) by the HSM key key_label, so a
-- dump, a base backup or a replica of the database reveals nothing without the HSM. In
-- PostgreSQL rather than files so that one backup and one replication stream cover documents
-- too (DESIGN.md "Durability and disaster recovery"). sha256 and size are the plaintext's.
CREATE TABLE documents (
    id          text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{32}$'),
    size        bigint NOT NULL CHECK (size >= 0),
    sha256      bytea NOT NULL CHECK (octet_length(sha256) = 32),
    -- RFC 5649 output: the padded key in whole 8-byte semiblocks plus the integrity block.
    wrapped_key bytea NOT NULL CHECK (octet_length(wrapped_key) BETWEEN 24 AND 256
                                      AND octet_length(wrapped_key) % 8 = 0),
    key_label   text NOT NULL CHECK (key_label <> '' AND length(key_label) <= 200),
    chunk_size  integer NOT NULL CHECK (chunk_size BETWEEN 1024 AND 67108864),
    -- Every document has at least one chunk, the last one, even when empty: the GCM tag of an
    -- empty last chunk is what tells an empty document from one whose chunks were all removed.
    chunk_count bigint NOT NULL
                CHECK (chunk_count = greatest(1, (size + chunk_size - 1) / chunk_size)),
    created_at  timestamptz NOT NULL
);

-- A document's chunks: each chunk_size bytes of plaintext (the last one fewer) sealed on its own,
-- ciphertext followed by its 16-byte GCM tag. The writer streams the chunks first and records
-- the document last (its size and SHA-256 are known only then), in one transaction: hence the
-- foreign key checked at COMMIT. A document removed takes its chunks with it.
CREATE TABLE document_chunks (
    document_id text NOT NULL
                REFERENCES documents (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    chunk_index bigint NOT NULL CHECK (chunk_index >= 0),
    ciphertext  bytea NOT NULL CHECK (octet_length(ciphertext) >= 16),
    PRIMARY KEY (document_id, chunk_index)
);
-- Ciphertext does not compress: stored out of line (TOAST) without PostgreSQL trying pglz on
-- every megabyte first.
ALTER TABLE document_chunks ALTER COLUMN ciphertext SET STORAGE EXTERNAL;
)sql";

constexpr std::string_view kContracts = R"sql(
-- Contracts (sign/contracts.hpp, issue 13 "Contracts"): a document signed by parties in turn.
-- Every column a state implies is checked against the state, so a row cannot say "completed"
-- without a completion time, or "signed" without the certificate and the revision it produced.
CREATE TABLE contracts (
    id               text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{32}$'),
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    -- The front end's own keys and values, bounded so a contract row stays small.
    metadata         jsonb NOT NULL DEFAULT '{}'
                     CHECK (jsonb_typeof(metadata) = 'object' AND
                            octet_length(metadata::text) <= 16384),
    -- A policy word (signing.seal_approvals may name it), or '' for none.
    contract_type    text NOT NULL DEFAULT '' CHECK (contract_type ~ '^[a-z0-9_.-]{0,64}$'),
    -- An amount in minor units (cents, fen) and its ISO 4217 alphabetic code, both or neither.
    amount_minor     bigint CHECK (amount_minor >= 0),
    currency         text CHECK (currency ~ '^[A-Z]{3}$'),
    format           text NOT NULL CHECK (format IN ('pdf', 'bytes')),
    client           text NOT NULL CHECK (client <> '' AND length(client) <= 200),
    state            text NOT NULL CHECK (state IN ('draft', 'sent', 'partially_signed',
                                                    'completed', 'cancelled', 'expired')),
    signer_count     integer NOT NULL CHECK (signer_count BETWEEN 1 AND 50),
    current_revision integer NOT NULL DEFAULT 0 CHECK (current_revision >= 0),
    expires_at       timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    sent_at          timestamptz,
    completed_at     timestamptz,
    cancelled_at     timestamptz,
    expired_at       timestamptz,
    CHECK ((amount_minor IS NULL) = (currency IS NULL)),
    CHECK (expires_at > created_at),
    -- A draft was never sent; everything past a draft was, except a draft that was cancelled.
    CHECK (state <> 'draft' OR sent_at IS NULL),
    CHECK (state IN ('draft', 'cancelled') OR sent_at IS NOT NULL),
    CHECK ((state = 'completed') = (completed_at IS NOT NULL)),
    CHECK ((state = 'cancelled') = (cancelled_at IS NOT NULL)),
    CHECK ((state = 'expired') = (expired_at IS NOT NULL)),
    -- Only a signature adds a revision, and nobody signs before the contract is sent.
    CHECK (state IN ('partially_signed', 'completed', 'cancelled', 'expired')
           OR current_revision = 0)
);
CREATE INDEX contracts_client ON contracts (client, created_at DESC, id);
-- The periodic expiry scan looks only at open contracts.
CREATE INDEX contracts_open_expiry ON contracts (expires_at)
    WHERE state IN ('sent', 'partially_signed');

-- The parties in signing order. A seal is an organization's, applied by its agent (a person);
-- approvals_required is fixed when the contract is created (signing.seal_approvals), so a later
-- policy change does not move the bar under a contract already sent.
CREATE TABLE contract_signers (
    contract_id        text NOT NULL REFERENCES contracts (id),
    position           integer NOT NULL CHECK (position BETWEEN 1 AND 50),
    kind               text NOT NULL CHECK (kind IN ('person', 'seal')),
    subject_id         bigint NOT NULL REFERENCES subjects (id),
    agent_id           bigint REFERENCES subjects (id),
    approvals_required integer NOT NULL DEFAULT 0 CHECK (approvals_required BETWEEN 0 AND 10),
    state              text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'signed')),
    signed_at          timestamptz,
    certificate_serial text CHECK (certificate_serial ~ '^[0-9a-f]{2,40}$'),
    revision           integer CHECK (revision >= 1),
    PRIMARY KEY (contract_id, position),
    CHECK ((kind = 'seal') = (agent_id IS NOT NULL)),
    CHECK (agent_id <> subject_id),
    CHECK (kind = 'seal' OR approvals_required = 0),
    CHECK ((state = 'signed') = (signed_at IS NOT NULL AND certificate_serial IS NOT NULL AND
                                 revision IS NOT NULL)),
    CHECK (state = 'signed' OR (signed_at IS NULL AND certificate_serial IS NULL AND
                                revision IS NULL))
);

-- Each version of the document: revision 0 is the one submitted, each later one adds to it (a
-- signature, validation data, a document time-stamp). The bytes are in documents (encrypted);
-- sha256 and size are recorded here too, as the contract's own record of what was signed.
CREATE TABLE contract_revisions (
    contract_id     text NOT NULL REFERENCES contracts (id),
    number          integer NOT NULL CHECK (number >= 0),
    document_id     text NOT NULL UNIQUE REFERENCES documents (id),
    sha256          bytea NOT NULL CHECK (octet_length(sha256) = 32),
    size            bigint NOT NULL CHECK (size >= 0),
    kind            text NOT NULL CHECK (kind IN ('original', 'signature', 'validation_data',
                                                  'document_timestamp')),
    signer_position integer,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (contract_id, number),
    FOREIGN KEY (contract_id, signer_position) REFERENCES contract_signers (contract_id, position),
    CHECK ((number = 0) = (kind = 'original')),
    CHECK ((kind = 'signature') = (signer_position IS NOT NULL))
);
-- A signer's revision exists: checked at COMMIT, as the signer row and its revision are
-- written in one transaction and each names the other.
ALTER TABLE contract_signers ADD FOREIGN KEY (contract_id, revision)
    REFERENCES contract_revisions (contract_id, number) DEFERRABLE INITIALLY DEFERRED;

-- Approvals of a seal (issue 13: "only after the approvals policy requires are recorded"): one
-- per approver and seal, by a person allowed to approve_seal for the organization.
CREATE TABLE contract_approvals (
    contract_id text NOT NULL,
    position    integer NOT NULL,
    approver_id bigint NOT NULL REFERENCES subjects (id),
    approved_at timestamptz NOT NULL,
    PRIMARY KEY (contract_id, position, approver_id),
    FOREIGN KEY (contract_id, position) REFERENCES contract_signers (contract_id, position)
);

-- Every transition of a contract, time-stamped by our own TSA (issue 13: "every transition is
-- an audit event carrying an RFC 3161 token from our own TSA over the event"). canonical is the
-- event's exact bytes (sign/contract_events.hpp), event_sha256 their SHA-256 (checked here, so a
-- row cannot claim a hash of other bytes) and timestamp_token a TimeStampToken (DER) whose
-- messageImprint is that hash: anyone can check the time without trusting this database.
CREATE TABLE contract_events (
    contract_id     text NOT NULL REFERENCES contracts (id),
    seq             integer NOT NULL CHECK (seq >= 1),
    type            text NOT NULL CHECK (type IN ('created', 'sent', 'approved', 'signed',
                                                  'completed', 'cancelled', 'expired')),
    at              timestamptz NOT NULL,
    signer_position integer,
    canonical       text NOT NULL CHECK (octet_length(canonical) BETWEEN 2 AND 4096),
    event_sha256    bytea NOT NULL
                    CHECK (event_sha256 = sha256(convert_to(canonical, 'UTF8'))),
    timestamp_token bytea NOT NULL CHECK (octet_length(timestamp_token) BETWEEN 16 AND 65536),
    PRIMARY KEY (contract_id, seq),
    CHECK ((type IN ('approved', 'signed')) = (signer_position IS NOT NULL))
);
-- Evidence, like audit_events: never changed or removed.
CREATE FUNCTION contract_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'contract_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER contract_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON contract_events
    FOR EACH STATEMENT EXECUTE FUNCTION contract_events_refuse_change();
)sql";

// Telling the next party (issue 13, store migration 12): the outbox the contract transitions
// write in their own transaction (sign/outbox_notifier.hpp), every delivery attempt, and the
// signing links' single-use capability tokens (sign/signing_links.hpp).
constexpr std::string_view kContractNotifications = R"sql(
-- One row per message to deliver. target names the recipient without holding an address: a
-- webhook's API client name, or an e-mail's subject id (the address is read from subjects when
-- the message is sent, so no e-mail address is copied into this table or its errors).
CREATE TABLE contract_notifications (
    id              bigserial PRIMARY KEY,
    contract_id     text NOT NULL REFERENCES contracts (id),
    kind            text NOT NULL CHECK (kind IN ('webhook', 'email')),
    event           text NOT NULL CHECK (event IN ('signer_due', 'contract_completed',
                                                   'contract_cancelled', 'contract_expired')),
    target          text NOT NULL CHECK (octet_length(target) BETWEEN 1 AND 128),
    signer_position integer CHECK (signer_position >= 1),
    payload         jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    last_error      text CHECK (octet_length(last_error) <= 300),
    delivered_at    timestamptz,
    created_at      timestamptz NOT NULL,
    CHECK ((state = 'delivered') = (delivered_at IS NOT NULL)),
    -- an e-mail goes to the due signer: its position says which link to issue
    CHECK (kind <> 'email' OR (event = 'signer_due' AND signer_position IS NOT NULL))
);
-- The deliverers' queue: pending rows by due time.
CREATE INDEX contract_notifications_due ON contract_notifications (next_attempt_at, id)
    WHERE state = 'pending';
CREATE INDEX contract_notifications_contract ON contract_notifications (contract_id, id);

-- Every delivery attempt ("delivery recorded"): when, the result, and the receiver's answer
-- (an HTTP status or an SMTP reply code; NULL when none came, e.g. no connection).
CREATE TABLE contract_notification_attempts (
    notification_id bigint NOT NULL REFERENCES contract_notifications (id),
    attempt         integer NOT NULL CHECK (attempt >= 1),
    at              timestamptz NOT NULL,
    outcome         text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
    reply_code      integer CHECK (reply_code BETWEEN 0 AND 999),
    error           text CHECK (octet_length(error) <= 300),
    PRIMARY KEY (notification_id, attempt)
);

-- A signing link's capability token: only its SHA-256 is kept, so the table alone opens
-- nothing. Single use: used_at is set once (sign/signing_links.hpp consume).
CREATE TABLE signing_links (
    token_sha256 bytea PRIMARY KEY CHECK (octet_length(token_sha256) = 32),
    contract_id  text NOT NULL,
    position     integer NOT NULL,
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL,
    used_at      timestamptz,
    FOREIGN KEY (contract_id, position) REFERENCES contract_signers (contract_id, position),
    CHECK (expires_at > created_at)
);
CREATE INDEX signing_links_signer ON signing_links (contract_id, position);
)sql";

// The tamper-evident log (issue 14, audit/tree_store.hpp and audit/checkpoints.hpp): stored
// subtree hashes of the Merkle tree over audit_events.leaf_hash, and the signed checkpoints.
constexpr std::string_view kAuditTree = R"sql(
-- The hash of every complete aligned subtree of 2^level leaves at levels >= 4 (RFC 9162 §2.1.1
-- MTH of leaves idx * 2^level .. (idx + 1) * 2^level - 1, 0-based; leaf i is event seq i + 1).
-- Smaller subtrees are computed from at most 15 leaf hashes, so a proof reads O(log n) rows.
-- Rows are added when their subtree is complete and never change.
CREATE TABLE audit_tree (
    level smallint NOT NULL CHECK (level BETWEEN 4 AND 63),
    idx   bigint NOT NULL CHECK (idx >= 0),
    hash  bytea NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (level, idx)
);

-- Checkpoints (signed tree heads): body is audit/checkpoint.hpp checkpoint_body, byte for byte
-- what was signed; time_stamp_token an RFC 3161 token over SHA-256(body); made_by the node.
CREATE TABLE audit_checkpoints (
    size             bigint PRIMARY KEY CHECK (size >= 0),
    root             bytea NOT NULL CHECK (octet_length(root) = 32),
    time             timestamptz NOT NULL,
    body             text NOT NULL,
    signature        bytea NOT NULL,
    certificate      bytea NOT NULL,
    time_stamp_token bytea NOT NULL,
    made_by          text NOT NULL CHECK (octet_length(made_by) BETWEEN 1 AND 200)
);

-- The checkpoint signer's certificate, made by the key ceremony (its audit_checkpoint section):
-- purpose and service role 'audit-checkpoint'.
ALTER TABLE certificates
    DROP CONSTRAINT certificates_purpose_check,
    ADD CONSTRAINT certificates_purpose_check
        CHECK (purpose IN ('root', 'ca', 'subject', 'tsa', 'ocsp', 'tls-server',
                           'audit-checkpoint'));
ALTER TABLE service_certificates
    DROP CONSTRAINT service_certificates_role_check,
    ADD CONSTRAINT service_certificates_role_check
        CHECK (role ~ '^(tsa|tls-server|audit-checkpoint|ocsp:[A-Za-z0-9_-]{1,64})$');

-- Both append-only, like audit_events (a superuser can disable the triggers; signetctl audit
-- verify then finds the change).
CREATE FUNCTION audit_tree_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_tree_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_tree
    FOR EACH STATEMENT EXECUTE FUNCTION audit_tree_refuse_change();
CREATE TRIGGER audit_checkpoints_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_tree_refuse_change();
)sql";

constexpr std::string_view kEvidencePackages = R"sql(
-- Evidence packages (evidence/README.md): the platform's e-seal made by the key ceremony (its
-- evidence_seal section), a certificate of purpose 'evidence-seal' recorded as the service
-- certificate of that role; and the audit events of one object (a contract's, a certificate's)
-- found without reading the whole log.
ALTER TABLE certificates
    DROP CONSTRAINT certificates_purpose_check,
    ADD CONSTRAINT certificates_purpose_check
        CHECK (purpose IN ('root', 'ca', 'subject', 'tsa', 'ocsp', 'tls-server',
                           'audit-checkpoint', 'evidence-seal'));
ALTER TABLE service_certificates
    DROP CONSTRAINT service_certificates_role_check,
    ADD CONSTRAINT service_certificates_role_check
        CHECK (role ~ '^(tsa|tls-server|audit-checkpoint|evidence-seal|ocsp:[A-Za-z0-9_-]{1,64})$');
CREATE INDEX audit_events_object ON audit_events (object, seq);
)sql";

// Contract management (issue 14, store migration 15): the indexes GET /v1/contracts searches
// with, each kind of search answered from an index (tests/store/contract_search_test.cpp holds
// the plans to that over 100,000 contracts).
constexpr std::string_view kContractSearch = R"sql(
-- Keyset paging newest first within a client: ORDER BY created_at DESC, id DESC is this index
-- scanned backwards, and (created_at, id) < (cursor) its index condition. It replaces
-- contracts_client, whose (created_at DESC, id) order matched no query's ORDER BY.
CREATE INDEX contracts_client_created ON contracts (client, created_at, id);
DROP INDEX contracts_client;
CREATE INDEX contracts_client_state ON contracts (client, state, created_at, id);
-- Title words: full text with the 'simple' configuration (lower-cased words, no stemming, no
-- stop words), which is in core PostgreSQL and language-neutral for titles in any Latin script.
CREATE INDEX contracts_title_words ON contracts USING gin (to_tsvector('simple', title));
-- metadata @> '{"KEY": "VALUE"}': jsonb_path_ops, the smaller GIN operator class that serves
-- exactly containment.
CREATE INDEX contracts_metadata ON contracts USING gin (metadata jsonb_path_ops);
-- The contracts a party signs (a person, or the organization whose seal it is).
CREATE INDEX contract_signers_subject ON contract_signers (subject_id, contract_id);

-- Crypto-shredding after the retention period (sign/contracts.hpp Contracts::shred): a document's
-- wrapped data key and chunks are deleted, its record (size, SHA-256) stays; the contract, its
-- revisions' hashes and its time-stamped events stay.
ALTER TABLE documents ALTER COLUMN wrapped_key DROP NOT NULL;
ALTER TABLE documents ADD COLUMN shredded_at timestamptz;
ALTER TABLE documents ADD CHECK ((wrapped_key IS NULL) = (shredded_at IS NOT NULL));
ALTER TABLE contracts ADD COLUMN shredded_at timestamptz;
ALTER TABLE contracts ADD CHECK (shredded_at IS NULL OR
                                 state IN ('completed', 'cancelled', 'expired'));
)sql";

// Remote signing for other platforms (issue 17, csc/README.md): which platform registered a
// subject, the CSC API's access and refresh tokens, the signing transactions credentials/
// authorize opens with their SADs, and the SMS challenges credentials/getChallenge sent. No
// token or SAD is stored: only its SHA-256 (32 random bytes are not guessed from it).
constexpr std::string_view kRemoteSigning = R"sql(
-- The API client (platform) that registered the subject; NULL when an operator made it. A
-- platform's CSC credentials are its own subjects' certificates.
ALTER TABLE subjects
    ADD COLUMN registered_by text CHECK (registered_by <> '' AND length(registered_by) <= 200);
CREATE INDEX subjects_registered_by ON subjects (registered_by) WHERE registered_by IS NOT NULL;

-- Service access tokens (auth/login, oauth2/token) and refresh tokens (auth/login rememberMe).
-- An access token made from a refresh token names it, so revoking the refresh token revokes
-- them too (csc/README.md).
CREATE TABLE csc_tokens (
    token_sha256  bytea PRIMARY KEY CHECK (octet_length(token_sha256) = 32),
    client        text NOT NULL CHECK (client <> '' AND length(client) <= 200),
    kind          text NOT NULL CHECK (kind IN ('access', 'refresh')),
    issued_at     timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL CHECK (expires_at > issued_at),
    revoked_at    timestamptz,
    refresh_sha256 bytea REFERENCES csc_tokens (token_sha256),
    CHECK (refresh_sha256 IS NULL OR kind = 'access')
);
CREATE INDEX csc_tokens_refresh ON csc_tokens (refresh_sha256) WHERE refresh_sha256 IS NOT NULL;
CREATE INDEX csc_tokens_expiry ON csc_tokens (expires_at);

-- A signing transaction (credentials/authorize): the signer's one-time password allowed
-- `signatures_authorized` signatures with one credential for one platform; hashes_bound says
-- whether authorize named a hash for every one of them (then no SAD ever carries another hash).
CREATE TABLE csc_transactions (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client                text NOT NULL CHECK (client <> '' AND length(client) <= 200),
    credential_serial     bytea NOT NULL REFERENCES certificates (serial),
    subject_id            bigint NOT NULL REFERENCES subjects (id),
    signatures_authorized integer NOT NULL CHECK (signatures_authorized BETWEEN 1 AND 100000),
    signatures_left       integer NOT NULL
        CHECK (signatures_left BETWEEN 0 AND signatures_authorized),
    hash_algorithm        text NOT NULL CHECK (hash_algorithm IN ('SHA256', 'SHA384', 'SHA512')),
    hashes_bound          boolean NOT NULL,
    created_at            timestamptz NOT NULL
);
CREATE INDEX csc_transactions_credential ON csc_transactions (credential_serial, created_at);

-- The Signature Activation Data of a transaction: the hashes it may sign (each once), used by
-- one signHash (signed_hashes: what that call signed), or superseded by extendTransaction.
CREATE TABLE csc_sads (
    sad_sha256     bytea PRIMARY KEY CHECK (octet_length(sad_sha256) = 32),
    transaction_id bigint NOT NULL REFERENCES csc_transactions (id),
    hashes         bytea[] NOT NULL
        CHECK (cardinality(hashes) BETWEEN 1 AND 100000 AND array_position(hashes, NULL) IS NULL),
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL CHECK (expires_at > created_at),
    used_at        timestamptz,
    signed_hashes  bytea[] CHECK (array_position(signed_hashes, NULL) IS NULL),
    superseded_at  timestamptz,
    CHECK ((used_at IS NULL) = (signed_hashes IS NULL))
);
CREATE INDEX csc_sads_transaction ON csc_sads (transaction_id, created_at);

-- The SMS codes credentials/getChallenge sent (the RA's challenge): authorize checks the code
-- against the newest one of the platform and the credential.
CREATE TABLE csc_challenges (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client            text NOT NULL CHECK (client <> '' AND length(client) <= 200),
    credential_serial bytea NOT NULL REFERENCES certificates (serial),
    challenge_id      text NOT NULL REFERENCES otp_challenges (id),
    created_at        timestamptz NOT NULL
);
CREATE INDEX csc_challenges_credential ON csc_challenges (client, credential_serial, created_at);
)sql";

constexpr Migration kMigrations[] = {
    {1, "api_clients and audit_events", kInitialSchema},
    {2, "subjects, certificates, certificate_authorities and crls", kCaSchema},
    {3, "audit_outbox", kAuditOutbox},
    {4, "tsa_tokens", kTsaSchema},
    {5, "tls-server certificates", kTlsServerCertificates},
    {6, "ocsp_responses and ocsp_pending", kOcspResponses},
    {7, "otp_challenges, otp_totp and otp_subjects", kOtp},
    {8, "subjects' identity, identity_evidence, organization_agents and evidence_replay",
     kRegistry},
    {9, "otp_challenges voided on deactivation, a new mobile number or an identity change",
     kOtpSubjectLifecycle},
    {10, "documents and document_chunks, encrypted at rest", kDocuments},
    {11, "contracts, contract_signers, contract_revisions, contract_approvals and contract_events",
     kContracts},
    {12, "contract_notifications, contract_notification_attempts and signing_links",
     kContractNotifications},
    {13, "audit_tree and audit_checkpoints: the Merkle tree's subtree hashes and checkpoints",
     kAuditTree},
    {14, "evidence-seal certificates and audit_events by object", kEvidencePackages},
    {15, "contract search indexes; documents and contracts crypto-shredded",
     kContractSearch},
    {16, "remote signing: subjects.registered_by, csc_tokens, csc_transactions, csc_sads and "
         "csc_challenges",
     kRemoteSigning},
};

constexpr std::string_view kCreateSchemaMigrations = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY CHECK (version >= 1),
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
))sql";

constexpr std::string_view kSchemaMigrationsExists =
    "SELECT to_regclass('schema_migrations') IS NOT NULL";

const Migration* find_known(int version) {
    for (const auto& m : kMigrations) {
        if (m.version == version)
            return &m;
    }
    return nullptr;
}

int latest_known() {
    return std::empty(kMigrations) ? 0 : std::rbegin(kMigrations)->version;
}

std::vector<AppliedMigration> read_applied(Connection& connection) {
    std::vector<AppliedMigration> applied;
    if (!connection.exec(kSchemaMigrationsExists).one()[0].boolean())
        return applied;
    const Result rows =
        connection.exec("SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row row = rows[i];
        applied.push_back({row["version"].as<int>(), row["name"].as<std::string>(),
                           row["applied_at"].as<Clock::time_point>()});
    }
    return applied;
}

}  // namespace

std::span<const Migration> known_migrations() noexcept {
    return kMigrations;
}

MigrationReport migrate(Database& database) {
    for (std::size_t i = 0; i < std::size(kMigrations); ++i) {
        if (kMigrations[i].version != static_cast<int>(i) + 1) {
            throw Error(Errc::internal, "the compiled-in migrations are not numbered 1, 2, 3...");
        }
    }
    return database.transaction([](Connection& connection) {
        // Waiting for another node's migrations, and a migration itself, may take long: no
        // bound on either side, for this transaction only.
        connection.set_query_timeout(std::chrono::milliseconds(0));
        connection.exec("SET LOCAL statement_timeout = 0");
        // Transaction-scoped: released at COMMIT or ROLLBACK, even if this process dies.
        connection.exec("SELECT pg_advisory_xact_lock($1::bigint)", {advisory_lock::kMigrations});
        connection.exec(kCreateSchemaMigrations);

        MigrationReport report;
        for (const auto& done : read_applied(connection)) {
            const Migration* known = find_known(done.version);
            if (known == nullptr) {
                throw Error(Errc::failed_precondition,
                            "the database schema has migration " + std::to_string(done.version) +
                                " ('" + done.name +
                                "'), which this Signet does not know (it knows up to " +
                                std::to_string(latest_known()) + "): run a newer Signet");
            }
            if (known->name != done.name) {
                throw Error(Errc::failed_precondition,
                            "the database's migration " + std::to_string(done.version) + " is '" +
                                done.name + "' but this Signet's is '" + std::string(known->name) +
                                "': the database has a different history");
            }
            report.from_version = std::max(report.from_version, done.version);
        }
        for (const auto& m : kMigrations) {
            if (m.version <= report.from_version)
                continue;
            connection.exec(m.sql);
            const Result recorded = connection.exec(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2) RETURNING "
                "applied_at",
                {m.version, m.name});
            report.applied.push_back({m.version, std::string(m.name),
                                      recorded.one()["applied_at"].as<Clock::time_point>()});
        }
        report.to_version = std::max(report.from_version, latest_known());
        return report;
    });
}

int schema_version(Database& database) {
    return database.with_connection([](Connection& connection) {
        if (!connection.exec(kSchemaMigrationsExists).one()[0].boolean())
            return 0;
        const Result result =
            connection.exec("SELECT coalesce(max(version), 0) AS version FROM schema_migrations");
        return result.one()["version"].as<int>();
    });
}

std::vector<AppliedMigration> applied_migrations(Database& database) {
    return database.with_connection(
        [](Connection& connection) { return read_applied(connection); });
}

}  // namespace signet::store
