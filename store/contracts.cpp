#include "store/contracts.hpp"

#include "common/error.hpp"

namespace signet::store {

namespace {

#define CONTRACT_COLUMNS                                                                     \
    "id, title, metadata::text AS metadata, contract_type, amount_minor, currency, format, " \
    "client, state, signer_count, current_revision, expires_at, created_at, sent_at, "       \
    "completed_at, cancelled_at, expired_at, shredded_at"

constexpr Statement kInsert{
    "contracts.insert",
    "INSERT INTO contracts (id, title, metadata, contract_type, amount_minor, currency, format, "
    "client, state, signer_count, current_revision, expires_at, created_at) "
    "VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10, $11, $12::timestamptz, "
    "$13::timestamptz)"};
constexpr Statement kInsertSigner{
    "contracts.insert_signer",
    "INSERT INTO contract_signers (contract_id, position, kind, subject_id, agent_id, "
    "approvals_required) VALUES ($1, $2, $3, $4, $5, $6)"};
constexpr Statement kInsertRevision{
    "contracts.insert_revision",
    "INSERT INTO contract_revisions (contract_id, number, document_id, sha256, size, kind, "
    "signer_position, created_at) VALUES ($1, $2, $3, $4::bytea, $5, $6, $7, $8::timestamptz)"};
constexpr Statement kInsertApproval{
    "contracts.insert_approval",
    "INSERT INTO contract_approvals (contract_id, position, approver_id, approved_at) "
    "VALUES ($1, $2, $3, $4::timestamptz)"};
constexpr Statement kInsertEvent{
    "contracts.insert_event",
    "INSERT INTO contract_events (contract_id, seq, type, at, signer_position, canonical, "
    "event_sha256, timestamp_token) "
    "VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7::bytea, $8::bytea)"};
constexpr Statement kFind{"contracts.find",
                          "SELECT " CONTRACT_COLUMNS " FROM contracts WHERE id = $1"};
constexpr Statement kLock{"contracts.lock",
                          "SELECT " CONTRACT_COLUMNS " FROM contracts WHERE id = $1 FOR UPDATE"};
constexpr Statement kUpdate{
    "contracts.update",
    "UPDATE contracts SET state = $2, current_revision = $3, sent_at = $4::timestamptz, "
    "completed_at = $5::timestamptz, cancelled_at = $6::timestamptz, "
    "expired_at = $7::timestamptz WHERE id = $1"};
constexpr Statement kMarkShredded{
    "contracts.mark_shredded",
    "UPDATE contracts SET shredded_at = $2::timestamptz WHERE id = $1 AND shredded_at IS NULL"};
constexpr Statement kUpdateSigner{
    "contracts.update_signer",
    "UPDATE contract_signers SET state = $3, signed_at = $4::timestamptz, "
    "certificate_serial = $5, revision = $6 WHERE contract_id = $1 AND position = $2"};
constexpr Statement kSigners{
    "contracts.signers",
    "SELECT contract_id, position, kind, subject_id, agent_id, approvals_required, state, "
    "signed_at, certificate_serial, revision FROM contract_signers WHERE contract_id = $1 "
    "ORDER BY position"};
constexpr Statement kRevisions{
    "contracts.revisions",
    "SELECT contract_id, number, document_id, sha256, size, kind, signer_position, created_at "
    "FROM contract_revisions WHERE contract_id = $1 ORDER BY number"};
constexpr Statement kApprovals{
    "contracts.approvals",
    "SELECT contract_id, position, approver_id, approved_at FROM contract_approvals "
    "WHERE contract_id = $1 ORDER BY approved_at, position, approver_id"};
constexpr Statement kEvents{
    "contracts.events",
    "SELECT contract_id, seq, type, at, signer_position, canonical, event_sha256, "
    "timestamp_token FROM contract_events WHERE contract_id = $1 ORDER BY seq"};
constexpr Statement kDue{"contracts.due_for_expiry",
                         "SELECT id FROM contracts WHERE state IN ('sent', 'partially_signed') "
                         "AND expires_at <= $1::timestamptz ORDER BY expires_at, id LIMIT $2"};

ContractRecord contract_from(const Row& row) {
    ContractRecord c;
    c.id = row["id"].as<std::string>();
    c.title = row["title"].as<std::string>();
    c.metadata = row["metadata"].as<std::string>();
    c.contract_type = row["contract_type"].as<std::string>();
    c.amount_minor = row["amount_minor"].optional<std::int64_t>();
    c.currency = row["currency"].optional<std::string>();
    c.format = row["format"].as<std::string>();
    c.client = row["client"].as<std::string>();
    c.state = row["state"].as<std::string>();
    c.signer_count = row["signer_count"].as<int>();
    c.current_revision = row["current_revision"].as<int>();
    c.expires_at = row["expires_at"].time();
    c.created_at = row["created_at"].time();
    c.sent_at = row["sent_at"].optional<Clock::time_point>();
    c.completed_at = row["completed_at"].optional<Clock::time_point>();
    c.cancelled_at = row["cancelled_at"].optional<Clock::time_point>();
    c.expired_at = row["expired_at"].optional<Clock::time_point>();
    c.shredded_at = row["shredded_at"].optional<Clock::time_point>();
    return c;
}

std::optional<ContractRecord> one_contract(const Result& rows) {
    if (rows.empty())
        return std::nullopt;
    return contract_from(rows.one());
}

}  // namespace

void PostgresContracts::insert(Connection& tx, const ContractRecord& c) {
    tx.exec(kInsert,
            {c.id, c.title, c.metadata, c.contract_type, c.amount_minor, c.currency, c.format,
             c.client, c.state, c.signer_count, c.current_revision, c.expires_at, c.created_at});
}

void PostgresContracts::insert_signer(Connection& tx, const ContractSignerRecord& s) {
    tx.exec(kInsertSigner,
            {s.contract_id, s.position, s.kind, s.subject_id, s.agent_id, s.approvals_required});
}

void PostgresContracts::insert_revision(Connection& tx, const ContractRevisionRecord& r) {
    tx.exec(kInsertRevision, {r.contract_id, r.number, r.document_id, r.sha256, r.size, r.kind,
                              r.signer_position, r.created_at});
}

void PostgresContracts::insert_approval(Connection& tx, const ContractApprovalRecord& a) {
    tx.exec(kInsertApproval, {a.contract_id, a.position, a.approver_id, a.approved_at});
}

void PostgresContracts::insert_event(Connection& tx, const ContractEventRecord& e) {
    tx.exec(kInsertEvent, {e.contract_id, e.seq, e.type, e.at, e.signer_position, e.canonical,
                           e.event_sha256, e.timestamp_token});
}

std::optional<ContractRecord> PostgresContracts::find(Connection& tx, std::string_view id) {
    return one_contract(tx.exec(kFind, {id}));
}

std::optional<ContractRecord> PostgresContracts::lock(Connection& tx, std::string_view id) {
    return one_contract(tx.exec(kLock, {id}));
}

void PostgresContracts::update(Connection& tx, const ContractRecord& c) {
    const Result done = tx.exec(kUpdate, {c.id, c.state, c.current_revision, c.sent_at,
                                          c.completed_at, c.cancelled_at, c.expired_at});
    if (done.affected_rows() != 1)
        throw Error(Errc::not_found, "no contract " + c.id);
}

void PostgresContracts::mark_shredded(Connection& tx, std::string_view id, Clock::time_point at) {
    tx.exec(kMarkShredded, {id, at});
}

void PostgresContracts::update_signer(Connection& tx, const ContractSignerRecord& s) {
    const Result done = tx.exec(kUpdateSigner, {s.contract_id, s.position, s.state, s.signed_at,
                                                s.certificate_serial, s.revision});
    if (done.affected_rows() != 1)
        throw Error(Errc::not_found,
                    "contract " + s.contract_id + " has no signer " + std::to_string(s.position));
}

std::vector<ContractSignerRecord> PostgresContracts::signers(Connection& tx, std::string_view id) {
    std::vector<ContractSignerRecord> out;
    const Result rows = tx.exec(kSigners, {id});
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row row = rows[i];
        ContractSignerRecord s;
        s.contract_id = row["contract_id"].as<std::string>();
        s.position = row["position"].as<int>();
        s.kind = row["kind"].as<std::string>();
        s.subject_id = row["subject_id"].int64();
        s.agent_id = row["agent_id"].optional<std::int64_t>();
        s.approvals_required = row["approvals_required"].as<int>();
        s.state = row["state"].as<std::string>();
        s.signed_at = row["signed_at"].optional<Clock::time_point>();
        s.certificate_serial = row["certificate_serial"].optional<std::string>();
        s.revision = row["revision"].optional<int>();
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<ContractRevisionRecord> PostgresContracts::revisions(Connection& tx,
                                                                 std::string_view id) {
    std::vector<ContractRevisionRecord> out;
    const Result rows = tx.exec(kRevisions, {id});
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row row = rows[i];
        ContractRevisionRecord r;
        r.contract_id = row["contract_id"].as<std::string>();
        r.number = row["number"].as<int>();
        r.document_id = row["document_id"].as<std::string>();
        r.sha256 = row["sha256"].bytes();
        r.size = row["size"].int64();
        r.kind = row["kind"].as<std::string>();
        r.signer_position = row["signer_position"].optional<int>();
        r.created_at = row["created_at"].time();
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<ContractApprovalRecord> PostgresContracts::approvals(Connection& tx,
                                                                 std::string_view id) {
    std::vector<ContractApprovalRecord> out;
    const Result rows = tx.exec(kApprovals, {id});
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row row = rows[i];
        out.push_back({row["contract_id"].as<std::string>(), row["position"].as<int>(),
                       row["approver_id"].int64(), row["approved_at"].time()});
    }
    return out;
}

std::vector<ContractEventRecord> PostgresContracts::events(Connection& tx, std::string_view id) {
    std::vector<ContractEventRecord> out;
    const Result rows = tx.exec(kEvents, {id});
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row row = rows[i];
        ContractEventRecord e;
        e.contract_id = row["contract_id"].as<std::string>();
        e.seq = row["seq"].as<int>();
        e.type = row["type"].as<std::string>();
        e.at = row["at"].time();
        e.signer_position = row["signer_position"].optional<int>();
        e.canonical = row["canonical"].as<std::string>();
        e.event_sha256 = row["event_sha256"].bytes();
        e.timestamp_token = row["timestamp_token"].bytes();
        out.push_back(std::move(e));
    }
    return out;
}

// The search's SQL holds only the conditions given, so that each plan is made for them (an
// "$n IS NULL OR ..." form would leave a generic plan unable to use the condition's index).
ContractSearchSql contract_search_sql(const ContractQuery& query) {
    if (query.limit < 1 || query.limit > 1000)
        throw Error(Errc::invalid_argument, "'limit' must be 1-1000");
    std::string sql = "SELECT " CONTRACT_COLUMNS " FROM contracts c WHERE true";
    std::vector<Param> params;
    const auto next = [&](Param value) {
        params.push_back(std::move(value));
        return "$" + std::to_string(params.size());
    };
    if (query.client)
        sql += " AND c.client = " + next(*query.client);
    if (query.state)
        sql += " AND c.state = " + next(*query.state);
    if (query.party) {
        sql += " AND c.id IN (SELECT s.contract_id FROM contract_signers s WHERE s.subject_id = " +
               next(*query.party) + ")";
    }
    if (query.title_words) {
        sql += " AND to_tsvector('simple', c.title) @@ plainto_tsquery('simple', " +
               next(*query.title_words) + ")";
    }
    if (query.metadata)
        sql += " AND c.metadata @> " + next(*query.metadata) + "::jsonb";
    if (query.created_after)
        sql += " AND c.created_at >= " + next(*query.created_after) + "::timestamptz";
    if (query.created_before)
        sql += " AND c.created_at < " + next(*query.created_before) + "::timestamptz";
    if (query.after) {
        const std::string at = next(query.after->created_at);
        sql += " AND (c.created_at, c.id) < (" + at + "::timestamptz, " + next(query.after->id) +
               "::text)";
    }
    if (query.before_id) {
        sql += " AND (c.created_at, c.id) < (SELECT created_at, id FROM contracts WHERE id = " +
               next(*query.before_id) + ")";
    }
    sql += " ORDER BY c.created_at DESC, c.id DESC LIMIT " +
           next(static_cast<std::int64_t>(query.limit));
    return {std::move(sql), std::move(params)};
}

std::vector<ContractRecord> PostgresContracts::list(Connection& tx, const ContractQuery& query) {
    const ContractSearchSql search = contract_search_sql(query);
    std::vector<ContractRecord> out;
    const Result rows = tx.exec(search.sql, search.params);
    for (std::size_t i = 0; i < rows.size(); ++i)
        out.push_back(contract_from(rows[i]));
    return out;
}

std::vector<std::string> PostgresContracts::due_for_expiry(Connection& tx, Clock::time_point now,
                                                           std::size_t limit) {
    std::vector<std::string> out;
    const Result rows = tx.exec(kDue, {now, static_cast<std::int64_t>(limit)});
    for (std::size_t i = 0; i < rows.size(); ++i)
        out.push_back(rows[i]["id"].as<std::string>());
    return out;
}

}  // namespace signet::store

#undef CONTRACT_COLUMNS
