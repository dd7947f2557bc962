#include "api/evidence_route.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "api/contract_requests.hpp"
#include "common/error.hpp"
#include "common/text.hpp"

namespace signet::api {

namespace {

// The builder pushes (a ZipSink), the server pulls (a BodyProducer): the builder runs on its
// own thread and waits while kPackageQueueBytes are queued, so memory stays bounded whatever
// the document's size. Destroying the stream (the body ended, or the client went) makes the
// builder's next push throw, and waits for its thread.
class PackageStream {
  public:
    explicit PackageStream(std::function<void(const evidence::ZipSink&)> build)
        : worker_([this, build = std::move(build)] { run(build); }) {}

    PackageStream(const PackageStream&) = delete;
    PackageStream& operator=(const PackageStream&) = delete;

    ~PackageStream() {
        {
            std::lock_guard lock(mutex_);
            cancelled_ = true;
        }
        changed_.notify_all();
        worker_.join();
    }

    // Waits for the first bytes; a refusal (the builder throws before any) is rethrown here, so
    // the handler answers it as problem+json.
    void wait_for_first_bytes() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return !queued_.empty() || done_; });
        if (queued_.empty() && error_)
            std::rethrow_exception(error_);
        if (queued_.empty())
            throw Error(Errc::internal, "the evidence package builder wrote nothing");
    }

    // The next piece; "" once the archive is complete. The builder's failure after the first
    // byte is rethrown: the server then closes the connection mid-body.
    std::string next() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return !queued_.empty() || done_; });
        if (queued_.empty() && error_)
            std::rethrow_exception(error_);
        std::string piece = std::move(queued_);
        queued_.clear();
        lock.unlock();
        changed_.notify_all();
        return piece;
    }

  private:
    void run(const std::function<void(const evidence::ZipSink&)>& build) {
        std::exception_ptr error;
        try {
            build([this](ByteView bytes) { push(bytes); });
        } catch (...) {
            error = std::current_exception();
        }
        {
            std::lock_guard lock(mutex_);
            error_ = error;
            done_ = true;
        }
        changed_.notify_all();
    }

    void push(ByteView bytes) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return queued_.size() < kPackageQueueBytes || cancelled_; });
        if (cancelled_)
            throw Error(Errc::unavailable, "the client stopped reading the evidence package");
        queued_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        lock.unlock();
        changed_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::string queued_;
    bool done_ = false;
    bool cancelled_ = false;
    std::exception_ptr error_;
    std::thread worker_;  // last: it starts once everything above exists
};

std::string path_contract(const Request& request) {
    std::vector<std::string_view> values;
    if (!match_segments(request.route, request.path, &values) || values.empty())
        throw Error(Errc::internal, "the route's pattern does not give the contract's id");
    // A malformed id is the caller's mistake (400), not an absent contract.
    const std::string_view segment = values[0];
    const bool hex = segment.size() == 32 && std::ranges::all_of(segment, [](char c) {
                         return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                     });
    if (!hex)
        throw Error(Errc::invalid_argument, "the contract id " + quote_input(segment) +
                                                " is not 32 lowercase hex digits");
    return std::string(segment);
}

}  // namespace

void add_evidence_route(Router& router, EvidenceServices services) {
    Route route;
    route.method = http::verb::get;
    route.path = "/v1/contracts/{id}/evidence";
    route.match = PathMatch::segments;
    route.scope = "contracts";
    route.max_body_bytes = 0;
    route.handler = [services = std::move(services)](const Request& request) {
        const std::string id = path_contract(request);
        if (!services.write_package)
            throw Error(Errc::unavailable,
                        "evidence packages cannot be made: " + services.unavailable);
        const sign::ContractCaller caller = contract_caller(request);
        auto stream = std::make_shared<PackageStream>(
            [write = services.write_package, id, caller](const evidence::ZipSink& sink) {
                write(id, caller, sink);
            });
        stream->wait_for_first_bytes();
        Response response = Response::stream("application/zip", std::nullopt,
                                             [stream] { return stream->next(); });
        // RFC 6266 §4.1; the id is 32 hex digits (checked above): nothing to escape.
        response.headers.emplace_back("Content-Disposition",
                                      "attachment; filename=\"contract-" + id + "-evidence.zip\"");
        return response;
    };
    router.add(std::move(route));
}

}  // namespace signet::api
