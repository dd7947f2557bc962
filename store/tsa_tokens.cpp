#include "store/tsa_tokens.hpp"

#include <set>

namespace signet::store {

namespace {

#define SIGNET_TSA_TOKEN_COLUMNS                                                              \
    "serial, gen_time, policy, imprint_algorithm, imprint, nonce, cert_req, client, remote, " \
    "node, tsa_certificate_sha256"

constexpr Statement kFind{"tsa_tokens.find", "SELECT " SIGNET_TSA_TOKEN_COLUMNS
                                             " FROM tsa_tokens WHERE serial = $1::bytea"};
constexpr Statement kCount{"tsa_tokens.count", "SELECT count(*) FROM tsa_tokens"};
// One statement for a batch of any size: each column travels as one array parameter. Bytes go
// as hex text (an array of bytea has no binary form through Param), absent values as '' and
// NULLIF turns them back into NULL. ON CONFLICT leaves a repeated serial out; RETURNING tells
// which rows went in.
constexpr Statement kAppend{
    "tsa_tokens.append",
    "INSERT INTO tsa_tokens (" SIGNET_TSA_TOKEN_COLUMNS
    ") SELECT decode(s, 'hex'), t, p, a, decode(i, 'hex'), decode(NULLIF(n, ''), 'hex'), c, "
    "NULLIF(cl, ''), r, nd, decode(h, 'hex') FROM unnest($1::text[], $2::timestamptz[], "
    "$3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::text[], $9::text[], "
    "$10::text[], $11::text[]) AS u(s, t, p, a, i, n, c, cl, r, nd, h) "
    "ON CONFLICT (serial) DO NOTHING RETURNING encode(serial, 'hex') AS serial"};

TsaTokenRecord record_from(const Row& row) {
    TsaTokenRecord r;
    r.serial = row["serial"].bytes();
    r.gen_time = row["gen_time"].time();
    r.policy = row["policy"].as<std::string>();
    r.imprint_algorithm = row["imprint_algorithm"].as<std::string>();
    r.imprint = row["imprint"].bytes();
    r.nonce = row["nonce"].optional<Bytes>();
    r.cert_req = row["cert_req"].boolean();
    r.client = row["client"].optional<std::string>();
    r.remote = row["remote"].as<std::string>();
    r.node = row["node"].as<std::string>();
    r.tsa_certificate_sha256 = row["tsa_certificate_sha256"].bytes();
    return r;
}

}  // namespace

std::optional<TsaTokenRecord> PostgresTsaTokens::find(ByteView serial) {
    return database_.with_connection([&](Connection& c) -> std::optional<TsaTokenRecord> {
        const Result rows = c.exec(kFind, {serial});
        if (rows.empty())
            return std::nullopt;
        return record_from(rows.one());
    });
}

std::int64_t PostgresTsaTokens::count() {
    return database_.with_connection(
        [&](Connection& c) { return c.exec(kCount).one()[0].int64(); });
}

std::vector<bool> PostgresTsaTokens::append(Connection& tx,
                                            std::span<const TsaTokenRecord* const> rows) {
    if (rows.empty())
        return {};
    std::vector<std::string> serial, gen_time, policy, algorithm, imprint, nonce, cert_req, client,
        remote, node, certificate;
    for (auto* list : {&serial, &gen_time, &policy, &algorithm, &imprint, &nonce, &cert_req,
                       &client, &remote, &node, &certificate}) {
        list->reserve(rows.size());
    }
    for (const TsaTokenRecord* r : rows) {
        serial.push_back(to_hex(r->serial));
        gen_time.push_back(format_utc(r->gen_time));
        policy.push_back(r->policy);
        algorithm.push_back(r->imprint_algorithm);
        imprint.push_back(to_hex(r->imprint));
        nonce.push_back(r->nonce ? to_hex(*r->nonce) : std::string());
        cert_req.push_back(r->cert_req ? "true" : "false");
        client.push_back(r->client.value_or(std::string()));
        remote.push_back(r->remote);
        node.push_back(r->node);
        certificate.push_back(to_hex(r->tsa_certificate_sha256));
    }
    const Result inserted =
        tx.exec(kAppend,
                {Param::text_array(serial), Param::text_array(gen_time), Param::text_array(policy),
                 Param::text_array(algorithm), Param::text_array(imprint), Param::text_array(nonce),
                 Param::text_array(cert_req), Param::text_array(client), Param::text_array(remote),
                 Param::text_array(node), Param::text_array(certificate)});
    std::set<std::string, std::less<>> went_in;
    for (std::size_t i = 0; i < inserted.size(); ++i)
        went_in.insert(std::string(inserted[i]["serial"].text()));
    std::vector<bool> result;
    result.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        // A serial repeated within the batch itself goes in once: the first row wins.
        result.push_back(went_in.erase(serial[i]) == 1);
    }
    return result;
}

}  // namespace signet::store
